"""What consultation's routes take and answer, as integrators read it in the OpenAPI.

A category of a dossier is present in ``data`` only when the policy lets the caller read
it (Art. 11, 21-26); the entries keep any member the projection holds beyond those
named here (``extra="allow"``), so a field added by a service is never silently dropped.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class DossierSearch(BaseModel):
    """A search: the NISS travels in this body, never in a URL (logs and traces keep URLs)."""

    model_config = ConfigDict(extra="forbid")
    niss: str | None = Field(default=None, max_length=20, description="The worker's NISS")
    enterprise_number: str | None = Field(default=None, max_length=20, description="KBO/BCE")
    purpose: str | None = Field(default=None, max_length=200, description="Why (logged)")


class Entry(BaseModel):
    model_config = ConfigDict(extra="allow")


class DossierSummary(Entry):
    """What the dossier is and where it stands (empty when withheld, Art. 11)."""

    dossier_id: str | None = None
    kind: str | None = None
    category: str | None = None
    competent_authority: str | None = None
    status: str | None = None
    filed_at: str | None = None


class Identification(Entry):
    """Art. 12: who the worker is."""

    niss: str | None = None
    last_name: str | None = None
    first_names: JsonValue = None
    birth_date: str | None = None
    birth_place: str | None = None
    sex: str | None = None
    nationality: str | None = None
    passport_number: str | None = None
    address: JsonValue = None


class Contact(Entry):
    """Art. 12 §1 2° c)-d)."""

    email: str | None = None
    phone: str | None = None
    language: str | None = None


class Employment(Entry):
    """Art. 13: the employment, its details, the employer and the mandatary, as filed."""

    employment: JsonValue = None
    details: JsonValue = None
    employer: dict[str, JsonValue] = Field(default_factory=dict)
    mandatary: JsonValue = None


class DocumentRef(Entry):
    """A document's reference, never its content."""

    document_id: str
    kind: str
    media_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None


class Decision(Entry):
    decision: str
    at: str
    authority: str | None = None
    act_number: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None


class Withdrawal(Entry):
    step: str
    authority: str
    at: str


class NegativeDecisionFlag(Entry):
    """Art. 24: that a negative decision was taken, never why."""

    step: str
    authority_kind: str
    at: str


class TimelineStep(Entry):
    step: str
    by: str
    at: str


class Signal(Entry):
    code: str
    severity: str
    message: str
    article: str


class EmploymentDeclarations(Entry):
    """Art. 14: what ONSS and INASTI declared, and the signals for the caller (Art. 10)."""

    declarations: list[dict[str, JsonValue]]
    signals: list[Signal]


class DossierData(BaseModel):
    """The categories the caller may read; the others are absent (and listed as withheld)."""

    model_config = ConfigDict(extra="forbid")
    summary: DossierSummary | None = None
    identification: Identification | None = None
    contact: Contact | None = None
    employment: Employment | None = None
    employer_registration: JsonValue = None
    documents: list[DocumentRef] | None = None
    health: list[DocumentRef] | None = None
    criminal_record: list[DocumentRef] | None = None
    regional_decisions: list[Decision] | None = None
    residence_decisions: list[Decision] | None = None
    withdrawals: list[Withdrawal] | None = None
    negative_decision_flags: list[NegativeDecisionFlag] | None = None
    timeline: list[TimelineStep] | None = None
    employment_declarations: EmploymentDeclarations | None = None


class Withheld(BaseModel):
    category: str
    reason: str  # the policy's words: which article, or deny by default (Art. 11)


class DossierView(BaseModel):
    dossier_id: str
    purpose: str | None
    data: DossierData
    withheld: list[Withheld]


class AccessLogEntry(BaseModel):
    """One consultation of a dossier, or one refused attempt on it (Art. 29)."""

    seq: int
    at: datetime
    authority: str
    agent_id: str
    roles: list[str]
    purpose: str | None
    dossier_id: str | None
    categories: list[str]
    withheld: list[str]
    outcome: str
    prev_hash: str
    hash: str
    route: str | None = None
    reason: str | None = None


class ChainVerdict(BaseModel):
    ok: bool
    entries: int
    first_broken_seq: int | None
