"""What the applicant sees of their dossier: status, timeline and the legal clock.

A projection of the events of every deciding service (pure ``apply``), so the applicant
follows the whole procedure in one place. Of a negative decision it holds only that it
was taken, like the events themselves; the reasons reach the worker's e-box directly.
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
from guichet_contracts.deadlines import legal_clock

FINAL = {
    "refused",
    "withdrawn",
    "single_permit_granted",
    "stay_ended",
    "work_authorised",
    "professional_card_granted",
}


def start(event: ApplicationFiled) -> dict[str, Any]:
    return {
        "dossier_id": str(event.application_id),
        "kind": event.kind.value,
        "category": event.category.value,
        "authority": event.competent_authority.value,
        "status": "filed",
        "open_request": None,
        "requested_documents": [],
        "timeline": [_step("filed", event.filed_at, "applicant")],
    }


def _step(name: str, at: datetime, by: str) -> dict[str, Any]:
    return {"step": name, "at": at.isoformat(), "by": by}


def apply(view: dict[str, Any], event: DomainEvent, *, at: datetime) -> dict[str, Any]:
    """The view after ``event``; events it does not concern leave it unchanged."""
    status, by, step = view["status"], None, None
    match event:
        case ApplicationDeclaredAdmissible():
            status, by, step = "under_examination", event.authority.value, "admissible"
        case SupplementaryDocumentsRequested():
            status, by, step = "documents_requested", event.authority.value, "documents_requested"
            view = {
                **view,
                "open_request": event.request_id,
                "requested_documents": [k.value for k in event.document_kinds],
                "resume_status": view["status"],
            }
        case SupplementaryDocumentsSupplied():
            if view.get("open_request") != event.request_id:
                return view
            status, by, step = (
                view.get("resume_status") or "filed",
                "applicant",
                "documents_supplied",
            )
            view = {**view, "open_request": None, "requested_documents": []}
        case WorkAuthorised():
            final = (
                "work_authorised"
                if view["kind"] == "work_authorisation"
                else "residence_examination"
            )
            status, by, step = final, event.authority.value, "work_authorised"
        case NegativeDecisionTaken():
            status, by, step = "refused", event.authority.value, f"{event.step.value}_refused"
        case AuthorisationWithdrawn():
            status, by, step = "withdrawn", event.authority.value, f"{event.step.value}_withdrawn"
        case ProfessionalCardGranted():
            status, by, step = "professional_card_granted", event.authority.value, "card_granted"
        case ResidenceAuthorised():
            status, by, step = view["status"], "OE", "residence_authorised"
        case SinglePermitGranted():
            status, by, step = "single_permit_granted", "OE", "single_permit_granted"
        case StayEnded():
            status, by, step = "stay_ended", "OE", "stay_ended"
    if step is None or by is None:
        return view
    return {**view, "status": status, "timeline": [*view["timeline"], _step(step, at, by)]}


def present(view: dict[str, Any], *, today: date) -> dict[str, Any]:
    """The view with the days spent in each step and the 90-day decision clock."""
    timeline = view["timeline"]
    steps = []
    for index, entry in enumerate(timeline):
        began = datetime.fromisoformat(entry["at"])
        ended = (
            datetime.fromisoformat(timeline[index + 1]["at"]).date()
            if index + 1 < len(timeline)
            else today
        )
        steps.append({**entry, "days": (ended - began.date()).days})
    complete_on = next(
        (datetime.fromisoformat(e["at"]).date() for e in timeline if e["step"] == "admissible"),
        None,
    )
    suspensions: list[tuple[date, date | None]] = []
    for entry in timeline:
        moment = datetime.fromisoformat(entry["at"]).date()
        if entry["step"] == "documents_requested":
            suspensions.append((moment, None))
        elif entry["step"] == "documents_supplied" and suspensions:
            suspensions[-1] = (suspensions[-1][0], moment)
    clock = legal_clock(
        complete_on=complete_on,
        suspensions=suspensions,
        decided=view["status"] in FINAL,
        today=today,
    )
    return {
        "application_id": view["dossier_id"],
        "kind": view["kind"],
        "category": view["category"],
        "competent_authority": view["authority"],
        "status": view["status"],
        "open_request": view.get("open_request"),
        "requested_documents": view.get("requested_documents", []),
        "timeline": steps,
        "decision_due_on": clock.due_on,
        "days_left": clock.days_left,
        "clock_running": clock.running,
        "overdue": clock.overdue,
    }
