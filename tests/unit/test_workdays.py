"""The calendar engine: working days, clear days, rolling, and local times across DST."""

import pendulum
import pytest

from trustcycle.calendar.workdays import Roll, at_local, working_days
from trustcycle.config.schema import Nation

D = pendulum.date
ENGLAND = working_days(Nation.england)


@pytest.mark.parametrize(
    "day",
    [
        D(2010, 4, 2),
        D(2010, 4, 5),
        D(2010, 5, 31),
        D(2026, 4, 3),
        D(2026, 4, 6),
        D(2026, 12, 25),
        D(2026, 12, 28),
        D(2022, 9, 19),
        D(2023, 5, 8),
    ],
)
def test_bank_holidays_are_not_working_days(day: pendulum.Date) -> None:
    assert not ENGLAND.is_working_day(day)


def test_weekends_are_not_working_days_and_weekdays_are() -> None:
    assert not ENGLAND.is_working_day(D(2026, 11, 28))
    assert not ENGLAND.is_working_day(D(2026, 11, 29))
    assert ENGLAND.is_working_day(D(2026, 11, 30))


def test_working_days_before_a_meeting_skip_the_spring_bank_holiday() -> None:
    # Board on Tuesday 8 June 2010; Monday 31 May 2010 was the spring bank holiday.
    assert ENGLAND.working_days_before(D(2010, 6, 8), 7) == D(2010, 5, 27)
    assert ENGLAND.working_days_before(D(2010, 6, 8), 5) == D(2010, 6, 1)
    assert ENGLAND.working_days_before(D(2010, 6, 8), 6) == D(2010, 5, 28)


def test_working_days_around_easter_skip_good_friday_and_easter_monday() -> None:
    # Good Friday 3 April 2026, Easter Monday 6 April 2026.
    assert ENGLAND.add_working_days(D(2026, 4, 2), 1) == D(2026, 4, 7)
    assert ENGLAND.add_working_days(D(2026, 4, 7), -1) == D(2026, 4, 2)


def test_working_days_around_christmas_skip_the_substitute_boxing_day() -> None:
    # 2026: Christmas Friday 25, Boxing Day Saturday 26 (substitute Monday 28 December).
    assert ENGLAND.add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 29)
    assert ENGLAND.working_days_between(D(2026, 12, 24), D(2026, 12, 31)) == 3


def test_working_days_between_is_signed() -> None:
    assert ENGLAND.working_days_between(D(2026, 11, 23), D(2026, 11, 27)) == 4
    assert ENGLAND.working_days_between(D(2026, 11, 27), D(2026, 11, 23)) == -4
    assert ENGLAND.working_days_between(D(2026, 11, 27), D(2026, 11, 27)) == 0


def test_leap_day_is_an_ordinary_working_day() -> None:
    # 29 February 2028 is a Tuesday.
    assert ENGLAND.is_working_day(D(2028, 2, 29))
    assert ENGLAND.add_working_days(D(2028, 2, 28), 1) == D(2028, 2, 29)
    assert ENGLAND.add_working_days(D(2028, 2, 29), 1) == D(2028, 3, 1)


def test_five_clear_days_exclude_the_day_of_publication_and_the_meeting() -> None:
    # LGA 1972 s100B: a Monday 5 July 2010 meeting needs papers out by Tuesday 29 June.
    assert ENGLAND.clear_days_before(D(2010, 7, 5), 5) == D(2010, 6, 29)


def test_clear_days_that_land_on_a_weekend_roll_earlier() -> None:
    # A Thursday meeting: 6 days back is Friday; a Monday meeting: the Tuesday before.
    assert ENGLAND.clear_days_before(D(2026, 11, 26), 5) == D(2026, 11, 20)
    assert ENGLAND.clear_days_before(D(2026, 11, 30), 5) == D(2026, 11, 24)
    # A Friday meeting: 6 days back is a Saturday, so publication rolls back to Friday.
    assert ENGLAND.clear_days_before(D(2026, 11, 27), 5) == D(2026, 11, 20)


def test_deadlines_roll_earlier_and_reminders_roll_later() -> None:
    saturday = D(2026, 11, 28)
    assert ENGLAND.roll(saturday, Roll.EARLIER) == D(2026, 11, 27)
    assert ENGLAND.roll(saturday, Roll.LATER) == D(2026, 11, 30)
    assert ENGLAND.roll(saturday, Roll.NONE) == saturday
    assert ENGLAND.roll(D(2010, 5, 31), Roll.LATER) == D(2010, 6, 1)


def test_local_times_keep_their_wall_clock_hour_across_both_clock_changes() -> None:
    # Clocks go forward on 29 March 2026 and back on 25 October 2026.
    before_spring = at_local(D(2026, 3, 27), 9)
    after_spring = at_local(D(2026, 3, 30), 9)
    before_autumn = at_local(D(2026, 10, 23), 9)
    after_autumn = at_local(D(2026, 10, 26), 9)
    assert [t.hour for t in (before_spring, after_spring, before_autumn, after_autumn)] == [9] * 4
    assert before_spring.in_timezone("UTC").hour == 9
    assert after_spring.in_timezone("UTC").hour == 8
    assert before_autumn.in_timezone("UTC").hour == 8
    assert after_autumn.in_timezone("UTC").hour == 9
    assert ENGLAND.working_days_between(D(2026, 3, 27), D(2026, 3, 30)) == 1
