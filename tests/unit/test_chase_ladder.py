"""The reminder ladder as pure rules: which rung is due, never twice, never a burst."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from trustcycle.calendar.workdays import working_days
from trustcycle.chasing.rules import (
    NONE_SENT,
    Action,
    decide,
    due_rung,
    last_sent_index,
    next_rung,
    partners_asked,
    requests_due_to_open,
    rung_days,
)
from trustcycle.config.schema import Nation, Rung
from trustcycle.trust import load_config

LADDER = [
    Rung(name="before_10", working_days=-10),
    Rung(name="before_3", working_days=-3),
    Rung(name="on_the_day", working_days=0),
    Rung(name="overdue_2", working_days=2),
    Rung(name="escalate_4", working_days=4, escalate=True),
]
# Monday 24 May 2010; the 31 May bank holiday falls inside the overdue rungs.
DEADLINE = date(2010, 5, 24)
ENGLAND = working_days(Nation.england)
RUNGS = rung_days(LADDER, DEADLINE, ENGLAND)


def _decide(today: date, sent: list[str], status: str = "open") -> tuple[Action, str | None]:
    decision = decide(
        RUNGS,
        last_sent_index(RUNGS, sent),
        today,
        status=status,
        opened_day=date(2010, 4, 6),
        cutoff_day=date(2010, 6, 1),
        days=ENGLAND,
    )
    return decision.action, decision.rung.name if decision.rung else None


def test_rung_days_count_working_days_and_skip_the_bank_holiday() -> None:
    days = {r.name: r.day for r in RUNGS}
    assert days == {
        "before_10": date(2010, 5, 10),
        "before_3": date(2010, 5, 19),
        "on_the_day": date(2010, 5, 24),
        "overdue_2": date(2010, 5, 26),
        "escalate_4": date(2010, 5, 28),
    }


def test_nothing_is_due_before_the_first_rung() -> None:
    assert _decide(date(2010, 5, 7), []) == (Action.wait, None)


def test_the_rung_of_the_day_is_due_on_its_day() -> None:
    assert _decide(date(2010, 5, 10), []) == (Action.remind, "before_10")


def test_a_rung_already_sent_is_never_sent_again() -> None:
    assert _decide(date(2010, 5, 11), ["before_10"]) == (Action.wait, None)


def test_catch_up_after_downtime_sends_only_the_latest_due_rung() -> None:
    assert _decide(date(2010, 5, 26), []) == (Action.remind, "overdue_2")
    assert due_rung(RUNGS, NONE_SENT, date(2010, 5, 26)).name == "overdue_2"  # type: ignore[union-attr]


def test_the_last_rung_escalates() -> None:
    assert _decide(date(2010, 5, 28), ["overdue_2"]) == (Action.escalate, "escalate_4")


def test_nobody_is_chased_for_a_return_received_or_waived() -> None:
    assert _decide(date(2010, 5, 24), [], status="received") == (Action.wait, None)
    assert _decide(date(2010, 5, 24), [], status="waived") == (Action.wait, None)


def test_no_rung_goes_on_a_weekend_or_bank_holiday() -> None:
    assert _decide(date(2010, 5, 22), []) == (Action.wait, None)  # Saturday
    assert _decide(date(2010, 5, 31), ["escalate_4"]) == (Action.wait, None)  # Spring bank holiday


def test_no_rung_goes_on_the_day_the_request_opens() -> None:
    decision = decide(RUNGS, NONE_SENT, date(2010, 5, 19), status="open",
                      opened_day=date(2010, 5, 19), cutoff_day=date(2010, 6, 1),
                      days=ENGLAND)
    assert decision.action is Action.wait


def test_at_the_cut_off_an_open_request_is_marked_missing() -> None:
    assert _decide(date(2010, 6, 1), ["escalate_4"]) == (Action.mark_missing, None)


def test_next_rung_is_the_first_still_to_come() -> None:
    rung = next_rung(RUNGS, last_sent_index(RUNGS, ["before_10"]), date(2010, 5, 11))
    assert rung is not None and (rung.name, rung.day) == ("before_3", date(2010, 5, 19))


def test_requests_open_from_their_day_until_the_cut_off_on_working_days_only() -> None:
    opens = {"a": (date(2010, 4, 6), date(2010, 6, 1)), "b": (date(2010, 5, 17), date(2010, 7, 1))}
    assert requests_due_to_open(opens, date(2010, 4, 6), ENGLAND) == ["a"]
    assert requests_due_to_open(opens, date(2010, 5, 17), ENGLAND) == ["a", "b"]
    assert requests_due_to_open(opens, date(2010, 6, 1), ENGLAND) == ["b"]
    assert requests_due_to_open(opens, date(2010, 5, 15), ENGLAND) == []  # Saturday


def test_a_return_is_asked_of_all_leads_or_categories() -> None:
    cfg = load_config(Path(__file__).resolve().parents[2] / "config/examples/rutland-2010")
    by_id = {s.id: s for p in cfg.processes.values() for s in p.returns}
    assert len(partners_asked(cfg, by_id["representation"])) == len(cfg.partners)
    assert partners_asked(cfg, by_id["priority_progress"]) == [
        "rutland_cc", "police", "yot", "pct", "connexions"
    ]
    assert "var" not in partners_asked(cfg, by_id["needs_data"])
    assert "jcp" in partners_asked(cfg, by_id["needs_data"])
