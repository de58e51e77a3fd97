"""The legal clock of Directive (EU) 2024/1233 (the single-permit recast, from May 2026).

A decision is due within 90 days of a *complete* application; a request for missing
documents suspends the clock until they arrive. Shared by every service that shows a
deadline (the regions' and the Immigration Office's queues, the applicant's status).
Pure functions: the caller says what "today" is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

DECISION_DAYS = 90


@dataclass(frozen=True)
class LegalClock:
    running: bool  # false before the application is complete and while suspended
    due_on: date | None
    days_left: int | None
    overdue: bool
    suspended_days: int


def legal_clock(
    *,
    complete_on: date | None,
    suspensions: Sequence[tuple[date, date | None]],
    decided: bool,
    today: date,
) -> LegalClock:
    """The decision deadline, counting suspensions that began once the clock ran."""
    if complete_on is None:
        return LegalClock(False, None, None, False, 0)
    suspended = 0
    ongoing = False
    for start, end in suspensions:
        start = max(start, complete_on)
        stop = end if end is not None else today
        if end is None:
            ongoing = True
        suspended += max(0, (stop - start).days)
    due = complete_on + timedelta(days=DECISION_DAYS + suspended)
    if decided:
        return LegalClock(False, due, None, False, suspended)
    left = (due - today).days
    return LegalClock(not ongoing, due, left, left < 0, suspended)
