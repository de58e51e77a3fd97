"""The consultation view of a dossier: a pure fold of every service's events.

It holds what the events hold — clear routing facts, the dossier's personal part still
sealed, document references, decisions and their dates, and of a negative decision only
that it was taken (the events carry no reason, Art. 24). Who may read which part is
decided at read time by the access policy (``policy``), never here.

``apply`` is idempotent (an event already applied leaves the view unchanged), so the
live consumer and a rebuild may both feed a new generation of the tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DomainEvent,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    ResidenceAuthorised,
    SinglePermitGranted,
    StayEnded,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
)
from guichet_contracts.employment import (
    EmploymentDeclared,
    EmploymentEnded,
    PostingDeclared,
    SelfEmployedAffiliationRecorded,
    WagesDeclared,
)

View = dict[str, Any]


def empty(dossier_id: str) -> View:
    return {
        "dossier_id": dossier_id,
        "filed": False,
        "kind": None,
        "category": None,
        "competent_authority": None,
        "status": "unknown",
        "filed_at": None,
        "employer_enterprise_number": None,
        "sealed": None,
        "documents": [],
        "regional_decisions": [],
        "residence_decisions": [],
        "withdrawals": [],
        "negative_decisions": [],
        "timeline": [],
        "employment_declarations": [],
        "applied": [],
    }


def _at(moment: datetime) -> str:
    return moment.isoformat()


def _validity(valid_from: date, valid_until: date) -> dict[str, str]:
    return {"valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat()}


def apply(view: View, event: DomainEvent, *, event_id: str, at: datetime) -> View:
    """The view after ``event``; the same event twice changes nothing."""
    if event_id in view["applied"]:
        return view
    view = {**view, "applied": [*view["applied"], event_id]}
    step: tuple[str, str] | None = None  # (step, by)
    match event:
        case ApplicationFiled():
            view.update(
                filed=True,
                kind=event.kind.value,
                category=event.category.value,
                competent_authority=event.competent_authority.value,
                filed_at=_at(event.filed_at),
                employer_enterprise_number=event.employer_enterprise_number,
                sealed=event.dossier.model_dump() if event.dossier else None,
                documents=[*view["documents"], *(d.model_dump() for d in event.documents)],
            )
            step = ("filed", "applicant")
        case ApplicationDeclaredAdmissible():
            view["regional_decisions"] = [
                *view["regional_decisions"],
                {
                    "decision": "admissible",
                    "authority": event.authority.value,
                    "at": _at(event.decided_at),
                },
            ]
            step = ("admissible", event.authority.value)
        case SupplementaryDocumentsRequested():
            step = ("documents_requested", event.authority.value)
        case SupplementaryDocumentsSupplied():
            view["documents"] = [*view["documents"], *(d.model_dump() for d in event.documents)]
            step = ("documents_supplied", "applicant")
        case WorkAuthorised() | ProfessionalCardGranted():
            name = (
                "work_authorised"
                if isinstance(event, WorkAuthorised)
                else ("professional_card_granted")
            )
            view["regional_decisions"] = [
                *view["regional_decisions"],
                {
                    "decision": name,
                    "authority": event.authority.value,
                    **_validity(event.valid_from, event.valid_until),
                    "at": _at(event.decided_at),
                },
            ]
            step = (name, event.authority.value)
        case ResidenceAuthorised():
            view["residence_decisions"] = [
                *view["residence_decisions"],
                {
                    "decision": "residence_authorised",
                    **_validity(event.valid_from, event.valid_until),
                    "at": _at(event.decided_at),
                },
            ]
            step = ("residence_authorised", "OE")
        case SinglePermitGranted():
            view["residence_decisions"] = [
                *view["residence_decisions"],
                {
                    "decision": "single_permit_granted",
                    "act_number": event.act_number,
                    **_validity(event.valid_from, event.valid_until),
                    "at": _at(event.granted_at),
                },
            ]
            step = ("single_permit_granted", "OE")
        case NegativeDecisionTaken():
            # Art. 24: that it was taken, at which step, by which kind of authority, when.
            kind = "immigration_office" if event.authority.value == "OE" else "region"
            view["negative_decisions"] = [
                *view["negative_decisions"],
                {"step": event.step.value, "authority_kind": kind, "at": _at(event.decided_at)},
            ]
            step = (f"{event.step.value}_refused", event.authority.value)
        case AuthorisationWithdrawn():
            view["withdrawals"] = [
                *view["withdrawals"],
                {
                    "step": event.step.value,
                    "authority": event.authority.value,
                    "at": _at(event.withdrawn_at),
                },
            ]
            step = (f"{event.step.value}_withdrawn", event.authority.value)
        case StayEnded():
            view["withdrawals"] = [
                *view["withdrawals"],
                {"step": "stay_ended", "authority": "OE", "at": _at(event.ended_at)},
            ]
            step = ("stay_ended", "OE")
        case (
            EmploymentDeclared()
            | EmploymentEnded()
            | WagesDeclared()
            | PostingDeclared()
            | SelfEmployedAffiliationRecorded()
        ):
            # Art. 14: what ONSS and INASTI declared; the personal part stays sealed.
            clear = event.model_dump(mode="json", exclude={"personal", "application_id"})
            view["employment_declarations"] = [
                *view["employment_declarations"],
                {
                    "event_type": event.event_type,
                    **clear,
                    "personal": event.personal.model_dump(),
                    "at": _at(at),
                },
            ]
    if step is not None:
        # Topics are read independently, so events may arrive out of order across
        # services: the timeline is kept in time order and the status follows its end.
        view["timeline"] = sorted(
            [*view["timeline"], {"step": step[0], "by": step[1], "at": _at(at)}],
            key=lambda entry: str(entry["at"]),
        )
        view["status"] = status_of_step(view["timeline"][-1]["step"])
    return view


STATUS_AFTER = {
    "filed": "filed",
    "admissible": "under_examination",
    "documents_requested": "documents_requested",
    "documents_supplied": "under_examination",
    "work_authorised": "work_authorised",
    "professional_card_granted": "professional_card_granted",
    "residence_authorised": "work_authorised",
    "single_permit_granted": "single_permit_granted",
    "stay_ended": "stay_ended",
}


def status_of_step(step: str) -> str:
    if step.endswith("_refused"):
        return "refused"
    if step.endswith("_withdrawn"):
        return "withdrawn"
    return STATUS_AFTER.get(step, "unknown")


FOLLOWED: tuple[type[DomainEvent], ...] = (
    ApplicationFiled,
    ApplicationDeclaredAdmissible,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
    ProfessionalCardGranted,
    ResidenceAuthorised,
    SinglePermitGranted,
    NegativeDecisionTaken,
    AuthorisationWithdrawn,
    StayEnded,
    EmploymentDeclared,
    EmploymentEnded,
    WagesDeclared,
    PostingDeclared,
    SelfEmployedAffiliationRecorded,
)


def normalised(view: View) -> View:
    """The view with its lists in a canonical order (arrival order may differ between a
    live projection and a rebuild; the content may not)."""

    def by_at(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(entries, key=lambda e: (str(e.get("at")), str(e)))

    return {
        **view,
        "applied": sorted(view["applied"]),
        "documents": sorted(view["documents"], key=lambda d: str(d["document_id"])),
        **{
            key: by_at(view[key])
            for key in (
                "regional_decisions",
                "residence_decisions",
                "withdrawals",
                "negative_decisions",
                "timeline",
                "employment_declarations",
            )
        },
    }
