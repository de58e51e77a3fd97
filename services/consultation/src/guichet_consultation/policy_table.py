"""The access policy as written: who reads which data category of a dossier, and when.

Each line names authorities (``Authority`` codes), data categories and one condition
(their names in ``guichet_consultation.policy``), says whether access is allowed or
explicitly denied, which designated role the agent's token must carry, and the article of
the cooperation agreement of 31 January 2025 it applies. Whatever no line allows is
refused (Art. 11: each controller sees only what its task needs). An explicit denial
wins over any allow. ``guichet_consultation.policy.POLICY`` parses and validates this
table at import: a misspelt name, a line without article or two lines that contradict
each other stop the service from starting. No category carries the reasons of a
decision: nobody but the worker concerned, notified outside the platform, reads them
(Art. 24).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One line of the table, as a person writes and reviews it."""

    who: str  # authority codes, separated by spaces
    what: str  # data-category names, separated by spaces
    when: str  # one condition name
    allowed: bool
    article: str
    role: str | None = None  # the designated role the agent's token must carry
    note: str = ""


ALLOW, DENY = True, False
REGIONS = "VLG WAL BXL DG"
HEALTH_ROLE = "health_data"  # Art. 16 §1 1°: staff designated for health data
CRIMINAL_ROLE = "criminal_records"  # Art. 17: staff designated for criminal-record data

DOSSIER = "summary identification contact employment documents timeline"
DECISIONS = "regional_decisions residence_decisions withdrawals negative_decision_flags"

TABLE: tuple[Line, ...] = (
    # The competent region: the region of the place of work (Art. 7, 9, 12 §1).
    Line(
        REGIONS,
        f"{DOSSIER} {DECISIONS} employer_registration",
        "own_territory",
        ALLOW,
        "Art. 12 §1",
        note="the competent region examines admissibility and the work part from the dossier",
    ),
    Line(
        REGIONS,
        "employment_declarations",
        "own_territory",
        ALLOW,
        "Art. 14",
        note="ONSS and INASTI communicate wage, employment and self-employed data to the regions",
    ),
    Line(
        REGIONS,
        "health",
        "own_territory",
        ALLOW,
        "Art. 15-16",
        role=HEALTH_ROLE,
        note="medical certificates, to the staff the region designated for health data",
    ),
    Line(
        REGIONS,
        "criminal_record",
        "self_employed_dossier",
        ALLOW,
        "Art. 17 §2",
        role=CRIMINAL_ROLE,
        note="the self-employed's criminal record, to the staff the region designated for it",
    ),
    Line(
        REGIONS,
        "criminal_record",
        "worker_dossier",
        DENY,
        "Art. 17 §1",
        note="workers' criminal-record data is processed by the Immigration Office only",
    ),
    Line(
        REGIONS,
        "criminal_record",
        "other_territory",
        DENY,
        "Art. 11",
        note="only the competent region examines the self-employed's criminal record",
    ),
    # Another region: mutual recognition (Art. 26).
    Line(
        REGIONS,
        "summary identification employment documents timeline regional_decisions "
        "withdrawals negative_decision_flags",
        "other_territory",
        ALLOW,
        "Art. 26",
        note="mutual recognition: the dossier filed with another region and that region's "
        "decisions",
    ),
    # The Immigration Office decides residence (Art. 12 §1, 17 §1).
    Line(
        "OE",
        f"{DOSSIER} {DECISIONS}",
        "always",
        ALLOW,
        "Art. 12 §1",
        note="the Immigration Office has access to the dossier and decides residence",
    ),
    Line(
        "OE",
        "employment_declarations",
        "always",
        ALLOW,
        "Art. 14",
        note="ONSS and INASTI communicate wage, employment and self-employed data to the "
        "Immigration Office",
    ),
    Line(
        "OE",
        "health",
        "always",
        ALLOW,
        "Art. 15-16",
        role=HEALTH_ROLE,
        note="medical certificates, to the staff the Office designated for health data",
    ),
    Line(
        "OE",
        "criminal_record",
        "worker_dossier",
        ALLOW,
        "Art. 17 §1",
        role=CRIMINAL_ROLE,
        note="workers' criminal record, to the staff the Office designated for it",
    ),
    Line(
        "OE",
        "criminal_record",
        "self_employed_dossier",
        DENY,
        "Art. 17 §2",
        note="the self-employed's criminal record is processed by the regions",
    ),
    # Inspection services, for the control of the law they enforce (Art. 10 7°-8°, 25).
    Line(
        "INSP_FED INSP_REG",
        "summary identification employment regional_decisions "
        "negative_decision_flags employment_declarations",
        "inspection",
        ALLOW,
        "Art. 25",
        note="the dossier and regional decisions useful to their control; of a negative "
        "decision, only that it was taken",
    ),
    # Diplomatic posts and communes (Art. 21-23).
    Line(
        "POST COMMUNE",
        "summary identification regional_decisions residence_decisions",
        "visa_or_residence_request",
        ALLOW,
        "Art. 21-23",
        note="authorisation decisions, when the person asks a visa D or a temporary "
        "residence document",
    ),
    # Approved business counters (Art. 3, 20 §2 3°).
    Line(
        "GEA",
        "employer_registration",
        "employer_to_register",
        ALLOW,
        "Art. 3, Art. 20 §2 3°",
        note="the data to register an employer without an enterprise number in the "
        "Crossroads Bank for Enterprises",
    ),
    # Public employment services (Art. 10 9°).
    Line(
        "PES",
        "summary withdrawals",
        "single_permit_withdrawn",
        ALLOW,
        "Art. 10 9°",
        note="single-permit withdrawals, to help the worker find another job",
    ),
    # Applicants and the worker concerned (Art. 20, 24, 29).
    Line(
        "APPLICANT",
        f"{DOSSIER} {DECISIONS} employer_registration",
        "applicant_of_dossier",
        ALLOW,
        "Art. 20",
        note="the applicant follows the application they filed; of a "
        "negative decision the dossier states only that it was taken (Art. 24)",
    ),
    Line(
        "APPLICANT",
        f"{DOSSIER} {DECISIONS} health criminal_record",
        "worker_of_dossier",
        ALLOW,
        "Art. 29",
        note="the worker concerned reads their own data (GDPR Art. 15); "
        "the full negative decision reaches them by notification (Art. 24)",
    ),
)

# How the register and the verdicts name categories and conditions, for people.
LABELS: dict[str, str] = {
    "summary": "the dossier summary",
    "identification": "identification data",
    "contact": "contact data",
    "employment": "employment data",
    "employer_registration": "employer-registration data",
    "documents": "the list of documents",
    "health": "health data",
    "criminal_record": "criminal-record data",
    "regional_decisions": "regional decisions",
    "residence_decisions": "residence decisions",
    "withdrawals": "withdrawals and ends of stay",
    "negative_decision_flags": "negative-decision flags",
    "timeline": "the timeline",
    "employment_declarations": "ONSS/INASTI employment declarations",
}
WHEN: dict[str, str] = {
    "always": "in every case",
    "own_territory": "it is the dossier's competent region",
    "other_territory": "the dossier is filed with another region",
    "worker_dossier": "the dossier is a worker's (not a professional card)",
    "self_employed_dossier": "the dossier is a professional card",
    "visa_or_residence_request": "its purpose is 'visa_d' or 'temporary_residence_document' "
    "and the dossier holds an authorisation",
    "inspection": "its purpose is 'inspection'",
    "employer_to_register": "the employer has no enterprise number yet",
    "single_permit_withdrawn": "the single permit was withdrawn",
    "applicant_of_dossier": "it is an applicant of the dossier",
    "worker_of_dossier": "it is the worker concerned",
}
