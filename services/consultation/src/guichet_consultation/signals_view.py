"""The ONSS/INASTI signals of a dossier (Art. 10 6°-8°), for the authorities they concern.

The rule is shared (``guichet_contracts.signals``); consultation opens the sealed
declarations and the dossier's employment terms, and keeps the signals whose
``concerns`` name the caller's authority.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from guichet_contracts import SealedData
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.signals import DossierFacts, Period, signals
from guichet_core.stores.vault import PersonalDataVault


def _period(entry: dict[str, Any]) -> Period:
    return Period(date.fromisoformat(entry["valid_from"]), date.fromisoformat(entry["valid_until"]))


def facts(view: dict[str, Any], dossier: SealedDossier | None) -> DossierFacts:
    periods: dict[str, Period | None] = {"work": None, "permit": None, "card": None}
    for entry in view["regional_decisions"]:
        if entry["decision"] == "work_authorised":
            periods["work"] = _period(entry)
        elif entry["decision"] == "professional_card_granted":
            periods["card"] = _period(entry)
    for entry in view["residence_decisions"]:
        if entry["decision"] == "single_permit_granted":
            periods["permit"] = _period(entry)
    for entry in view["withdrawals"]:
        step = {
            "work": "work",
            "residence": "permit",
            "professional_card": "card",
            "stay_ended": "permit",
        }.get(entry["step"], "work")
        periods[step] = None
    wage = dossier.employment.gross_monthly_wage_eur if dossier else None
    return DossierFacts(
        kind=str(view["kind"]),
        category=str(view["category"]),
        competent_authority=str(view["competent_authority"]),
        employer_enterprise_number=view["employer_enterprise_number"],
        authorised_gross_monthly_wage_eur=Decimal(str(wage)) if wage is not None else None,
        work_authorisation=periods["work"],
        single_permit=periods["permit"],
        professional_card=periods["card"],
    )


async def opened_declarations(
    view: dict[str, Any], vault: PersonalDataVault
) -> list[dict[str, Any]]:
    opened = []
    for entry in view["employment_declarations"]:
        sealed = SealedData.model_validate(entry["personal"])
        personal = await vault.unseal(sealed, dossier_id=view["dossier_id"])
        clear = {key: value for key, value in entry.items() if key != "personal"}
        opened.append({**clear, **personal})
    return opened


def for_authority(
    view: dict[str, Any],
    dossier: SealedDossier | None,
    declarations: list[dict[str, Any]],
    authority: str,
    today: date,
) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "severity": s.severity.value,
            "message": s.message,
            "article": s.article,
        }
        for s in signals(facts(view, dossier), declarations, today)
        if authority in s.concerns
    ]
