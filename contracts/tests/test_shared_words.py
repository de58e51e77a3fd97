"""The words every service shares, defined once in contracts: the sealed dossier, the
languages, the authorities and the topics."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from guichet_contracts import topics
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.schemas import SCHEMA_DIR
from guichet_contracts.vocabulary import LANGUAGES, Authority, CompetentAuthority

# A dossier exactly as intake sealed it before SealedDossier existed (the form's dump):
# such values sit in every store and topic, and must keep opening.
SEALED_BEFORE_THE_CONTRACT: dict[str, Any] = {
    "kind": "work_authorisation",
    "category": "seasonal_worker",
    "filed_by": "mandatary",
    "worker": {
        "niss": None,
        "last_name": "Diallo",
        "first_names": "Amina",
        "birth_date": "1985-07-30",
        "birth_place": "Dakar",
        "sex": "F",
        "nationality": "SN",
        "passport_number": "A12345678",
        "address": {"street": "Rue 1", "postcode": "1000", "city": "Bruxelles", "country": "BE"},
        "email": "amina@example.org",
        "phone": None,
        "language": "fr",
    },
    "employer": {
        "enterprise_number": None,
        "name": "Ferme Dupont",
        "email": "ferme@example.org",
        "phone": "+32 81 00 00 00",
        "registration": {
            "legal_name": "Ferme Dupont SRL",
            "legal_form": "SRL",
            "address": {"street": "Rue 2", "postcode": "5000", "city": "Namur", "country": "BE"},
            "activity_start": "2027-01-01",
            "representative_name": "Jean Dupont",
        },
    },
    "mandatary": {"name": "SSE Partena", "enterprise_number": "0409536968", "email": "s@e.org"},
    "employment": {
        "workplace_postcode": "5000",
        "job_title": "Fruit picker",
        "start": "2027-07-01",
        "end": "2027-09-30",
        "weekly_hours": 38.0,
        "gross_monthly_wage_eur": 2100.0,
        "joint_committee": "144",
    },
    "details": {
        "research_organisation_approval": None,
        "seasonal_sector": "agriculture",
        "host_group_entity": None,
        "volunteer_programme": None,
        "self_employed_activity": None,
    },
    "fee_payment_reference": None,
}


def test_a_dossier_sealed_before_the_contract_opens_as_a_sealed_dossier() -> None:
    dossier = SealedDossier.model_validate(SEALED_BEFORE_THE_CONTRACT)
    assert dossier.schema_version == 1  # what was sealed before is version 1
    assert dossier.worker.birth_date == date(1985, 7, 30)
    assert dossier.employer is not None and dossier.employer.registration is not None
    assert dossier.employment.gross_monthly_wage_eur == 2100
    # Sealed again, it keeps every key it had, plus its version.
    again = dossier.model_dump(mode="json")
    assert again == {"schema_version": 1, **SEALED_BEFORE_THE_CONTRACT}


def test_a_sealed_dossier_is_frozen_and_has_no_room_for_other_fields() -> None:
    dossier = SealedDossier.model_validate(SEALED_BEFORE_THE_CONTRACT)
    with pytest.raises(ValidationError):
        dossier.worker.email = "other@example.org"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        SealedDossier.model_validate({**SEALED_BEFORE_THE_CONTRACT, "documents": []})
    with pytest.raises(ValidationError):
        SealedDossier.model_validate({**SEALED_BEFORE_THE_CONTRACT, "schema_version": 2})


def test_the_sealed_dossier_is_published_as_json_schema() -> None:
    schema = json.loads((SCHEMA_DIR / "sealed-dossier.v1.json").read_text(encoding="utf-8"))
    assert schema["x-schema-version"] == 1
    assert schema["additionalProperties"] is False
    assert {"worker", "employer", "mandatary", "employment"} <= set(schema["properties"])


def test_the_languages_are_the_three_national_ones_and_english_art_20() -> None:
    assert LANGUAGES == ("fr", "nl", "de", "en")


def test_every_deciding_authority_is_a_token_authority() -> None:
    assert {member.value for member in CompetentAuthority} <= {a.value for a in Authority}


def test_each_topic_is_named_once_and_versioned() -> None:
    names = [value for name, value in vars(topics).items() if name.endswith("_TOPIC")]
    assert sorted(names) == sorted(topics.ALL_TOPICS)
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"guichet\.[a-z-]+\.v[0-9]+", name), name
