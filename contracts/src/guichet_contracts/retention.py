"""Retention events (Art. 27), on the retention service's topic.

An appeal against a decision holds the deletion of the dossier until it is decided
(Art. 27 3°); ``DossierPurged`` records that a dossier reached its retention limit and
was erased everywhere — it carries no personal data, only that and when.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from guichet_contracts.registry import REGISTRY, DomainEvent
from guichet_contracts.vocabulary import CompetentAuthority, CourtRegistry, DecisionStep

# Who records an appeal or its end: the authority that took the decision appealed
# against, or a court registry.
AppealRecorder = CompetentAuthority | CourtRegistry


@REGISTRY.register
class AppealLodged(DomainEvent):
    """An appeal was lodged against a decision of the dossier (e.g. with the Council for
    Alien Law Litigation or the Council of State): deletion waits for its end."""

    event_type: ClassVar[str] = "be.guichet.appeal.lodged.v1"
    schema_version: ClassVar[int] = 1

    appeal_id: str = Field(min_length=1, max_length=64)
    step: DecisionStep
    recorded_by: AppealRecorder
    lodged_on: date


@REGISTRY.register
class AppealDecided(DomainEvent):
    """The appeal ended (decided, withdrawn or lapsed): the procedure may be definitive."""

    event_type: ClassVar[str] = "be.guichet.appeal.decided.v1"
    schema_version: ClassVar[int] = 1

    appeal_id: str = Field(min_length=1, max_length=64)
    recorded_by: AppealRecorder
    decided_on: date


@REGISTRY.register
class DossierPurged(DomainEvent):
    """The dossier reached the end of its retention (Art. 27 §2) and was deleted: its
    data key is destroyed and every service deleted its rows. No personal data here."""

    event_type: ClassVar[str] = "be.guichet.dossier.purged.v1"
    schema_version: ClassVar[int] = 1

    rule: Literal["granted_10_years", "negative_5_years", "erasure_request"]
    due_on: date
    purged_at: datetime
