"""The pure rules behind live operation: late requests, sign-off answers, cycle years."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from trustcycle.calendar.clock import SHIFT_ENV, SystemClock
from trustcycle.calendar.workdays import working_days
from trustcycle.chasing.rules import RequestDates, late_request_dates
from trustcycle.config.schema import Nation
from trustcycle.config.years import cycle_year_of, for_year
from trustcycle.papers.signoff import answer_problem, working_days_left
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
ENGLAND = working_days(Nation.england)


def test_a_request_opened_on_its_day_keeps_the_calendars_dates() -> None:
    got = late_request_dates(date(2026, 4, 27), date(2026, 5, 13), date(2026, 5, 20),
                             date(2026, 4, 27), 5, ENGLAND)
    assert got == RequestDates(date(2026, 5, 13), date(2026, 5, 20), late=False)


def test_a_late_request_gets_five_working_days_skipping_the_bank_holiday() -> None:
    # Opened Thursday 30 April 2026: Friday 1, (Monday 4 May is a bank holiday), 5, 6, 7, 8.
    got = late_request_dates(date(2026, 4, 27), date(2026, 5, 5), date(2026, 5, 12),
                             date(2026, 4, 30), 5, ENGLAND)
    assert got == RequestDates(date(2026, 5, 8), date(2026, 5, 12), late=True)


def test_a_late_deadline_past_the_cut_off_moves_the_cut_off_a_working_day_after_it() -> None:
    # Opened Monday 11 May; the calendar's cut-off (Wednesday 13) is before the new
    # deadline (Monday 18): the cut-off becomes Tuesday 19.
    got = late_request_dates(date(2026, 4, 27), date(2026, 5, 6), date(2026, 5, 13),
                             date(2026, 5, 11), 5, ENGLAND)
    assert got == RequestDates(date(2026, 5, 18), date(2026, 5, 19), late=True)


def test_a_late_request_whose_deadline_is_still_far_keeps_it() -> None:
    got = late_request_dates(date(2026, 4, 27), date(2026, 6, 30), date(2026, 7, 7),
                             date(2026, 4, 28), 5, ENGLAND)
    assert got == RequestDates(date(2026, 6, 30), date(2026, 7, 7), late=True)


@pytest.mark.parametrize(("decision", "officer", "comment", "problem"), [
    ("approve", "Sam Ireland", "", None),
    ("request_changes", "Sam Ireland", "Add the NEET figures", None),
    (None, "Sam Ireland", "", "choose approve or request changes"),
    ("approve", "  ", "", "give your name: it is recorded in the audit log and printed on "
                          "the papers"),
    ("request_changes", "Sam Ireland", " ", "say what should change: a change request needs "
                                            "a comment"),
])
def test_a_sign_off_answer_is_taken_only_when_complete(
    decision: str | None, officer: str, comment: str, problem: str | None
) -> None:
    assert answer_problem(decision, officer, comment) == problem


def test_working_days_left_to_the_papers_day_skip_weekends_and_bank_holidays() -> None:
    # Thursday 21 May 2026 to Wednesday 27 May: Friday 22, (Monday 25 bank holiday), 26, 27.
    assert working_days_left(date(2026, 5, 21), date(2026, 5, 27), ENGLAND) == 3
    assert working_days_left(date(2026, 5, 27), date(2026, 5, 27), ENGLAND) == 0


def test_the_cycle_year_follows_the_day_but_never_precedes_the_configured_one() -> None:
    cfg = load_config(ROOT / "config")  # cycle_year 2026, starting 1 April
    assert cycle_year_of(cfg, date(2026, 3, 31)) == 2026  # before it began: its first year
    assert cycle_year_of(cfg, date(2027, 3, 31)) == 2026
    assert cycle_year_of(cfg, date(2027, 4, 1)) == 2027
    assert for_year(cfg, 2027).trust.cycle_year == 2027
    assert for_year(cfg, 2026) is cfg


def test_the_rehearsal_shift_moves_the_system_clock_and_refuses_nonsense(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = SystemClock().now()
    monkeypatch.setenv(SHIFT_ENV, "2")
    shifted = SystemClock().now()
    assert shifted.date() == base.add(days=2).date() or shifted.date() == base.add(days=3).date()
    monkeypatch.setenv(SHIFT_ENV, "two")
    with pytest.raises(ValueError, match="TRUSTCYCLE_CLOCK_SHIFT_DAYS='two'"):
        SystemClock().now()
