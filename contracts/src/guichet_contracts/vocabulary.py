"""The shared vocabulary of the agreement: kinds, categories, authorities, steps.

Article numbers refer to the cooperation agreement of 31 January 2025 (accord de
coopération guichet unique / samenwerkingsakkoord uniek loket).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

Language = Literal["fr", "nl", "de", "en"]
"""The languages Guichet speaks to applicants (Art. 20 §5): French, Dutch, German and
English. A ``Literal``, not an enum: it is a JSON string in forms and sealed data."""
LANGUAGES: tuple[Language, ...] = get_args(Language)


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


class Authority(StrEnum):
    """The bodies that call Guichet under the cooperation agreement of 31 January 2025."""

    VLG = "VLG"
    """Flemish Region: Departement Werk en Sociale Economie, Economische Migratie (Art. 9, 12)."""
    WAL = "WAL"
    """Walloon Region: SPW, Direction de l'Emploi et des Permis de travail (Art. 9, 12)."""
    BXL = "BXL"
    """Brussels-Capital Region: Bruxelles Économie et Emploi / Brussel Economie en
    Werkgelegenheid, Direction de la Migration économique (Art. 9, 12)."""
    DG = "DG"
    """German-speaking Community (Deutschsprachige Gemeinschaft), for its nine
    municipalities (Art. 9 §7, 12)."""
    OE = "OE"
    """Immigration Office: Office des étrangers / Dienst Vreemdelingenzaken; decides
    residence (Art. 12 §1)."""
    ONSS = "ONSS"
    """ONSS / RSZ: builds and runs the platform (Art. 8); feeds DIMONA, LIMOSA and DmfA
    data (Art. 14 §1)."""
    INASTI = "INASTI"
    """INASTI / RSVZ: feeds self-employed data for professional cards (Art. 14 §2)."""
    FEDERAL_INSPECTION = "INSP_FED"
    """Federal social inspection: consults what it needs to enforce its law (Art. 25)."""
    REGIONAL_INSPECTION = "INSP_REG"
    """Regional inspection services (inspection régionale / regionale inspectie) (Art. 25)."""
    DIPLOMATIC_POST = "POST"
    """Diplomatic or consular post (poste diplomatique): receives decisions for a long-stay
    visa D (Art. 21-23)."""
    COMMUNE = "COMMUNE"
    """Commune / gemeente: receives decisions, issues the temporary residence document
    (Art. 21-23)."""
    BUSINESS_COUNTER = "GEA"
    """Approved business counter (guichet d'entreprises agréé / erkend ondernemingsloket):
    registers employers in the Crossroads Bank for Enterprises (Art. 3, 20 §2 3°)."""
    PUBLIC_EMPLOYMENT_SERVICE = "PES"
    """VDAB, FOREM, Actiris, ADG: receive single-permit withdrawals (Art. 10 9°)."""
    APPLICANT = "APPLICANT"
    """Worker, employer, self-employed person or their mandatary; the only one told the
    full text of a negative decision (Art. 20 §5, 24)."""
    PLATFORM_OPS = "OPS"
    """Operators of the platform on behalf of the processor ONSS (Art. 8): no dossier content."""
    COURT_REGISTRY = "COURT"
    """Registry (greffe / griffie) of a court hearing appeals against the decisions, e.g.
    the Council for Alien Law Litigation or the Council of State: records that an appeal
    was lodged and when it ended, which holds the deletion of the dossier (Art. 27 §1 3°)."""


class CompetentAuthority(StrEnum):
    """Authorities that decide a part of the dossier (Art. 9 §4-7, Art. 12 §1)."""

    FLANDERS = "VLG"
    WALLONIA = "WAL"
    BRUSSELS = "BXL"
    GERMAN_SPEAKING_COMMUNITY = "DG"
    IMMIGRATION_OFFICE = "OE"


class CourtRegistry(StrEnum):
    """The registry of a court hearing appeals against these decisions (Council for Alien
    Law Litigation, Council of State): it too records an appeal and its end (Art. 27 §1 3°)."""

    COURT_REGISTRY = "COURT"


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


class DocumentKind(StrEnum):
    """Documents a dossier may hold (Art. 12, 13, 15-18, 20 §4)."""

    PASSPORT = "passport"
    RESIDENCE_PERMIT = "residence_permit"
    VISA_D = "visa_d"
    PHOTO = "photo"
    EMPLOYMENT_CONTRACT = "employment_contract"
    HOSTING_AGREEMENT = "hosting_agreement"  # researchers (Directive 2016/801)
    TRAINEESHIP_AGREEMENT = "traineeship_agreement"
    POSTING_CERTIFICATE = "posting_certificate"  # intra-corporate transferees
    DIPLOMA = "diploma"
    MEDICAL_CERTIFICATE = "medical_certificate"  # health data, Art. 15-16
    CRIMINAL_RECORD_EXTRACT = "criminal_record_extract"  # criminal data, Art. 17
    HEALTH_INSURANCE = "health_insurance"
    FEE_PAYMENT_PROOF = "fee_payment_proof"  # Art. 18
    BUSINESS_PLAN = "business_plan"  # professional card
    OTHER = "other"


class TimelineStep(StrEnum):
    """The steps a dossier's timeline names, the same in every service that shows one
    (the regions', the Immigration Office's and the applicant's views)."""

    FILED = "filed"
    ADMISSIBLE = "admissible"  # Art. 12 §1
    DOCUMENTS_REQUESTED = "documents_requested"  # Art. 20 §4
    DOCUMENTS_SUPPLIED = "documents_supplied"
    WORK_AUTHORISED = "work_authorised"
    PROFESSIONAL_CARD_GRANTED = "card_granted"
    RESIDENCE_AUTHORISED = "residence_authorised"
    SINGLE_PERMIT_GRANTED = "single_permit_granted"  # Art. 2 §1 1° a)
    STAY_ENDED = "stay_ended"  # Art. 18
    # A negative decision or a withdrawal names the step it ends (Art. 18, 24).
    ADMISSIBILITY_REFUSED = "admissibility_refused"
    WORK_REFUSED = "work_refused"
    PROFESSIONAL_CARD_REFUSED = "professional_card_refused"
    RESIDENCE_REFUSED = "residence_refused"
    WORK_WITHDRAWN = "work_withdrawn"
    PROFESSIONAL_CARD_WITHDRAWN = "professional_card_withdrawn"
    RESIDENCE_WITHDRAWN = "residence_withdrawn"

    @classmethod
    def refused(cls, step: DecisionStep) -> TimelineStep:
        return cls(f"{step.value}_refused")

    @classmethod
    def withdrawn(cls, step: DecisionStep) -> TimelineStep:
        return cls(f"{step.value}_withdrawn")
