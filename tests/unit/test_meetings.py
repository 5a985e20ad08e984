"""Meeting recurrence rules."""

import pendulum
import pytest

from trustcycle.calendar.meetings import occurrences, parse_rule
from trustcycle.calendar.workdays import working_days
from trustcycle.config.schema import Nation

D = pendulum.date
ENGLAND = working_days(Nation.england)


def test_second_tuesday_of_quarter_months() -> None:
    rule = parse_rule("second Tuesday of Jan, Apr, Jul, Oct")
    assert occurrences(rule, D(2026, 4, 1), D(2027, 3, 31), ENGLAND) == [
        D(2026, 4, 14),
        D(2026, 7, 14),
        D(2026, 10, 13),
        D(2027, 1, 12),
    ]


def test_last_weekday_of_every_month() -> None:
    rule = parse_rule("last Friday of every month")
    days = occurrences(rule, D(2026, 1, 1), D(2026, 12, 31), ENGLAND)
    assert len(days) == 12
    assert days[1] == D(2026, 2, 27)


def test_a_rule_meeting_on_a_bank_holiday_moves_to_the_next_working_day() -> None:
    # First Monday of May 2026 is the early May bank holiday (4 May).
    rule = parse_rule("first Monday of May")
    assert occurrences(rule, D(2026, 4, 1), D(2026, 6, 1), ENGLAND) == [D(2026, 5, 5)]


@pytest.mark.parametrize(
    "text", ["fifth Monday of May", "second Funday of May", "second Tuesday of Smarch", "soon"]
)
def test_bad_rules_say_what_is_wrong(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rule(text)
