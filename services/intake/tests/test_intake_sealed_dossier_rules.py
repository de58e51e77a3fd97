"""What intake seals is a ``SealedDossier`` (Art. 11-13): the form's personal part, under
the same JSON keys, so the dossiers sealed before the contract existed still open.

Pure (``make unit``): the form, the rules and the contract, no vault.
"""

from __future__ import annotations

from typing import Any

from intake_forms import complete_form, file_form, with_changes
from pydantic import BaseModel

from guichet_contracts.dossier import SealedDossier
from guichet_intake.requests import ApplicationForm


def _keys(model: type[BaseModel]) -> dict[str, Any]:
    """Every field of ``model``, nested models as their own key trees."""
    tree: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        nested = [
            arg
            for arg in (field.annotation, *getattr(field.annotation, "__args__", ()))
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        tree[name] = _keys(nested[0]) if nested else None
    return tree


def test_the_sealed_dossier_has_the_keys_of_the_form_but_the_documents() -> None:
    form = _keys(ApplicationForm)
    del form["documents"]  # documents are sealed one by one and travel as references
    contract = _keys(SealedDossier)
    assert contract.pop("schema_version") is None
    assert contract == form


def test_the_form_as_intake_sealed_it_before_the_contract_still_opens() -> None:
    """What ``validate`` sealed until then: the form's dump, identifiers compacted."""
    form = ApplicationForm.model_validate(
        with_changes(
            complete_form(),
            {
                "filed_by": "mandatary",
                "mandatary": {"name": "SSE Partena", "email": "sse@example.org"},
                "worker.phone": "+32 470 00 00 00",
                "worker.language": "nl",
            },
        )
    )
    sealed_then = form.model_dump(mode="json", exclude={"documents"})
    sealed_then["worker"]["niss"] = "85073003328"
    sealed_then["employer"]["enterprise_number"] = "0403019261"

    dossier = SealedDossier.model_validate(sealed_then)

    assert dossier.schema_version == 1
    assert dossier.worker.language == "nl" and dossier.mandatary is not None
    assert dossier.model_dump(mode="json", exclude={"schema_version"}) == sealed_then


def test_intake_seals_a_sealed_dossier_with_compact_identifiers() -> None:
    filing = file_form({"employer.enterprise_number": "BE 0403.019.261"})
    assert isinstance(filing.personal, SealedDossier)
    assert filing.personal.worker.niss == "85073003328"
    assert filing.personal.employer is not None
    assert filing.personal.employer.enterprise_number == "0403019261"
    assert filing.personal.employment.gross_monthly_wage_eur == 5200
