"""The sealed dossier: the personal part of a filing, as intake seals it (Art. 12-13, 20).

``ApplicationFiled.dossier`` carries it sealed with the dossier's key (see ``sealed``);
the services with a need to know open it with ``vault.unseal_as(sealed, SealedDossier)``
(Art. 11) and read its attributes, so a renamed field breaks the type check, not the
notifications, consultation or erasure that rely on it.

The JSON keys are those of intake's filing form (without the documents, which travel as
references), so every dossier sealed before this contract existed still opens. The
form's checks (lengths, patterns, e-mail syntax) ran when the dossier was filed; this
contract records what was accepted, so a later tightening of the form never makes a
stored dossier unreadable. A new meaning is a new ``schema_version``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts.vocabulary import ApplicantCategory, ApplicationKind, FilerRole, Language


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(_Part):
    street: str
    postcode: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-2")


class Worker(_Part):
    """The third-country national (Art. 12)."""

    niss: str | None = Field(default=None, description="NISS/INSZ, compact (11 digits)")
    last_name: str
    first_names: str
    birth_date: date
    birth_place: str
    sex: Literal["F", "M", "X"]
    nationality: str = Field(description="ISO 3166-1 alpha-2")
    passport_number: str
    address: Address
    email: str = Field(description="Where notifications go (Art. 20 §5)")
    phone: str | None = None
    language: Language = "en"


class CrossroadsRegistration(_Part):
    """An employer without an enterprise number, to register in the Crossroads Bank for
    Enterprises (Art. 20 §2 3°)."""

    legal_name: str
    legal_form: str
    address: Address
    activity_start: date
    representative_name: str


class Employer(_Part):
    enterprise_number: str | None = Field(default=None, description="KBO/BCE, compact")
    name: str
    email: str
    phone: str | None = None
    registration: CrossroadsRegistration | None = None


class Mandatary(_Part):
    """A social secretariat, lawyer or other representative filing for someone."""

    name: str
    enterprise_number: str | None = None
    email: str


class Employment(_Part):
    """Employment terms (Art. 13 §1)."""

    workplace_postcode: str
    job_title: str
    start: date
    end: date | None = None
    weekly_hours: float
    gross_monthly_wage_eur: float
    joint_committee: str | None = None


class CategoryDetails(_Part):
    """What a category of Art. 4 needs on top of the general form."""

    research_organisation_approval: str | None = None
    seasonal_sector: str | None = None
    host_group_entity: str | None = None
    volunteer_programme: str | None = None
    self_employed_activity: str | None = None


class SealedDossier(_Part):
    """The personal part of a filing, sealed in ``ApplicationFiled.dossier``."""

    schema_version: Literal[1] = 1
    kind: ApplicationKind
    category: ApplicantCategory
    filed_by: FilerRole
    worker: Worker
    employer: Employer | None = None
    mandatary: Mandatary | None = None
    employment: Employment
    details: CategoryDetails = CategoryDetails()
    fee_payment_reference: str | None = None
