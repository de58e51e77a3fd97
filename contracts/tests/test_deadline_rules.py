"""The 90-day clock of Directive (EU) 2024/1233, the rules ``test_deadlines`` leaves out:
a decision stops it, and only the time suspended once it ran is added. Pure."""

from datetime import date

from guichet_contracts.deadlines import legal_clock

COMPLETE = date(2027, 2, 1)  # + 90 days = 2 May 2027


def test_a_decided_dossier_keeps_its_due_date_but_its_clock_no_longer_runs() -> None:
    clock = legal_clock(complete_on=COMPLETE, suspensions=[], decided=True, today=date(2027, 9, 1))
    assert clock.due_on == date(2027, 5, 2)
    assert not clock.running and not clock.overdue and clock.days_left is None


def test_a_suspension_counts_only_from_the_day_the_application_was_complete() -> None:
    # Documents asked before admissibility, supplied 5 days after it: 5 days suspended.
    clock = legal_clock(
        complete_on=COMPLETE,
        suspensions=[(date(2027, 1, 10), date(2027, 2, 6))],
        decided=False,
        today=date(2027, 3, 1),
    )
    assert clock.suspended_days == 5 and clock.due_on == date(2027, 5, 7)


def test_a_suspension_ended_before_completeness_adds_nothing() -> None:
    clock = legal_clock(
        complete_on=COMPLETE,
        suspensions=[(date(2027, 1, 10), date(2027, 1, 20))],
        decided=False,
        today=date(2027, 3, 1),
    )
    assert clock.suspended_days == 0 and clock.due_on == date(2027, 5, 2)


def test_every_suspension_adds_its_days() -> None:
    clock = legal_clock(
        complete_on=COMPLETE,
        suspensions=[(date(2027, 2, 10), date(2027, 2, 13)), (date(2027, 3, 1), date(2027, 3, 8))],
        decided=False,
        today=date(2027, 4, 1),
    )
    assert clock.suspended_days == 10 and clock.due_on == date(2027, 5, 12)


def test_the_due_day_itself_is_not_overdue() -> None:
    due = date(2027, 5, 2)
    on_time = legal_clock(complete_on=COMPLETE, suspensions=[], decided=False, today=due)
    assert on_time.days_left == 0 and not on_time.overdue
    late = legal_clock(complete_on=COMPLETE, suspensions=[], decided=False, today=date(2027, 5, 3))
    assert late.overdue
