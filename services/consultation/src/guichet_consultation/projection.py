"""The consultation view of a dossier: a pure fold of every service's events.

It holds what the events hold — clear routing facts, the dossier's personal part still
sealed, document references, decisions and their dates, and of a negative decision only
that it was taken (the events carry no reason, Art. 24). Who may read which part is
decided at read time by the access policy (``policy``), never here.

``apply`` is idempotent (an event already applied leaves the view unchanged), so the
live consumer and a rebuild may both feed a new generation of the tables.
"""

from __future__ import annotations

from collections.abc import Callable
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


Step = tuple[str, str] | None  # (step, by) of the timeline, if the event is one


def _filed(view: View, event: ApplicationFiled, at: datetime) -> Step:
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
    return ("filed", "applicant")


def _admissible(view: View, event: ApplicationDeclaredAdmissible, at: datetime) -> Step:
    decision = {"decision": "admissible", "authority": event.authority.value}
    _add(view, "regional_decisions", decision | {"at": _at(event.decided_at)})
    return ("admissible", event.authority.value)


def _documents_requested(view: View, event: SupplementaryDocumentsRequested, at: datetime) -> Step:
    return ("documents_requested", event.authority.value)


def _documents_supplied(view: View, event: SupplementaryDocumentsSupplied, at: datetime) -> Step:
    view["documents"] = [*view["documents"], *(d.model_dump() for d in event.documents)]
    return ("documents_supplied", "applicant")


def _work_granted(
    view: View, event: WorkAuthorised | ProfessionalCardGranted, at: datetime
) -> Step:
    name = "work_authorised" if isinstance(event, WorkAuthorised) else "professional_card_granted"
    decision = {"decision": name, "authority": event.authority.value}
    validity = _validity(event.valid_from, event.valid_until)
    _add(view, "regional_decisions", decision | validity | {"at": _at(event.decided_at)})
    return (name, event.authority.value)


def _residence_authorised(view: View, event: ResidenceAuthorised, at: datetime) -> Step:
    validity = _validity(event.valid_from, event.valid_until)
    decision = {"decision": "residence_authorised", **validity, "at": _at(event.decided_at)}
    _add(view, "residence_decisions", decision)
    return ("residence_authorised", "OE")


def _single_permit(view: View, event: SinglePermitGranted, at: datetime) -> Step:
    decision = {"decision": "single_permit_granted", "act_number": event.act_number}
    validity = _validity(event.valid_from, event.valid_until)
    _add(view, "residence_decisions", decision | validity | {"at": _at(event.granted_at)})
    return ("single_permit_granted", "OE")


def _negative(view: View, event: NegativeDecisionTaken, at: datetime) -> Step:
    # Art. 24: that it was taken, at which step, by which kind of authority, when.
    kind = "immigration_office" if event.authority.value == "OE" else "region"
    flag = {"step": event.step.value, "authority_kind": kind, "at": _at(event.decided_at)}
    _add(view, "negative_decisions", flag)
    return (f"{event.step.value}_refused", event.authority.value)


def _withdrawn(view: View, event: AuthorisationWithdrawn, at: datetime) -> Step:
    withdrawal = {"step": event.step.value, "authority": event.authority.value}
    _add(view, "withdrawals", withdrawal | {"at": _at(event.withdrawn_at)})
    return (f"{event.step.value}_withdrawn", event.authority.value)


def _stay_ended(view: View, event: StayEnded, at: datetime) -> Step:
    _add(view, "withdrawals", {"step": "stay_ended", "authority": "OE", "at": _at(event.ended_at)})
    return ("stay_ended", "OE")


Declaration = (
    EmploymentDeclared
    | EmploymentEnded
    | WagesDeclared
    | PostingDeclared
    | SelfEmployedAffiliationRecorded
)


def _declared(view: View, event: Declaration, at: datetime) -> Step:
    # Art. 14: what ONSS and INASTI declared; the personal part stays sealed.
    clear = event.model_dump(mode="json", exclude={"personal", "application_id"})
    entry = {"event_type": event.event_type, **clear, "personal": event.personal.model_dump()}
    _add(view, "employment_declarations", entry | {"at": _at(at)})
    return None


def _add(view: View, key: str, entry: dict[str, Any]) -> None:
    view[key] = [*view[key], entry]


# One applier per followed event type: it changes the (copied) view and says which step
# of the timeline the event is, if any.
APPLIERS: dict[type[DomainEvent], Callable[[View, Any, datetime], Step]] = {
    ApplicationFiled: _filed,
    ApplicationDeclaredAdmissible: _admissible,
    SupplementaryDocumentsRequested: _documents_requested,
    SupplementaryDocumentsSupplied: _documents_supplied,
    WorkAuthorised: _work_granted,
    ProfessionalCardGranted: _work_granted,
    ResidenceAuthorised: _residence_authorised,
    SinglePermitGranted: _single_permit,
    NegativeDecisionTaken: _negative,
    AuthorisationWithdrawn: _withdrawn,
    StayEnded: _stay_ended,
    EmploymentDeclared: _declared,
    EmploymentEnded: _declared,
    WagesDeclared: _declared,
    PostingDeclared: _declared,
    SelfEmployedAffiliationRecorded: _declared,
}


def apply(view: View, event: DomainEvent, *, event_id: str, at: datetime) -> View:
    """The view after ``event``; the same event twice changes nothing."""
    if event_id in view["applied"]:
        return view
    view = {**view, "applied": [*view["applied"], event_id]}
    applier = APPLIERS.get(type(event))
    step = applier(view, event, at) if applier else None
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


FOLLOWED: tuple[type[DomainEvent], ...] = tuple(APPLIERS)


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
