"""Decision events, on the deciding services' topics.

Art. 24: a negative decision's reasons are notified to the third-country national only.
No event here has a field for a reason or any free text, so no topic, store or view
fed by events can ever show one; the deciding service keeps the reason in its own
store and delivers it to the worker itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from guichet_contracts.registry import REGISTRY, DomainEvent
from guichet_contracts.vocabulary import CompetentAuthority, DecisionStep, DocumentKind


@REGISTRY.register
class ApplicationDeclaredAdmissible(DomainEvent):
    """The competent region found the application admissible (recevable / ontvankelijk),
    the first step of the procedure (Art. 12 §1); the 90-day clock of Directive
    (EU) 2024/1233 runs from the day the application is complete."""

    event_type: ClassVar[str] = "be.guichet.admissibility.confirmed.v1"
    schema_version: ClassVar[int] = 1

    authority: CompetentAuthority
    decided_at: datetime


@REGISTRY.register
class SupplementaryDocumentsRequested(DomainEvent):
    """A controller asked the applicant for supplementary documents (Art. 20 §4); the
    decision clock is suspended until they arrive."""

    event_type: ClassVar[str] = "be.guichet.documents.requested.v1"
    schema_version: ClassVar[int] = 1

    request_id: str
    authority: CompetentAuthority
    document_kinds: tuple[DocumentKind, ...] = Field(min_length=1)
    due_on: date
    requested_at: datetime


@REGISTRY.register
class WorkAuthorised(DomainEvent):
    """The competent region authorised the work part (Art. 12 §1, Art. 18)."""

    event_type: ClassVar[str] = "be.guichet.work.authorised.v1"
    schema_version: ClassVar[int] = 1

    authority: CompetentAuthority
    valid_from: date
    valid_until: date
    decided_at: datetime


@REGISTRY.register
class ProfessionalCardGranted(DomainEvent):
    """The competent region granted a professional card (carte professionnelle /
    beroepskaart) for a self-employed activity (Art. 2 §1 1° c), Art. 12 §1)."""

    event_type: ClassVar[str] = "be.guichet.professional-card.granted.v1"
    schema_version: ClassVar[int] = 1

    authority: CompetentAuthority
    valid_from: date
    valid_until: date
    decided_at: datetime


@REGISTRY.register
class ResidenceAuthorised(DomainEvent):
    """The Immigration Office authorised residence (Art. 12 §1)."""

    event_type: ClassVar[str] = "be.guichet.residence.authorised.v1"
    schema_version: ClassVar[int] = 1

    valid_from: date
    valid_until: date
    decided_at: datetime


@REGISTRY.register
class SinglePermitGranted(DomainEvent):
    """Both parts are granted: ONE administrative act carrying the residence and the
    work authorisation (Art. 2 §1 1° a)); the retention period of Art. 27 1° starts."""

    event_type: ClassVar[str] = "be.guichet.single-permit.granted.v1"
    schema_version: ClassVar[int] = 1

    act_number: str
    valid_from: date
    valid_until: date
    granted_at: datetime


@REGISTRY.register
class AuthorisationWithdrawn(DomainEvent):
    """An authority withdrew an authorisation it had granted (Art. 18). Like a refusal,
    its reasons go to the worker only (Art. 24). Public employment services learn of a
    single-permit withdrawal to help the worker find another job (Art. 10 9°)."""

    event_type: ClassVar[str] = "be.guichet.authorisation.withdrawn.v1"
    schema_version: ClassVar[int] = 1

    step: DecisionStep
    authority: CompetentAuthority
    withdrawn_at: datetime


@REGISTRY.register
class StayEnded(DomainEvent):
    """The Immigration Office ended the stay (Art. 18: decisions ending residence)."""

    event_type: ClassVar[str] = "be.guichet.stay.ended.v1"
    schema_version: ClassVar[int] = 1

    ended_at: datetime


@REGISTRY.register
class NegativeDecisionTaken(DomainEvent):
    """An authority took a negative decision. Art. 24: the other authorities are only
    *informed* that it was taken; the reason is notified to the third-country national
    alone, so this contract has no field for a reason or any free text, by design.
    """

    event_type: ClassVar[str] = "be.guichet.decision.negative.v1"
    schema_version: ClassVar[int] = 1

    step: DecisionStep
    authority: CompetentAuthority
    decided_at: datetime
