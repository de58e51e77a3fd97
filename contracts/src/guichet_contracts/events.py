"""The first event payloads. Article numbers refer to the cooperation agreement of
31 January 2025 (accord de coopération guichet unique / samenwerkingsakkoord uniek loket).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from guichet_contracts.registry import REGISTRY, DomainEvent


class ApplicationKind(StrEnum):
    """The three kinds of application of Art. 2 §1 1°."""

    SINGLE_PERMIT = "single_permit"  # permis unique / gecombineerde vergunning
    WORK_AUTHORISATION = "work_authorisation"  # autorisation d'occupation / arbeidsvergunning
    PROFESSIONAL_CARD = "professional_card"  # carte professionnelle / beroepskaart


class ApplicantCategory(StrEnum):
    """Categories of Art. 4 and Art. 10 4°."""

    GENERAL = "general"
    EU_BLUE_CARD = "eu_blue_card"
    SEASONAL_WORKER = "seasonal_worker"
    INTRA_CORPORATE_TRANSFEREE = "intra_corporate_transferee"
    ICT_LONG_TERM_MOBILITY = "ict_long_term_mobility"
    RESEARCHER = "researcher"
    RESEARCHER_LONG_TERM_MOBILITY = "researcher_long_term_mobility"
    TRAINEE = "trainee"
    VOLUNTEER = "volunteer"
    OTHER = "other"
    SELF_EMPLOYED = "self_employed"


class CompetentAuthority(StrEnum):
    """Authorities that decide a part of the dossier (Art. 9 §4-7, Art. 12 §1)."""

    FLANDERS = "VLG"
    WALLONIA = "WAL"
    BRUSSELS = "BXL"
    GERMAN_SPEAKING_COMMUNITY = "DG"
    IMMIGRATION_OFFICE = "OE"


class FilerRole(StrEnum):
    """Who filed: the worker, the employer, or their mandatary (Art. 2, Art. 20)."""

    WORKER = "worker"
    EMPLOYER = "employer"
    SELF_EMPLOYED = "self_employed"
    MANDATARY = "mandatary"


class DecisionStep(StrEnum):
    ADMISSIBILITY = "admissibility"
    WORK = "work"
    RESIDENCE = "residence"
    PROFESSIONAL_CARD = "professional_card"


@REGISTRY.register
class ApplicationFiled(DomainEvent):
    """An application was filed on the platform and routed to the competent region.

    Carries no personal data in clear: identities belong to the dossier, not the topic.
    """

    event_type: ClassVar[str] = "be.guichet.application.filed.v1"
    schema_version: ClassVar[int] = 1

    kind: ApplicationKind
    category: ApplicantCategory
    competent_authority: CompetentAuthority = Field(
        description="Region of the place of work "
        "(the German-speaking Community for its nine municipalities)"
    )
    workplace_postcode: str = Field(pattern=r"^[1-9][0-9]{3}$")
    employer_enterprise_number: str | None = Field(
        default=None, pattern=r"^[01][0-9]{9}$", description="KBO/BCE number, digits only"
    )
    filed_by: FilerRole
    filed_at: datetime


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
