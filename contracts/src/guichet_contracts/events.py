"""Filing events, on intake's topic. Article numbers refer to the cooperation agreement of
31 January 2025 (accord de coopération guichet unique / samenwerkingsakkoord uniek loket).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts.registry import REGISTRY, DomainEvent
from guichet_contracts.sealed import SealedData
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    DecisionStep,
    DocumentKind,
    FilerRole,
)

__all__ = [
    "ApplicantCategory",
    "ApplicationFiled",
    "ApplicationFiledV1",
    "ApplicationKind",
    "CompetentAuthority",
    "DecisionStep",
    "DocumentKind",
    "DocumentReference",
    "FilerRole",
    "SupplementaryDocumentsSupplied",
]


class ApplicationFiledV1(DomainEvent):
    """Version 1 (superseded by v2, upcast on read): filed, without the sealed dossier."""

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


class DocumentReference(BaseModel):
    """A document held, encrypted, by the service it was uploaded to. The reference
    carries no content: the kind, format, size and a SHA-256 to prove integrity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: str
    kind: DocumentKind
    media_type: str = Field(pattern=r"^(application/pdf|image/jpeg|image/png)$")
    size_bytes: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


@REGISTRY.register
class ApplicationFiled(DomainEvent):
    """An application was filed on the platform and routed to the competent region
    (Art. 2 §1 1°, Art. 9, Art. 19-20).

    Personal data (identities, contacts, employment terms) travels only sealed with the
    dossier's key in ``dossier`` (a ``guichet_contracts.dossier.SealedDossier``); the
    clear fields are what routing and queues need.
    """

    event_type: ClassVar[str] = "be.guichet.application.filed.v2"
    schema_version: ClassVar[int] = 2

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
    wished_start: date | None = None
    wished_end: date | None = None
    fee_paid: bool = Field(default=False, description="Proof of fee payment received (Art. 18)")
    dossier: SealedData | None = Field(
        default=None,
        description="Identification, contact and employment data: a SealedDossier "
        "(sealed-dossier.v1.json) sealed with the dossier's key (absent only on "
        "applications upcast from v1)",
    )
    documents: tuple[DocumentReference, ...] = ()


def _filed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 carried no sealed dossier and no documents: the new fields take their defaults.
    return dict(data)


REGISTRY.register_historic(ApplicationFiledV1)
REGISTRY.register_upcaster(
    from_type=ApplicationFiledV1.event_type,
    from_version=1,
    to_type=ApplicationFiled.event_type,
    to_version=2,
    fn=_filed_v1_to_v2,
)


@REGISTRY.register
class SupplementaryDocumentsSupplied(DomainEvent):
    """The applicant supplied documents a controller had asked for (Art. 20 §4)."""

    event_type: ClassVar[str] = "be.guichet.documents.supplied.v1"
    schema_version: ClassVar[int] = 1

    request_id: str
    documents: tuple[DocumentReference, ...] = Field(min_length=1)
    supplied_at: datetime
