"""What a filer sends: the online form of the portal "Working in Belgium" (Art. 19-20).

Personal data in these models never leaves intake in clear: it is sealed with the
dossier's key before it enters an event, as a ``SealedDossier`` (``domain.validate``).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    DocumentKind,
    FilerRole,
    Language,
)
from guichet_intake.documents import MAX_DOCUMENTS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(Strict):
    street: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=2, max_length=12)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["BE"])


class Worker(Strict):
    """The third-country national (Art. 12)."""

    niss: str | None = Field(default=None, description="Belgian NISS/INSZ (national or bis)")
    last_name: str = Field(min_length=1, max_length=100)
    first_names: str = Field(min_length=1, max_length=200)
    birth_date: date
    birth_place: str = Field(min_length=1, max_length=100)
    sex: Literal["F", "M", "X"]
    nationality: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    passport_number: str = Field(min_length=5, max_length=20)
    address: Address
    email: EmailStr = Field(description="Where notifications go (Art. 20 §5)")
    phone: str | None = Field(default=None, max_length=30)
    language: Language = "en"


class CrossroadsRegistration(Strict):
    """What an employer without an enterprise number gives to be registered in the
    Crossroads Bank for Enterprises (Art. 20 §2 3°)."""

    legal_name: str = Field(min_length=1, max_length=200)
    legal_form: str = Field(min_length=1, max_length=60)
    address: Address
    activity_start: date
    representative_name: str = Field(min_length=1, max_length=200)


class Employer(Strict):
    enterprise_number: str | None = Field(default=None, examples=["0403.019.261"])
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=30)
    registration: CrossroadsRegistration | None = None


class Mandatary(Strict):
    """A social secretariat, lawyer or other representative filing for someone."""

    name: str = Field(min_length=1, max_length=200)
    enterprise_number: str | None = None
    email: EmailStr


class Employment(Strict):
    """Employment terms (Art. 13 §1)."""

    workplace_postcode: str = Field(examples=["1000"], description="Postcode of the place of work")
    job_title: str = Field(min_length=1, max_length=200)
    start: date
    end: date | None = None
    weekly_hours: float = Field(gt=0, le=60)
    gross_monthly_wage_eur: float = Field(ge=0, le=1_000_000)
    joint_committee: str | None = Field(default=None, pattern=r"^[0-9]{3}(\.[0-9]{2})?$")


class CategoryDetails(Strict):
    """What a category of Art. 4 needs on top of the general form."""

    research_organisation_approval: str | None = Field(default=None, max_length=50)
    seasonal_sector: str | None = Field(default=None, max_length=50)
    host_group_entity: str | None = Field(default=None, max_length=200)
    volunteer_programme: str | None = Field(default=None, max_length=200)
    self_employed_activity: str | None = Field(default=None, max_length=200)


class DocumentUpload(Strict):
    kind: DocumentKind
    filename: str = Field(min_length=1, max_length=200)
    media_type: Literal["application/pdf", "image/jpeg", "image/png"]
    content_base64: str = Field(min_length=1)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")


class ApplicationForm(Strict):
    kind: ApplicationKind
    category: ApplicantCategory
    filed_by: FilerRole
    worker: Worker
    employer: Employer | None = None
    mandatary: Mandatary | None = None
    employment: Employment
    details: CategoryDetails = CategoryDetails()
    fee_payment_reference: str | None = Field(default=None, max_length=60)
    documents: list[DocumentUpload] = Field(default_factory=list, max_length=MAX_DOCUMENTS)


class SupplementForm(Strict):
    request_id: str = Field(min_length=1, max_length=64)
    documents: list[DocumentUpload] = Field(min_length=1, max_length=MAX_DOCUMENTS)
