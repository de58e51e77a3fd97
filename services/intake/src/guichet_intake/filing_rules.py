"""The filing rules (Art. 2 §1 1°, Art. 4, Art. 9, Art. 18, Art. 19-20), one small function
each, named after what it asks: pure, no I/O. ``domain.validate`` applies them in the
order of the form; every refusal names the field to correct and a reason a person can
act on.
"""

from __future__ import annotations

from datetime import date, timedelta

from stdnum.be import nn, ssn, vat

from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    FilerRole,
)
from guichet_intake.requests import ApplicationForm, CategoryDetails, Worker
from guichet_intake.rule_tables import (
    BASE_DOCUMENTS,
    CATEGORIES_OF_KIND,
    GERMAN_SPEAKING_POSTCODES,
    REQUIRED_DOCUMENTS,
    SEASONAL_SECTORS,
)


class FilingRejected(ValueError):
    """The application cannot be filed as it is; the message says what to correct."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def competent_region(postcode: str) -> CompetentAuthority:
    """The authority competent for a place of work, from its Belgian postcode (Art. 9)."""
    if not (len(postcode) == 4 and postcode.isdigit() and 1000 <= int(postcode) <= 9999):
        raise FilingRejected(
            "employment.workplace_postcode", f"{postcode!r} is not a Belgian postcode (1000-9999)"
        )
    code = int(postcode)
    if code in GERMAN_SPEAKING_POSTCODES:
        return CompetentAuthority.GERMAN_SPEAKING_COMMUNITY
    if code < 1300:
        return CompetentAuthority.BRUSSELS
    if code < 1500 or 4000 <= code < 8000:
        return CompetentAuthority.WALLONIA  # Walloon Brabant, Liège, Namur, Hainaut, Luxembourg
    return CompetentAuthority.FLANDERS  # Flemish Brabant, Antwerp, Limburg, both Flanders


def enterprise_number(value: str, field: str) -> str:
    if not vat.is_valid(value):
        raise FilingRejected(
            field,
            f"{value!r} is not a valid KBO/BCE enterprise number (10 digits, 0 or 1 "
            "first, the last two a check on the first eight)",
        )
    return str(vat.compact(value))


def procedure_is_open(kind: ApplicationKind, professional_card_enabled: bool) -> None:
    """Art. 34, 36: the professional card opens on a date a later agreement sets."""
    if kind is ApplicationKind.PROFESSIONAL_CARD and not professional_card_enabled:
        raise FilingRejected(
            "kind",
            "the professional-card procedure is not open yet: it enters into force on "
            "a date set by a later cooperation agreement (Art. 34, 36)",
        )


def category_fits_the_kind(kind: ApplicationKind, category: ApplicantCategory) -> None:
    """Art. 2 §1 1°, Art. 4: each kind of application admits its categories only."""
    if category not in CATEGORIES_OF_KIND[kind]:
        allowed = ", ".join(sorted(c.value for c in CATEGORIES_OF_KIND[kind]))
        raise FilingRejected("category", f"a {kind.value} application takes one of: {allowed}")


def worker_identity(worker: Worker, today: date) -> str | None:
    """The worker's NISS in its compact form, if given: valid, and born on the day it
    says; the birth date is in the past."""
    niss: str | None = None
    if worker.niss is not None:
        if not ssn.is_valid(worker.niss):
            raise FilingRejected(
                "worker.niss",
                "is not a valid NISS/INSZ (11 digits, the last two a check)",
            )
        niss = str(ssn.compact(worker.niss))
        if ssn.guess_type(niss) == "nn" and nn.get_birth_date(niss) != worker.birth_date:
            raise FilingRejected("worker.birth_date", "does not match the birth date in the NISS")
    if worker.birth_date >= today:
        raise FilingRejected("worker.birth_date", "must be in the past")
    return niss


def employer_of(form: ApplicationForm) -> str | None:
    """An employed worker's application names the employer (Art. 2); one without an
    enterprise number gives what registers it in the Crossroads Bank (Art. 20 §2 3°)."""
    if form.kind is ApplicationKind.PROFESSIONAL_CARD:
        return None
    if form.employer is None:
        raise FilingRejected("employer", f"a {form.kind.value} application needs the employer")
    if form.employer.enterprise_number is not None:
        return enterprise_number(form.employer.enterprise_number, "employer.enterprise_number")
    if form.employer.registration is None:
        raise FilingRejected(
            "employer.registration",
            "an employer without an enterprise number gives the "
            "data to register it in the Crossroads Bank for Enterprises (Art. 20 §2 3°)",
        )
    return None


def mandatary_of(form: ApplicationForm) -> str | None:
    """A mandatary filing says who the mandatary is; their enterprise number, if any,
    is valid, and they follow the dossier by it."""
    if form.filed_by is not FilerRole.MANDATARY:
        return None
    if form.mandatary is None:
        raise FilingRejected("mandatary", "a mandatary filing says who they are")
    if form.mandatary.enterprise_number is None:
        return None
    return enterprise_number(form.mandatary.enterprise_number, "mandatary.enterprise_number")


def fee_is_paid(form: ApplicationForm) -> None:
    """Art. 18: a single permit is filed with the proof of payment of the fee."""
    if form.kind is ApplicationKind.SINGLE_PERMIT and not form.fee_payment_reference:
        raise FilingRejected(
            "fee_payment_reference",
            "a single-permit application needs the proof of payment of the fee (Art. 18)",
        )


def dates_are_ahead(form: ApplicationForm, kind: ApplicationKind, today: date) -> None:
    """The wished start is not past, the end after it; a single permit is for more than
    90 days (Art. 2 §1 1° a)), shorter work takes a work authorisation (Art. 4 2°)."""
    start, end = form.employment.start, form.employment.end
    if start < today:
        raise FilingRejected("employment.start", "the wished start date is already past")
    if end is not None and end <= start:
        raise FilingRejected("employment.end", "must come after the start date")
    if kind is ApplicationKind.SINGLE_PERMIT and end is not None and end - start <= timedelta(90):
        raise FilingRejected(
            "employment.end",
            "a single permit is for work of more than 90 "
            "days (Art. 2 §1 1° a)); apply for a work authorisation instead",
        )


def category_needs_are_met(
    form: ApplicationForm, category: ApplicantCategory, authority: CompetentAuthority
) -> None:
    """What each category of Art. 4 needs on top of the general form, then the
    documents a complete application includes (Art. 20 §1)."""
    details = form.details
    researcher_is_hosted_by_an_approved_organisation(category, details)
    seasonal_work_is_in_a_listed_sector(category, details, authority)
    transfer_names_the_group_entity(category, details)
    volunteer_names_the_scheme(category, details)
    self_employed_describes_the_activity(category, details)
    documents_are_complete(form, category)


def researcher_is_hosted_by_an_approved_organisation(
    category: ApplicantCategory, details: CategoryDetails
) -> None:
    """Art. 4 7°: researchers (long-term mobility too)."""
    researcher = (ApplicantCategory.RESEARCHER, ApplicantCategory.RESEARCHER_LONG_TERM_MOBILITY)
    if category in researcher and not details.research_organisation_approval:
        raise FilingRejected(
            "details.research_organisation_approval",
            "a researcher's hosting organisation must be approved: give its approval number",
        )


def seasonal_work_is_in_a_listed_sector(
    category: ApplicantCategory, details: CategoryDetails, authority: CompetentAuthority
) -> None:
    """Art. 4 5°: seasonal work, in the sectors the competent region lists."""
    if category is ApplicantCategory.SEASONAL_WORKER:
        sectors = SEASONAL_SECTORS.get(authority, frozenset())
        if details.seasonal_sector not in sectors:
            raise FilingRejected(
                "details.seasonal_sector",
                f"seasonal work in {authority.value} is open to: {', '.join(sorted(sectors))}",
            )


def transfer_names_the_group_entity(category: ApplicantCategory, details: CategoryDetails) -> None:
    """Art. 4 6°: intra-corporate transferees (long-term mobility too)."""
    transfer = (
        ApplicantCategory.INTRA_CORPORATE_TRANSFEREE,
        ApplicantCategory.ICT_LONG_TERM_MOBILITY,
    )
    if category in transfer and not details.host_group_entity:
        raise FilingRejected(
            "details.host_group_entity",
            "an intra-corporate transfer names the group entity the worker is transferred from",
        )


def volunteer_names_the_scheme(category: ApplicantCategory, details: CategoryDetails) -> None:
    """Art. 4 9°: volunteers, in a voluntary service scheme."""
    if category is ApplicantCategory.VOLUNTEER and not details.volunteer_programme:
        raise FilingRejected("details.volunteer_programme", "name the voluntary service scheme")


def self_employed_describes_the_activity(
    category: ApplicantCategory, details: CategoryDetails
) -> None:
    """Art. 4 3°: the self-employed (professional card)."""
    if category is ApplicantCategory.SELF_EMPLOYED and not details.self_employed_activity:
        raise FilingRejected(
            "details.self_employed_activity", "describe the self-employed activity"
        )


def documents_are_complete(form: ApplicationForm, category: ApplicantCategory) -> None:
    """Art. 20 §1: the passport, and what the category requires."""
    supplied = {document.kind for document in form.documents}
    missing = (BASE_DOCUMENTS | REQUIRED_DOCUMENTS.get(category, frozenset())) - supplied
    if missing:
        raise FilingRejected(
            "documents",
            "a complete application includes: " + ", ".join(sorted(kind.value for kind in missing)),
        )
