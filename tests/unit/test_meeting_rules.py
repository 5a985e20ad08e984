"""Meeting rules at their edges: exact messages, every month, a range ending on a meeting.

June 2026 starts on a Monday (1 June 2026), which is not a bank holiday.
"""

from __future__ import annotations

import pendulum
import pytest

from trustcycle.calendar.meetings import Recurrence, occurrences, parse_rule
from trustcycle.calendar.workdays import working_days
from trustcycle.config.schema import Nation

D = pendulum.date
ENGLAND = working_days(Nation.england)
FIRST_MONDAY_OF_JUNE = parse_rule("first Monday of Jun")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("second Funday of May", "'Funday' is not a weekday"),
        ("second Tuesday of Ja", "'ja' is not a month"),  # three letters at least
        ("fifth Monday of May", "'fifth' is not one of first, second, third, fourth, last"),
    ],
)
def test_a_bad_rule_says_exactly_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_rule(text)
    assert str(info.value) == message


def test_every_month_is_the_twelve_months() -> None:
    assert parse_rule("last Friday of every month") == Recurrence(-1, 4, tuple(range(1, 13)))
    assert parse_rule("first Monday of Jan and Jul") == Recurrence(1, 0, (1, 7))


def test_a_range_ending_on_a_first_of_the_month_includes_that_days_meeting() -> None:
    june = occurrences(FIRST_MONDAY_OF_JUNE, D(2026, 5, 2), D(2026, 6, 1), ENGLAND)
    assert june == [D(2026, 6, 1)]


def test_a_range_starting_on_a_meeting_day_includes_it() -> None:
    june = occurrences(FIRST_MONDAY_OF_JUNE, D(2026, 6, 1), D(2026, 6, 30), ENGLAND)
    assert june == [D(2026, 6, 1)]
    assert occurrences(FIRST_MONDAY_OF_JUNE, D(2026, 6, 2), D(2026, 6, 30), ENGLAND) == []
