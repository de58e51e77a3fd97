"""How searches are limited and recorded: a pure rule, its clock given by the caller.

Searching by NISS or enterprise number is a consultation of every dossier it finds
(Art. 15-17 of the agreement: every consultation is recorded, denials included). Left
alone, any authority could search someone's NISS in a loop and bury the person's access
log (Art. 29) under "denied" entries. So:

- a caller (authority and agent) may search ``SearchLimit.searches`` times in any
  sliding ``window``; past that the search is refused with the seconds to wait, and a
  refused search does not count;
- a denial found by a search is recorded once per caller, dossier and (fixed) window;
  a read that shows something is always recorded.

State is kept in memory, per process, and holds only the current window.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SearchLimit:
    searches: int = 30
    window: timedelta = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Admission:
    allowed: bool
    retry_after: int = 0  # seconds, when refused


class SearchGuard:
    def __init__(self, limit: SearchLimit) -> None:
        self.limit = limit
        self._admitted: dict[str, deque[datetime]] = {}
        self._pruned_at: datetime | None = None
        self._denials: set[tuple[str, str]] = set()
        self._denial_window = -1

    def admit(self, caller: str, now: datetime) -> Admission:
        """Whether ``caller`` may search now; an allowed search counts."""
        self._prune(now)
        since = now - self.limit.window
        times = self._admitted.setdefault(caller, deque())
        while times and times[0] <= since:
            times.popleft()
        if len(times) >= self.limit.searches:
            wait = (times[0] - since).total_seconds()
            return Admission(False, retry_after=max(1, math.ceil(wait)))
        times.append(now)
        return Admission(True)

    def records_denial(self, caller: str, dossier_id: str, now: datetime) -> bool:
        """Whether a denial of ``dossier_id`` to ``caller`` found by a search is recorded
        (the first of its window) or was already recorded in this window."""
        window = math.floor(now.timestamp() / self.limit.window.total_seconds())
        if window != self._denial_window:
            self._denials.clear()
            self._denial_window = window
        key = (caller, dossier_id)
        if key in self._denials:
            return False
        self._denials.add(key)
        return True

    def remembered(self) -> tuple[int, int]:
        """(callers, caller-and-dossier denials) held: memory stays at one window's worth."""
        return len(self._admitted), len(self._denials)

    def _prune(self, now: datetime) -> None:
        """Forget callers with no search in the window, at most once a window."""
        if self._pruned_at is not None and now - self._pruned_at < self.limit.window:
            return
        self._pruned_at = now
        since = now - self.limit.window
        for caller in [c for c, times in self._admitted.items() if not times or times[-1] <= since]:
            del self._admitted[caller]
