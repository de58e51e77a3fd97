"""Searches by NISS or enterprise number: limited per caller, and recorded so that the
data subject's access log stays useful (agreement Art. 15-17: every consultation is
recorded; Art. 29: the person reads who consulted them). No server needed: the rule is
pure, and the clock is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from guichet_consultation.search import SearchGuard, SearchLimit

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LIMIT = SearchLimit(searches=3, window=timedelta(minutes=10))


def test_a_caller_may_search_up_to_the_limit_in_a_window() -> None:
    guard = SearchGuard(LIMIT)
    verdicts = [guard.admit("VLG:agent-1", T0 + timedelta(seconds=i)) for i in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]


def test_a_refused_search_says_when_the_caller_may_search_again() -> None:
    guard = SearchGuard(LIMIT)
    for second in (0, 60, 120):
        guard.admit("VLG:agent-1", T0 + timedelta(seconds=second))
    refused = guard.admit("VLG:agent-1", T0 + timedelta(seconds=200))
    assert not refused.allowed and refused.retry_after == 400  # when the first one expires
    assert guard.admit("VLG:agent-1", T0 + timedelta(seconds=600)).allowed


def test_refused_searches_do_not_count_against_the_caller() -> None:
    guard = SearchGuard(LIMIT)
    for second in range(20):
        guard.admit("VLG:agent-1", T0 + timedelta(seconds=second))
    assert guard.admit("VLG:agent-1", T0 + timedelta(minutes=10)).allowed


def test_each_caller_has_its_own_limit() -> None:
    guard = SearchGuard(LIMIT)
    for second in range(3):
        guard.admit("ONSS:agent-1", T0 + timedelta(seconds=second))
    assert not guard.admit("ONSS:agent-1", T0 + timedelta(seconds=5)).allowed
    assert guard.admit("ONSS:agent-2", T0 + timedelta(seconds=5)).allowed
    assert guard.admit("VLG:agent-1", T0 + timedelta(seconds=5)).allowed


def test_one_denied_entry_per_caller_dossier_and_window() -> None:
    """Repeating a search that shows nothing does not flood the person's access log: the
    first denial of a window is recorded, the repeats are not; a new window records again."""
    guard = SearchGuard(LIMIT)
    first = guard.records_denial("ONSS:agent-1", "dossier-a", T0)
    again = guard.records_denial("ONSS:agent-1", "dossier-a", T0 + timedelta(minutes=9))
    other_dossier = guard.records_denial("ONSS:agent-1", "dossier-b", T0)
    other_caller = guard.records_denial("ONSS:agent-2", "dossier-a", T0)
    next_window = guard.records_denial("ONSS:agent-1", "dossier-a", T0 + timedelta(minutes=10))
    assert (first, again, other_dossier, other_caller, next_window) == (
        True,
        False,
        True,
        True,
        True,
    )


def test_memory_holds_only_the_current_window() -> None:
    guard = SearchGuard(LIMIT)
    for n in range(100):
        guard.admit(f"VLG:agent-{n}", T0)
        guard.records_denial(f"VLG:agent-{n}", "dossier-a", T0)
    guard.admit("VLG:agent-0", T0 + timedelta(minutes=30))
    guard.records_denial("VLG:agent-0", "dossier-a", T0 + timedelta(minutes=30))
    assert guard.remembered() == (1, 1)
