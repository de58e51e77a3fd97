"""Filing an application (Art. 2 §1 1°, Art. 4, Art. 19-20): pure rules, no I/O.

Every rule refuses with the field to correct and a reason a person can act on; each is
a small function named after what it asks (``filing_rules``). The competent region is
the region of the place of work (Art. 9). A dossier's state here is the little intake
decides on (is it filed, which request for documents is open); ``decide`` turns a
command into events and ``evolve`` folds events into the state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from guichet_contracts import (
    ApplicationFiled,
    DocumentReference,
    DomainEvent,
    SealedData,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
)
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    FilerRole,
)
from guichet_intake.filing_rules import (
    FilingRejected,
    category_fits_the_kind,
    category_needs_are_met,
    competent_region,
    dates_are_ahead,
    employer_of,
    fee_is_paid,
    mandatary_of,
    procedure_is_open,
    worker_identity,
)
from guichet_intake.requests import ApplicationForm, DocumentUpload


class NotYourApplication(LookupError):
    """The caller does not follow this dossier (or it does not exist): the same answer
    for both, so nobody learns which ids exist."""

    def __init__(self) -> None:
        super().__init__("no application of yours with this id")


@dataclass(frozen=True)
class Dossier:
    """What intake decides on: whether the application is filed, and the request for
    documents a controller left open (Art. 20 §4)."""

    filed: bool = False
    open_request: str | None = None


NOT_FILED = Dossier()


@dataclass(frozen=True)
class FileApplication:
    """A filer asks to file the online form (Art. 19-20)."""

    form: ApplicationForm
    filer: str  # the token's subject: they follow the dossier from now on
    today: date  # the day the rules are applied on (dates, birth date)
    filed_at: datetime
    professional_card_enabled: bool = False  # Art. 34, 36: a later agreement opens it


@dataclass(frozen=True)
class SupplyDocuments:
    """The applicant supplies the documents a controller asked for (Art. 20 §4)."""

    application_id: uuid.UUID
    request_id: str
    uploads: tuple[DocumentUpload, ...]
    supplier: str  # the token's subject, who must follow the dossier
    supplied_at: datetime


Command = FileApplication | SupplyDocuments


@dataclass(frozen=True)
class Stored:
    """What the handler sealed and stored for a command whose rules passed: the events
    carry references and sealed data only."""

    application_id: uuid.UUID
    documents: tuple[DocumentReference, ...]
    dossier: SealedData | None = None  # a filing's personal part, sealed


def decide(state: Dossier, command: Command, stored: Stored) -> list[DomainEvent]:
    """The events a command makes, or the rule it breaks (``FilingRejected``)."""
    match command:
        case FileApplication():
            return [_filed(command, stored)]
        case SupplyDocuments():
            answers_the_open_request(state, command)
            return [
                SupplementaryDocumentsSupplied(
                    application_id=stored.application_id,
                    request_id=command.request_id,
                    documents=stored.documents,
                    supplied_at=command.supplied_at,
                )
            ]


def answers_the_open_request(state: Dossier, command: SupplyDocuments) -> None:
    """Art. 20 §4: documents are supplied for the request a controller left open, once."""
    if state.open_request is None or state.open_request != command.request_id:
        raise FilingRejected(
            "request_id", "no open request for documents with this id on this dossier"
        )


def evolve(state: Dossier, event: DomainEvent) -> Dossier:
    """The state after ``event``; events it does not concern leave it unchanged."""
    match event:
        case ApplicationFiled():
            return Dossier(filed=True)
        case SupplementaryDocumentsRequested():
            return replace(state, open_request=event.request_id)
        case SupplementaryDocumentsSupplied() if event.request_id == state.open_request:
            return replace(state, open_request=None)
    return state


def filing_of(command: FileApplication) -> ValidFiling:
    """The filing rules applied to the command's form (see ``validate``)."""
    return validate(
        command.form,
        today=command.today,
        professional_card_enabled=command.professional_card_enabled,
    )


def _filed(command: FileApplication, stored: Stored) -> ApplicationFiled:
    # Pure and cheap: the handler applied the same rules before sealing anything.
    filing = filing_of(command)
    if stored.dossier is None:
        raise ValueError("a filing's personal part is sealed before it is recorded")
    return ApplicationFiled(
        application_id=stored.application_id,
        kind=filing.kind,
        category=filing.category,
        competent_authority=filing.authority,
        workplace_postcode=filing.workplace_postcode,
        employer_enterprise_number=filing.employer_enterprise_number,
        filed_by=filing.filed_by,
        filed_at=command.filed_at,
        wished_start=filing.wished_start,
        wished_end=filing.wished_end,
        fee_paid=filing.fee_paid,
        dossier=stored.dossier,
        documents=stored.documents,
    )


@dataclass(frozen=True)
class ValidFiling:
    """A form that passed every rule: clear routing facts and the personal part."""

    kind: ApplicationKind
    category: ApplicantCategory
    authority: CompetentAuthority
    workplace_postcode: str
    employer_enterprise_number: str | None
    filed_by: FilerRole
    wished_start: date
    wished_end: date | None
    fee_paid: bool
    personal: SealedDossier  # sealed with the dossier's key before it leaves intake
    subjects: frozenset[str]  # the applicants who may follow this dossier


def validate(form: ApplicationForm, *, today: date, professional_card_enabled: bool) -> ValidFiling:
    """Every filing rule, in the order of the form; the first one broken refuses."""
    kind, category = form.kind, form.category
    procedure_is_open(kind, professional_card_enabled)
    category_fits_the_kind(kind, category)
    authority = competent_region(form.employment.workplace_postcode)
    niss = worker_identity(form.worker, today)
    employer_number = employer_of(form)
    mandatary_number = mandatary_of(form)
    dates_are_ahead(form, kind, today)
    category_needs_are_met(form, category, authority)
    fee_is_paid(form)
    subjects = {number for number in (niss, employer_number, mandatary_number) if number}
    # The form's own keys (documents travel as references), so the sealed contract and
    # the form cannot drift apart unnoticed: a field the contract lacks fails here.
    personal = form.model_dump(mode="json", exclude={"documents"})
    # Identifiers in their compact form: they are also the applicants' token subjects.
    personal["worker"]["niss"] = niss
    if personal.get("employer"):
        personal["employer"]["enterprise_number"] = employer_number
    return ValidFiling(
        kind=kind,
        category=category,
        authority=authority,
        workplace_postcode=form.employment.workplace_postcode,
        employer_enterprise_number=employer_number,
        filed_by=form.filed_by,
        wished_start=form.employment.start,
        wished_end=form.employment.end,
        fee_paid=bool(form.fee_payment_reference),
        personal=SealedDossier.model_validate(personal),
        subjects=frozenset(subjects),
    )
