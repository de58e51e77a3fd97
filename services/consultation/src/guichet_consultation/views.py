"""Assembling what one caller may see of one dossier: the policy decides per category,
this module only cuts the view accordingly (and opens the sealed part when needed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from guichet_consultation.policy import (
    POLICY,
    DataCategory,
    DossierFacts,
    Requester,
    Verdict,
    evaluate,
)
from guichet_consultation.signals_view import for_authority, opened_declarations
from guichet_contracts import SealedData
from guichet_contracts.dossier import SealedDossier, Worker
from guichet_core.http.auth import Caller
from guichet_core.stores.vault import PersonalDataVault

PERSONAL = {
    DataCategory.IDENTIFICATION,
    DataCategory.CONTACT,
    DataCategory.EMPLOYMENT,
    DataCategory.EMPLOYER_REGISTRATION,
}
HEALTH_DOCUMENTS = {"medical_certificate"}
CRIMINAL_DOCUMENTS = {"criminal_record_extract"}


@dataclass(frozen=True)
class Cut:
    data: dict[str, Any]
    read: list[str]
    withheld: list[dict[str, str]]


def facts_of(view: dict[str, Any]) -> DossierFacts:
    authorised = any(
        d["decision"] in ("work_authorised", "professional_card_granted")
        for d in view["regional_decisions"]
    ) or bool(view["residence_decisions"])
    return DossierFacts(
        competent_authority=str(view["competent_authority"]),
        self_employed=view["kind"] == "professional_card",
        holds_authorisation=authorised,
        single_permit_withdrawn=view["kind"] == "single_permit" and bool(view["withdrawals"]),
        employer_to_register=view["kind"] != "professional_card"
        and not view["employer_enterprise_number"],
    )


def requester_of(caller: Caller, purpose: str | None, roles_in_dossier: set[str]) -> Requester:
    return Requester(
        authority=caller.authority,
        roles=caller.roles,
        purpose=purpose,
        is_applicant=bool(roles_in_dossier),
        is_worker="worker" in roles_in_dossier,
    )


async def cut(view: dict[str, Any], requester: Requester, vault: PersonalDataVault) -> Cut:
    verdicts = evaluate(POLICY, requester, facts_of(view))
    allowed = {category for category, verdict in verdicts.items() if verdict.allowed}
    dossier: SealedDossier | None = None
    employment_data = DataCategory.EMPLOYMENT_DECLARATIONS in allowed
    if (allowed & PERSONAL or employment_data) and view.get("sealed"):
        sealed = SealedData.model_validate(view["sealed"])
        dossier = await vault.unseal_as(sealed, SealedDossier, dossier_id=view["dossier_id"])
    parts = _parts(view, dossier)
    if employment_data:
        parts[DataCategory.EMPLOYMENT_DECLARATIONS] = await _declarations(
            view, dossier, requester, vault
        )
    return _cut_of(parts, verdicts, allowed)


def _parts(view: dict[str, Any], dossier: SealedDossier | None) -> dict[DataCategory, Any]:
    """Every category of the dossier, from its view and its opened personal part."""
    worker = dossier.worker if dossier else None
    employer = dossier.employer if dossier else None
    contact = _contact(worker)
    documents = view["documents"]
    parts: dict[DataCategory, Any] = {
        DataCategory.SUMMARY: {
            key: view[key]
            for key in (
                "dossier_id",
                "kind",
                "category",
                "competent_authority",
                "status",
                "filed_at",
            )
        },
        # Everything the worker gave but their contact data (a v1 filing: all None).
        DataCategory.IDENTIFICATION: (
            worker.model_dump(mode="json", exclude=set(contact))
            if worker
            else {key: None for key in Worker.model_fields if key not in contact}
        ),
        DataCategory.CONTACT: contact,
        DataCategory.EMPLOYMENT: {
            "employment": _json(dossier.employment if dossier else None),
            "details": _json(dossier.details if dossier else None),
            "employer": employer.model_dump(mode="json", exclude={"registration"})
            if employer
            else {},
            "mandatary": _json(dossier.mandatary if dossier else None),
        },
        DataCategory.EMPLOYER_REGISTRATION: _json(employer.registration if employer else None),
        DataCategory.DOCUMENTS: [
            d for d in documents if d["kind"] not in HEALTH_DOCUMENTS | CRIMINAL_DOCUMENTS
        ],
        DataCategory.HEALTH: [d for d in documents if d["kind"] in HEALTH_DOCUMENTS],
        DataCategory.CRIMINAL_RECORD: [d for d in documents if d["kind"] in CRIMINAL_DOCUMENTS],
        DataCategory.REGIONAL_DECISIONS: view["regional_decisions"],
        DataCategory.RESIDENCE_DECISIONS: view["residence_decisions"],
        DataCategory.WITHDRAWALS: view["withdrawals"],
        DataCategory.NEGATIVE_DECISION_FLAGS: view["negative_decisions"],
        DataCategory.TIMELINE: view["timeline"],
        DataCategory.EMPLOYMENT_DECLARATIONS: None,
    }
    return parts


async def _declarations(
    view: dict[str, Any],
    dossier: SealedDossier | None,
    requester: Requester,
    vault: PersonalDataVault,
) -> dict[str, Any]:
    """Art. 14: the declarations opened, and the signals that concern the caller (Art. 10)."""
    declarations = await opened_declarations(view, vault)
    return {
        "declarations": declarations,
        "signals": for_authority(
            view, dossier, declarations, requester.authority.value, date.today()
        ),
    }


def _cut_of(
    parts: dict[DataCategory, Any],
    verdicts: dict[DataCategory, Verdict],
    allowed: set[DataCategory],
) -> Cut:
    data = {category.value: parts[category] for category in DataCategory if category in allowed}
    withheld = [
        {"category": category.value, "reason": verdict.reason}
        for category, verdict in verdicts.items()
        if not verdict.allowed
    ]
    return Cut(data=data, read=sorted(data), withheld=withheld)


def _contact(worker: Worker | None) -> dict[str, Any]:
    if worker is None:
        return {"email": None, "phone": None, "language": None}
    return {"email": worker.email, "phone": worker.phone, "language": worker.language}


def _json(part: BaseModel | None) -> dict[str, Any] | None:
    return part.model_dump(mode="json") if part is not None else None
