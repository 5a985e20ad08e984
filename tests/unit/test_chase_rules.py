"""The chase's smaller rules at their edges: the officer's next rung, a request opened late.

Dates are Rutland's 2010 CYPP (seed 000) counted by hand: request Monday 17 May, deadline
Thursday 17 June, cut-off Friday 25 June; no bank holiday falls in June 2010.
"""

from __future__ import annotations

from datetime import date

from trustcycle.calendar.workdays import working_days
from trustcycle.chasing.rules import (
    NONE_SENT,
    RequestDates,
    late_request_dates,
    next_rung,
    rung_days,
)
from trustcycle.config.schema import Nation, Rung

ENGLAND = working_days(Nation.england)
REQUEST, DEADLINE, CUTOFF = date(2010, 5, 17), date(2010, 6, 17), date(2010, 6, 25)
RUNGS = rung_days(
    [
        Rung(name="before_10", working_days=-10),  # Thursday 3 June
        Rung(name="before_3", working_days=-3),  # Monday 14 June
        Rung(name="on_the_day", working_days=0),  # Thursday 17 June
    ],
    DEADLINE,
    ENGLAND,
)
NOTICE = 5


def _next(last_sent: int, today: date) -> str | None:
    rung = next_rung(RUNGS, last_sent, today)
    return None if rung is None else rung.name


def test_the_rung_days_these_tests_rely_on() -> None:
    assert [r.day for r in RUNGS] == [date(2010, 6, 3), date(2010, 6, 14), date(2010, 6, 17)]


def test_the_next_rung_is_the_first_still_to_come_after_today() -> None:
    assert _next(NONE_SENT, date(2010, 6, 2)) == "before_10"
    assert _next(NONE_SENT, date(2010, 6, 3)) == "before_3"  # today's is not "next"
    assert _next(NONE_SENT, date(2010, 6, 17)) is None


def test_the_next_rung_is_never_one_already_sent_or_passed_over() -> None:
    # before_3 sent early (a catch-up): on the 4th the next is the deadline's, not before_3.
    assert _next(1, date(2010, 6, 4)) == "on_the_day"
    assert _next(2, date(2010, 6, 4)) is None


def test_a_request_opened_on_its_day_keeps_the_calendars_dates() -> None:
    assert late_request_dates(REQUEST, DEADLINE, CUTOFF, REQUEST, NOTICE, ENGLAND) == RequestDates(
        DEADLINE, CUTOFF, late=False
    )


def test_a_request_opened_late_but_in_good_time_keeps_its_dates_and_says_late() -> None:
    # Thursday 20 May + 5 working days is Thursday 27 May, before the deadline.
    assert late_request_dates(REQUEST, DEADLINE, CUTOFF, date(2010, 5, 20), NOTICE, ENGLAND) == (
        RequestDates(DEADLINE, CUTOFF, late=True)
    )


def test_a_request_opened_close_to_its_deadline_gets_the_notice_and_the_cut_off_follows() -> None:
    # Monday 14 June + 5 working days is Monday 21 June: the deadline moves there; the
    # cut-off (25 June) is still after it.
    assert late_request_dates(REQUEST, DEADLINE, CUTOFF, date(2010, 6, 14), NOTICE, ENGLAND) == (
        RequestDates(date(2010, 6, 21), CUTOFF, late=True)
    )
    # Monday 21 June + 5 is Monday 28 June, past the cut-off: it moves to the working day
    # after the new deadline, Tuesday 29 June.
    assert late_request_dates(REQUEST, DEADLINE, CUTOFF, date(2010, 6, 21), NOTICE, ENGLAND) == (
        RequestDates(date(2010, 6, 28), date(2010, 6, 29), late=True)
    )


def test_a_cut_off_on_the_new_deadline_day_moves_a_working_day_later() -> None:
    # Friday 18 June + 5 is Friday 25 June, the cut-off itself: Monday 28 June then.
    assert late_request_dates(REQUEST, DEADLINE, CUTOFF, date(2010, 6, 18), NOTICE, ENGLAND) == (
        RequestDates(CUTOFF, date(2010, 6, 28), late=True)
    )
