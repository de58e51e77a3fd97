"""The 90-day decision clock of Directive (EU) 2024/1233, suspended while documents are awaited."""

from datetime import date

from guichet_contracts.deadlines import legal_clock


def test_the_clock_does_not_run_before_the_application_is_complete() -> None:
    clock = legal_clock(complete_on=None, suspensions=[], decided=False, today=date(2026, 6, 1))
    assert clock.due_on is None and not clock.running


def test_a_decision_is_due_ninety_days_after_the_application_is_complete() -> None:
    clock = legal_clock(
        complete_on=date(2026, 6, 1), suspensions=[], decided=False, today=date(2026, 6, 11)
    )
    assert clock.due_on == date(2026, 8, 30)
    assert clock.days_left == 80 and clock.running and not clock.overdue


def test_a_request_for_documents_suspends_the_clock_until_they_arrive() -> None:
    clock = legal_clock(
        complete_on=date(2026, 6, 1),
        suspensions=[(date(2026, 6, 10), date(2026, 6, 24))],
        decided=False,
        today=date(2026, 7, 1),
    )
    assert clock.suspended_days == 14
    assert clock.due_on == date(2026, 9, 13)


def test_while_documents_are_awaited_the_clock_is_paused_and_the_due_date_moves() -> None:
    clock = legal_clock(
        complete_on=date(2026, 6, 1),
        suspensions=[(date(2026, 6, 10), None)],
        decided=False,
        today=date(2026, 6, 20),
    )
    assert not clock.running and clock.suspended_days == 10


def test_an_undecided_dossier_past_its_due_date_is_overdue() -> None:
    clock = legal_clock(
        complete_on=date(2026, 1, 1), suspensions=[], decided=False, today=date(2026, 6, 1)
    )
    assert clock.overdue and clock.days_left is not None and clock.days_left < 0
