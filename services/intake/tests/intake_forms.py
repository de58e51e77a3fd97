"""A complete filing to vary, rule by rule (the form of the portal, Art. 19-20)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from guichet_intake.domain import FilingRejected, ValidFiling, validate
from guichet_intake.requests import ApplicationForm

TODAY = date(2027, 6, 1)


def complete_form() -> dict[str, Any]:
    """A single permit for an EU Blue Card in Antwerp, filed by the employer: valid."""
    return {
        "kind": "single_permit",
        "category": "eu_blue_card",
        "filed_by": "employer",
        "worker": {
            "niss": "85.07.30-033.28",
            "last_name": "Diallo",
            "first_names": "Amina",
            "birth_date": "1985-07-30",
            "birth_place": "Dakar",
            "sex": "F",
            "nationality": "SN",
            "passport_number": "A12345678",
            "address": {
                "street": "Rue 1",
                "postcode": "1000",
                "city": "Bruxelles",
                "country": "BE",
            },
            "email": "amina@example.org",
        },
        "employer": {
            "enterprise_number": "0403.019.261",
            "name": "Acme",
            "email": "hr@example.org",
        },
        "employment": {
            "workplace_postcode": "2000",
            "job_title": "Data engineer",
            "start": "2027-09-01",
            "end": "2029-08-31",
            "weekly_hours": 38,
            "gross_monthly_wage_eur": 5200,
        },
        "fee_payment_reference": "+++090/9337/55493+++",
        "documents": [document("passport"), document("diploma")],
    }


def document(kind: str) -> dict[str, str]:
    # The rules read the kind only; what a document may contain is test_intake_documents.
    return {
        "kind": kind,
        "filename": f"{kind}.pdf",
        "media_type": "application/pdf",
        "content_base64": "JVBERi0=",
    }


def with_changes(form: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``{"worker.niss": None, "documents": [...]}``: each dotted field set to its value."""
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        target = form
        for name in parents:
            target = target.setdefault(name, {})
        target[leaf] = value
    return form


def file_form(
    changes: dict[str, Any] | None = None, *, card_open: bool = False, today: date = TODAY
) -> ValidFiling:
    """When the filer sends the complete form with ``changes``: the filing's facts
    (what ``ApplicationFiled`` will say), or ``FilingRejected`` naming the field."""
    form = ApplicationForm.model_validate(with_changes(complete_form(), changes or {}))
    return validate(form, today=today, professional_card_enabled=card_open)


def refused(changes: dict[str, Any], **options: Any) -> FilingRejected:
    """The refusal of the complete form with ``changes``."""
    with pytest.raises(FilingRejected) as refusal:
        file_form(changes, **options)
    return refusal.value
