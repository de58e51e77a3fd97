"""Data-subject rights (cooperation agreement of 31 January 2025, Art. 28-29): pure domain.

A person asks to exercise one of the GDPR rights that Art. 29 §1 grants (GDPR Art. 15-21):
access (a machine-readable export of everything held about them; being machine-readable,
it also serves portability, GDPR Art. 20), rectification, erasure, restriction or
objection. The request goes to the controller concerned (Art. 7, 29 §2-3): the competent
region for work and professional-card processing, the Immigration Office (OE) for
residence. It is acknowledged at once with a dated acknowledgment of receipt (Art. 29 §4)
and answered within one month of receipt (GDPR Art. 12(3)); a request still open after its
due date is overdue. The controller decides whether to grant it; the platform records the
answer once, and a granted erasure must then be carried out (``requires_purge``).

No I/O here. ``subject_index`` is a blind index of the requester (never the NISS in
clear); ``details`` and ``answer`` are the person's and the controller's own words.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from guichet_contracts.vocabulary import LANGUAGES, CompetentAuthority, Language

__all__ = [
    "BRUSSELS",
    "LANGUAGES",
    "OUTCOMES",
    "REGIONS",
    "STATUSES",
    "Concern",
    "Language",
    "Outcome",
    "RightKind",
    "RightsError",
    "RightsRequest",
    "Status",
    "answer",
    "controller_for",
    "is_overdue",
    "one_month_after",
    "receipt_date",
    "receive",
]

BRUSSELS = ZoneInfo("Europe/Brussels")
MAX_TEXT = 20_000  # characters of ``details`` or ``answer``


class RightsError(ValueError):
    """A rights request that cannot be recorded, routed or answered as asked."""


class RightKind(StrEnum):
    """The rights a request exercises (Art. 29 §1: GDPR Art. 15 to 21)."""

    ACCESS = "access"  # GDPR Art. 15 (the export is machine-readable: Art. 20 as well)
    RECTIFICATION = "rectification"  # GDPR Art. 16
    ERASURE = "erasure"  # GDPR Art. 17
    RESTRICTION = "restriction"  # GDPR Art. 18
    OBJECTION = "objection"  # GDPR Art. 21


GDPR_ARTICLE: dict[RightKind, int] = {
    RightKind.ACCESS: 15,
    RightKind.RECTIFICATION: 16,
    RightKind.ERASURE: 17,
    RightKind.RESTRICTION: 18,
    RightKind.OBJECTION: 21,
}


class Concern(StrEnum):
    """Which processing the request concerns: it decides the controller (Art. 7, 29 §2-3)."""

    WORK = "work"  # work authorisation, or the work part of a single permit
    PROFESSIONAL_CARD = "professional_card"  # self-employed activity
    RESIDENCE = "residence"  # the residence part of a single permit


REGIONS: frozenset[str] = frozenset(
    {
        CompetentAuthority.FLANDERS,
        CompetentAuthority.WALLONIA,
        CompetentAuthority.BRUSSELS,
        CompetentAuthority.GERMAN_SPEAKING_COMMUNITY,
    }
)
CONTROLLERS: frozenset[str] = REGIONS | {CompetentAuthority.IMMIGRATION_OFFICE}

Status = Literal["received", "answered"]
STATUSES: frozenset[str] = frozenset({"received", "answered"})
Outcome = Literal["granted", "partially_granted", "refused"]
OUTCOMES: frozenset[str] = frozenset({"granted", "partially_granted", "refused"})


def controller_for(concern: Concern | str, competent_region: str) -> str:
    """The controller that answers (Art. 7, 29 §2-3): the competent region (VLG, WAL, BXL
    or DG) for work and professional-card processing, the Immigration Office ("OE") for
    residence, whatever the region."""
    try:
        concern = Concern(concern)
    except ValueError as error:
        raise RightsError(f"unknown concern {concern!r}") from error
    if concern is Concern.RESIDENCE:
        return CompetentAuthority.IMMIGRATION_OFFICE.value
    if competent_region not in REGIONS:
        raise RightsError(
            f"{concern.value} requests go to a region ({', '.join(sorted(REGIONS))}), "
            f"not {competent_region!r}"
        )
    return CompetentAuthority(competent_region).value


def one_month_after(received: date) -> date:
    """The last day to answer a request received on ``received`` (GDPR Art. 12(3): "within
    one month of receipt of the request").

    The rule is that of Regulation (EEC, Euratom) No 1182/71 on periods, dates and time
    limits, Art. 3(2)(c), which governs periods in Union acts such as the GDPR: a period in
    months ends on the day of the last month that bears the same date as the day of receipt,
    and when that date does not exist in that month (31 January; 29, 30 or 31 before a
    shorter month), on the last day of that month. So 15 January → 15 February, 31 January
    → 28 February (29 in a leap year), 31 March → 30 April, 31 December → 31 January.

    We do not push the date to the next working day when it falls on a weekend or public
    holiday (Art. 3(4) of that regulation would allow it): the platform would rather flag a
    request a day or two early than late.
    """
    year, month = divmod(received.year * 12 + received.month, 12)  # the next month, 0-based
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(received.day, last_day))


def receipt_date(received_at: datetime) -> date:
    """The day of receipt in Belgium: a request filed at 23:30 UTC on 31 January arrives on
    1 February in Brussels, and its month runs from there."""
    if received_at.tzinfo is None:
        raise RightsError("received_at must be timezone-aware")
    return received_at.astimezone(BRUSSELS).date()


def _check_text(name: str, value: str) -> None:
    if not value.strip():
        raise RightsError(f"{name} must not be empty")
    if len(value) > MAX_TEXT:
        raise RightsError(f"{name} is longer than {MAX_TEXT} characters")


@dataclass(frozen=True)
class RightsRequest:
    """A data-subject request, from receipt to answer."""

    request_id: str
    dossier_id: str
    subject_index: str  # blind index of the requester, never the NISS in clear
    kind: RightKind
    concern: Concern
    controller: str  # VLG | WAL | BXL | DG | OE
    details: str  # the person's own words to their controller (personal data)
    received_at: datetime
    due_on: date
    status: str = "received"  # a ``Status``
    answered_at: datetime | None = None
    outcome: str | None = None  # an ``Outcome`` once answered
    answer: str | None = None  # the controller's answer to the person

    def __post_init__(self) -> None:
        if not self.request_id or not self.dossier_id or not self.subject_index:
            raise RightsError("a rights request names its id, dossier and requester")
        try:
            object.__setattr__(self, "kind", RightKind(self.kind))
            object.__setattr__(self, "concern", Concern(self.concern))
        except ValueError as error:
            raise RightsError(str(error)) from error
        if self.controller not in CONTROLLERS:
            raise RightsError(f"unknown controller {self.controller!r}")
        if (self.concern is Concern.RESIDENCE) != (self.controller == "OE"):
            raise RightsError(f"{self.concern.value} requests do not go to {self.controller}")
        if self.received_at.tzinfo is None:
            raise RightsError("received_at must be timezone-aware")
        if self.status not in STATUSES:
            raise RightsError(f"status must be one of {sorted(STATUSES)}, not {self.status!r}")
        answered = (self.answered_at, self.outcome, self.answer)
        if self.status == "received" and any(part is not None for part in answered):
            raise RightsError("an open request has no answer yet")
        if self.status == "answered" and any(part is None for part in answered):
            raise RightsError("an answered request has its date, outcome and answer")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise RightsError(f"outcome must be one of {sorted(OUTCOMES)}, not {self.outcome!r}")

    @property
    def is_open(self) -> bool:
        return self.status == "received"

    @property
    def requires_purge(self) -> bool:
        """A granted erasure: the dossier must be deleted from the platform (the controller
        decided it was lawful). A partly granted one is carried out by the controller item
        by item, not by a purge."""
        return self.kind is RightKind.ERASURE and self.outcome == "granted"

    @property
    def answered_late(self) -> bool:
        return self.answered_at is not None and receipt_date(self.answered_at) > self.due_on


def receive(
    *,
    request_id: str,
    dossier_id: str,
    subject_index: str,
    kind: RightKind | str,
    concern: Concern | str,
    competent_region: str,
    details: str,
    received_at: datetime,
) -> RightsRequest:
    """Record a new request: route it to its controller and set its one-month due date."""
    try:
        kind = RightKind(kind)
    except ValueError as error:
        raise RightsError(f"unknown right {kind!r}") from error
    _check_text("details", details)
    controller = controller_for(concern, competent_region)
    return RightsRequest(
        request_id=request_id,
        dossier_id=dossier_id,
        subject_index=subject_index,
        kind=kind,
        concern=Concern(concern),
        controller=controller,
        details=details,
        received_at=received_at,
        due_on=one_month_after(receipt_date(received_at)),
    )


def is_overdue(request: RightsRequest, today: date) -> bool:
    """Still unanswered after its due date (on the due date itself it is not yet late)."""
    return request.is_open and today > request.due_on


def answer(request: RightsRequest, outcome: str, answer_text: str, at: datetime) -> RightsRequest:
    """The controller's answer, recorded once."""
    if not request.is_open:
        raise RightsError(f"request {request.request_id} was already answered")
    if outcome not in OUTCOMES:
        raise RightsError(f"outcome must be one of {sorted(OUTCOMES)}, not {outcome!r}")
    _check_text("answer", answer_text)
    if at.tzinfo is None:
        raise RightsError("the answer time must be timezone-aware")
    if at < request.received_at:
        raise RightsError("a request cannot be answered before it was received")
    return replace(request, status="answered", answered_at=at, outcome=outcome, answer=answer_text)
