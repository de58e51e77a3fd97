"""What retention's routes take and answer, as integrators read it in the OpenAPI."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from guichet_contracts.vocabulary import DecisionStep, Language
from guichet_retention import rights


class Appeal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    appeal_id: str = Field(min_length=1, max_length=64, examples=["RvV-2026-1234"])
    step: DecisionStep
    lodged_on: date


class AppealEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decided_on: date


class Forecast(BaseModel):
    """When a dossier will be deleted, under which rule of Art. 27, and why."""

    dossier_id: str
    due_on: date | None
    rule: str | None
    why: str
    held_by_appeal: bool


class Schedule(Forecast):
    purged_at: datetime | None


class PurgeRun(BaseModel):
    today: date
    purged: list[str]


class RightsRequestForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dossier_id: uuid.UUID
    kind: rights.RightKind
    concern: rights.Concern = Field(description="work, professional_card or residence")
    details: str = Field(min_length=1, max_length=20_000)
    language: Language = "en"


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["granted", "partially_granted", "refused"]
    answer: str = Field(min_length=1, max_length=20_000)


class RightsRequestView(BaseModel):
    """A request, from receipt to answer; ``overdue`` once past its due date unanswered."""

    request_id: str
    dossier_id: str
    subject_index: str
    kind: rights.RightKind
    concern: rights.Concern
    controller: str
    details: str
    received_at: datetime
    due_on: date
    status: str
    answered_at: datetime | None
    outcome: str | None
    answer: str | None
    overdue: bool


class AcknowledgmentView(BaseModel):
    """The dated acknowledgment of receipt (Art. 29 §4)."""

    request_id: str
    received_at: datetime
    controller: str
    kind: rights.RightKind
    due_on: date
    text: str


class FiledRequest(BaseModel):
    request: RightsRequestView
    acknowledgment: AcknowledgmentView


class ExportedEvent(BaseModel):
    type: str
    occurred_at: datetime
    data: dict[str, JsonValue]


class Export(BaseModel):
    """Everything the platform keeps about a dossier, machine-readable (GDPR Art. 15, 20)."""

    dossier_id: str
    exported_at: datetime
    format: str
    events: list[ExportedEvent]


class NoticeSection(BaseModel):
    id: str
    title: str
    paragraphs: list[str]


class PrivacyNotice(BaseModel):
    """The information of GDPR Art. 13-14 (Art. 28 of the agreement), in one language."""

    language: Language
    title: str
    introduction: str
    sections: list[NoticeSection]
