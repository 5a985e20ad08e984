"""Richer meeting rules ("monthly except August", "every two months from May") and how long
meetings last (the calendar file's DTEND).

Dates worked out by hand: 1 April 2026 is a Wednesday, 1 May 2026 a Friday, 1 March 2027 a
Monday; Northern Ireland's 12 July 2026 is a Sunday, kept on Monday 13.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pendulum
import pytest
from icalendar import Calendar

from trustcycle.calendar.ics import timeline_ics
from trustcycle.calendar.meetings import (
    Recurrence,
    body_meetings,
    meeting_minutes,
    occurrences,
    parse_rule,
)
from trustcycle.calendar.workdays import working_days
from trustcycle.config import ConfigError
from trustcycle.config.schema import Nation
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
D = pendulum.date
ENGLAND = working_days(Nation.england)
YEAR = (D(2026, 4, 1), D(2027, 3, 31))
STAMP = pendulum.datetime(2026, 4, 2, 9, 0, tz="Europe/London")


def test_first_wednesday_monthly_except_august_is_eleven_meetings() -> None:
    rule = parse_rule("first Wednesday monthly except August")
    assert rule == Recurrence(1, 2, (1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12))
    assert occurrences(rule, *YEAR, ENGLAND) == [
        D(2026, 4, 1), D(2026, 5, 6), D(2026, 6, 3), D(2026, 7, 1), D(2026, 9, 2),
        D(2026, 10, 7), D(2026, 11, 4), D(2026, 12, 2), D(2027, 1, 6), D(2027, 2, 3),
        D(2027, 3, 3),
    ]
    assert parse_rule("first Wednesday of every month except Aug") == rule


def test_every_two_months_from_may_counts_round_the_year() -> None:
    rule = parse_rule("second Tuesday every two months from May")
    assert rule == Recurrence(2, 1, (1, 3, 5, 7, 9, 11))
    assert occurrences(rule, *YEAR, ENGLAND) == [
        D(2026, 5, 12), D(2026, 7, 14), D(2026, 9, 8), D(2026, 11, 10), D(2027, 1, 12),
        D(2027, 3, 9),
    ]
    assert parse_rule("second Tuesday of every 2 months from May") == rule
    assert parse_rule("third Thursday every three months from June").months == (3, 6, 9, 12)
    assert parse_rule("last Monday every six months from Oct except April").months == (10,)


def test_a_rule_meeting_moves_off_its_own_nations_bank_holiday() -> None:
    rule = parse_rule("second Monday of Jul")
    assert occurrences(rule, *YEAR, ENGLAND) == [D(2026, 7, 13)]
    assert occurrences(rule, *YEAR, working_days(Nation.northern_ireland)) == [D(2026, 7, 14)]
    august = parse_rule("first Monday monthly except Jan, Feb, Mar, Apr, May, Jun, Jul, Sep, "
                        "Oct, Nov and Dec")
    assert occurrences(august, *YEAR, ENGLAND) == [D(2026, 8, 3)]
    assert occurrences(august, *YEAR, working_days(Nation.scotland)) == [D(2026, 8, 4)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("first Wednesday monthly except Smarch", "'smarch' is not a month"),
        ("first Monday of May except June", "except June: the rule has no meeting that month"),
        ("first Monday of May except May", "'first Monday of May except May' leaves no month"),
        ("second Tuesday every five months from May",
         "every five months: give two, three, four or six"),
        ("second Tuesday every two month from May",
         "'every two month from May' is not like 'every two months from May'"),
        ("second Tuesday every two months from Maytime", "'maytime' is not a month"),
        ("first Wednesday", "'first Wednesday' is not a rule like 'second Tuesday of Jan, Apr, "
                            "Jul, Oct'"),
    ],
)
def test_a_bad_rule_says_exactly_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_rule(text)
    assert str(info.value) == message


def _default(tmp_path: Path, old: str, new: str) -> Path:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    path = config / "bodies.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return config


BOARD_RULE = '        - {rule: "second Tuesday of Jun, Sep, Dec, Mar", time: "14:00"}\n'


@pytest.mark.parametrize(
    ("new", "line"),
    [
        ('        - {rule: "second Tuesday monthly except Smarch", time: "14:00"}\n',
         "bodies.board.meetings.rules.0.rule: 'smarch' is not a month"),
        ('        - {rule: "second Tuesday every 5 months from June", time: "14:00"}\n',
         "bodies.board.meetings.rules.0.rule: every 5 months: give two, three, four or six"),
        ('        - {rule: "second Tuesday of Jun, Sep, Dec, Mar", duration: 2 hours}\n',
         "bodies.board.meetings.rules.0.duration: '2 hours' is not a duration such as 2h, 90m "
         "or 1h30m"),
        ('        - {rule: "second Tuesday of Jun, Sep, Dec, Mar", duration: 13h}\n',
         "bodies.board.meetings.rules.0.duration: '13h': a meeting lasts more than 0 and at "
         "most 12 hours"),
    ],
    ids=["bad month", "every five months", "duration in words", "duration too long"],
)
def test_a_bad_rule_or_duration_in_bodies_yaml_is_one_line(
    tmp_path: Path, new: str, line: str
) -> None:
    config = _default(tmp_path, BOARD_RULE, new)
    with pytest.raises(ConfigError) as exc:
        load_config(config)
    assert str(exc.value) == f"{config / 'bodies.yaml'}: {line}"


def _events(config: Path) -> dict[datetime, datetime]:
    cal = Calendar.from_ical(timeline_ics(load_config(config), 2026, STAMP))
    return {e.decoded("DTSTART"): e.decoded("DTEND") for e in cal.walk("VEVENT")
            if str(e["SUMMARY"]) == "Children's Trust Board meeting"}


def test_a_meeting_ends_after_its_rules_duration_else_the_bodys_else_two_hours(
    tmp_path: Path,
) -> None:
    plain = _events(_default(tmp_path / "a", BOARD_RULE, BOARD_RULE))
    assert sorted(end - start for start, end in plain.items()) == [timedelta(hours=2)] * 4
    ruled = _default(tmp_path / "b", BOARD_RULE,
                     '        - {rule: "second Tuesday of Jun, Sep", duration: 1h30m}\n'
                     '        - {rule: "second Tuesday of Dec, Mar"}\n'
                     "      duration: 3h\n")
    ends = {start.date().isoformat(): end.strftime("%H:%M")
            for start, end in _events(ruled).items()}
    assert ends == {"2026-06-09": "15:30", "2026-09-08": "15:30", "2026-12-08": "17:00",
                    "2027-03-09": "17:00"}
    cfg = load_config(ruled)
    first = body_meetings(cfg, "board", 2026)[0]
    assert (first, meeting_minutes(cfg, "board", first)) == (
        pendulum.datetime(2026, 6, 9, 14, tz="Europe/London"), 90)
