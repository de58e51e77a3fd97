"""Filing an application (Art. 2 §1 1°, Art. 4, Art. 19-20): pure rules, no I/O.

Every rule refuses with the field to correct and a reason a person can act on. The
competent region is the region of the place of work (Art. 9); the German-speaking
Community decides for its nine municipalities (Eupen, Kelmis, Lontzen, Raeren, Amel,
Büllingen, Bütgenbach, Burg-Reuland, Sankt Vith), all in the province of Liège.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.be import nn, ssn, vat

from guichet_contracts.dossier import SealedDossier
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    DocumentKind,
    FilerRole,
)
from guichet_intake.requests import ApplicationForm

GERMAN_SPEAKING_POSTCODES = frozenset(
    {
        4700,
        4701,
        4710,
        4711,
        4720,
        4721,
        4728,
        4730,
        4731,
        4750,
        4760,
        4761,
        4770,
        4771,
        4780,
        4782,
        4783,
        4784,
        4790,
        4791,
    }
)

# Sectors open to seasonal work, per region (Art. 4: "sector lists of the regions").
SEASONAL_SECTORS: dict[CompetentAuthority, frozenset[str]] = {
    CompetentAuthority.FLANDERS: frozenset({"agriculture", "horticulture"}),
    CompetentAuthority.WALLONIA: frozenset({"agriculture", "horticulture"}),
    CompetentAuthority.BRUSSELS: frozenset({"horticulture"}),
    CompetentAuthority.GERMAN_SPEAKING_COMMUNITY: frozenset({"agriculture", "horticulture"}),
}

# Which categories each kind of application admits (Art. 2 §1 1°, Art. 4).
CATEGORIES_OF_KIND: dict[ApplicationKind, frozenset[ApplicantCategory]] = {
    ApplicationKind.SINGLE_PERMIT: frozenset(ApplicantCategory) - {ApplicantCategory.SELF_EMPLOYED},
    ApplicationKind.WORK_AUTHORISATION: frozenset(
        {
            ApplicantCategory.GENERAL,
            ApplicantCategory.SEASONAL_WORKER,
            ApplicantCategory.TRAINEE,
            ApplicantCategory.OTHER,
        }
    ),
    ApplicationKind.PROFESSIONAL_CARD: frozenset({ApplicantCategory.SELF_EMPLOYED}),
}

# Documents a complete application needs, by category (the form tells the filer, Art. 19).
REQUIRED_DOCUMENTS: dict[ApplicantCategory, frozenset[DocumentKind]] = {
    ApplicantCategory.EU_BLUE_CARD: frozenset({DocumentKind.DIPLOMA}),
    ApplicantCategory.RESEARCHER: frozenset({DocumentKind.HOSTING_AGREEMENT}),
    ApplicantCategory.RESEARCHER_LONG_TERM_MOBILITY: frozenset({DocumentKind.HOSTING_AGREEMENT}),
    ApplicantCategory.INTRA_CORPORATE_TRANSFEREE: frozenset({DocumentKind.POSTING_CERTIFICATE}),
    ApplicantCategory.ICT_LONG_TERM_MOBILITY: frozenset({DocumentKind.POSTING_CERTIFICATE}),
    ApplicantCategory.TRAINEE: frozenset({DocumentKind.TRAINEESHIP_AGREEMENT}),
    ApplicantCategory.SELF_EMPLOYED: frozenset({DocumentKind.BUSINESS_PLAN}),
}
BASE_DOCUMENTS = frozenset({DocumentKind.PASSPORT})


class FilingRejected(ValueError):
    """The application cannot be filed as it is; the message says what to correct."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def competent_region(postcode: str) -> CompetentAuthority:
    """The authority competent for a place of work, from its Belgian postcode."""
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
    kind, category = form.kind, form.category
    if kind is ApplicationKind.PROFESSIONAL_CARD and not professional_card_enabled:
        raise FilingRejected(
            "kind",
            "the professional-card procedure is not open yet: it enters into force on "
            "a date set by a later cooperation agreement (Art. 34, 36)",
        )
    if category not in CATEGORIES_OF_KIND[kind]:
        allowed = ", ".join(sorted(c.value for c in CATEGORIES_OF_KIND[kind]))
        raise FilingRejected("category", f"a {kind.value} application takes one of: {allowed}")
    authority = competent_region(form.employment.workplace_postcode)
    subjects: set[str] = set()

    worker = form.worker
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
        subjects.add(niss)
    if worker.birth_date >= today:
        raise FilingRejected("worker.birth_date", "must be in the past")

    employer_number: str | None = None
    if kind is not ApplicationKind.PROFESSIONAL_CARD:
        if form.employer is None:
            raise FilingRejected("employer", f"a {kind.value} application needs the employer")
        if form.employer.enterprise_number is not None:
            employer_number = enterprise_number(
                form.employer.enterprise_number, "employer.enterprise_number"
            )
            subjects.add(employer_number)
        elif form.employer.registration is None:
            raise FilingRejected(
                "employer.registration",
                "an employer without an enterprise number gives the "
                "data to register it in the Crossroads Bank for Enterprises (Art. 20 §2 3°)",
            )
    if form.filed_by is FilerRole.MANDATARY:
        if form.mandatary is None:
            raise FilingRejected("mandatary", "a mandatary filing says who they are")
        if form.mandatary.enterprise_number is not None:
            subjects.add(
                enterprise_number(form.mandatary.enterprise_number, "mandatary.enterprise_number")
            )

    _check_dates(form, kind, today)
    _check_category(form, category, authority)
    if kind is ApplicationKind.SINGLE_PERMIT and not form.fee_payment_reference:
        raise FilingRejected(
            "fee_payment_reference",
            "a single-permit application needs the proof of payment of the fee (Art. 18)",
        )
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


def _check_dates(form: ApplicationForm, kind: ApplicationKind, today: date) -> None:
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


def _check_category(
    form: ApplicationForm, category: ApplicantCategory, authority: CompetentAuthority
) -> None:
    details = form.details
    researcher = (ApplicantCategory.RESEARCHER, ApplicantCategory.RESEARCHER_LONG_TERM_MOBILITY)
    if category in researcher and not details.research_organisation_approval:
        raise FilingRejected(
            "details.research_organisation_approval",
            "a researcher's hosting organisation must be approved: give its approval number",
        )
    if category is ApplicantCategory.SEASONAL_WORKER:
        sectors = SEASONAL_SECTORS.get(authority, frozenset())
        if details.seasonal_sector not in sectors:
            raise FilingRejected(
                "details.seasonal_sector",
                f"seasonal work in {authority.value} is open to: {', '.join(sorted(sectors))}",
            )
    if (
        category
        in (ApplicantCategory.INTRA_CORPORATE_TRANSFEREE, ApplicantCategory.ICT_LONG_TERM_MOBILITY)
        and not details.host_group_entity
    ):
        raise FilingRejected(
            "details.host_group_entity",
            "an intra-corporate transfer names the group entity the worker is transferred from",
        )
    if category is ApplicantCategory.VOLUNTEER and not details.volunteer_programme:
        raise FilingRejected("details.volunteer_programme", "name the voluntary service scheme")
    if category is ApplicantCategory.SELF_EMPLOYED and not details.self_employed_activity:
        raise FilingRejected(
            "details.self_employed_activity", "describe the self-employed activity"
        )
    supplied = {document.kind for document in form.documents}
    missing = (BASE_DOCUMENTS | REQUIRED_DOCUMENTS.get(category, frozenset())) - supplied
    if missing:
        raise FilingRejected(
            "documents",
            "a complete application includes: " + ", ".join(sorted(kind.value for kind in missing)),
        )
