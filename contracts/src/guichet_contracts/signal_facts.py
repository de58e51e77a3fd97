"""What the signals of employment and wage data read of a dossier (Art. 10 6°-8°): its
facts (kind, category, competent region, the authorised wage, the periods its decisions
granted) and its declarations as opened. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from guichet_contracts import (
    ApplicationFiled,
    AuthorisationWithdrawn,
    DomainEvent,
    ProfessionalCardGranted,
    SinglePermitGranted,
    StayEnded,
    WorkAuthorised,
)
from guichet_contracts.dossier import SealedDossier


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None = None

    def overlaps(self, start: date, end: date | None) -> bool:
        return (end is None or self.start <= end) and (self.end is None or start <= self.end)


@dataclass(frozen=True)
class DossierFacts:
    kind: str  # ApplicationKind value
    category: str  # ApplicantCategory value
    competent_authority: str  # VLG, WAL, BXL or DG
    employer_enterprise_number: str | None = None
    authorised_gross_monthly_wage_eur: Decimal | None = None  # the authorised contract's
    work_authorisation: Period | None = None  # WorkAuthorised valid_from..valid_until
    single_permit: Period | None = None  # SinglePermitGranted valid_from..valid_until
    professional_card: Period | None = None  # ProfessionalCardGranted

    @property
    def authorised_work(self) -> Period | None:
        return self.work_authorisation or self.single_permit


def facts_of(
    filed: ApplicationFiled, dossier: SealedDossier | None, decisions: Iterable[DomainEvent]
) -> DossierFacts:
    """The facts of a dossier: its filing, its opened sealed dossier (None for a v1
    filing), decisions in order."""
    wage = dossier.employment.gross_monthly_wage_eur if dossier else None
    periods: dict[str, Period | None] = {"work": None, "permit": None, "card": None}
    for event in decisions:
        match event:
            case WorkAuthorised():
                periods["work"] = Period(event.valid_from, event.valid_until)
            case SinglePermitGranted():
                periods["permit"] = Period(event.valid_from, event.valid_until)
            case ProfessionalCardGranted():
                periods["card"] = Period(event.valid_from, event.valid_until)
            case AuthorisationWithdrawn():
                step = {"work": "work", "residence": "permit", "professional_card": "card"}
                periods[step.get(event.step.value, "work")] = None
            case StayEnded():
                periods["permit"] = None
    return DossierFacts(
        kind=filed.kind.value,
        category=filed.category.value,
        competent_authority=filed.competent_authority.value,
        employer_enterprise_number=filed.employer_enterprise_number,
        authorised_gross_monthly_wage_eur=Decimal(str(wage)) if wage is not None else None,
        work_authorisation=periods["work"],
        single_permit=periods["permit"],
        professional_card=periods["card"],
    )


def opened(event: DomainEvent, personal: Mapping[str, Any]) -> dict[str, Any]:
    """One declaration as ``signals`` reads it: clear fields plus the unsealed ones."""
    clear = event.model_dump(exclude={"personal"})
    return {"event_type": event.event_type, **clear, **personal}
