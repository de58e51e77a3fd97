"""The shared vocabulary of the agreement: kinds, categories, authorities, steps.

Article numbers refer to the cooperation agreement of 31 January 2025 (accord de
coopération guichet unique / samenwerkingsakkoord uniek loket).
"""

from __future__ import annotations

from enum import StrEnum


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
