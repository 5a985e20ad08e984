"""Working days, clear days and the rule for dates that land on a non-working day.

A working day is Monday to Friday, not an England bank holiday (the `holidays` package's
GB/ENG calendar, which carries the one-off days such as 19 September 2022).

Rolling rule (see README, "Dates"): a date that falls on a non-working day moves
- EARLIER when it is a deadline or a papers date: nobody may lose time they were promised
  to *receive*, and an officer cannot publish papers on a closed day;
- LATER when it is a request or a reminder: mail is only sent on working days.
Meetings are never moved: a meeting on a non-working day is a configuration error.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

import holidays
import pendulum

from trustcycle import TIMEZONE


class Roll(Enum):
    EARLIER = "earlier"
    LATER = "later"
    NONE = "none"


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[pendulum.Date]:
    days = holidays.country_holidays("GB", subdiv="ENG", years=[year])
    return frozenset(pendulum.date(d.year, d.month, d.day) for d in days)


def bank_holiday_name(day: pendulum.Date) -> str | None:
    days = holidays.country_holidays("GB", subdiv="ENG", years=[day.year])
    return days.get(day)


def is_bank_holiday(day: pendulum.Date) -> bool:
    return pendulum.date(day.year, day.month, day.day) in _bank_holidays(day.year)


def is_working_day(day: pendulum.Date) -> bool:
    return day.isoweekday() < 6 and not is_bank_holiday(day)


def roll(day: pendulum.Date, direction: Roll) -> pendulum.Date:
    """The nearest working day in `direction` (the day itself if it is one)."""
    if direction is Roll.NONE:
        return day
    step = -1 if direction is Roll.EARLIER else 1
    while not is_working_day(day):
        day = day.add(days=step)
    return day


def add_working_days(day: pendulum.Date, n: int) -> pendulum.Date:
    """The working day `n` working days after `day` (before it when `n` < 0).

    `day` itself is never counted; with n == 0 the answer is `day` rolled later.
    """
    if n == 0:
        return roll(day, Roll.LATER)
    # mutant: equivalent (`n >= 0`, `n > -1`): n == 0 has returned above.
    step = 1 if n > 0 else -1
    remaining = abs(n)
    while remaining:
        day = day.add(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_before(day: pendulum.Date, n: int) -> pendulum.Date:
    """E.g. a report author's deadline: 7 working days before the meeting."""
    return add_working_days(day, -n)


def working_days_after(day: pendulum.Date, n: int) -> pendulum.Date:
    return add_working_days(day, n)


def working_days_between(start: pendulum.Date, end: pendulum.Date) -> int:
    """Signed count of working days in (start, end]: 0 when equal, negative when end < start."""
    # mutant: equivalent (this check removed): equal days count nothing below either.
    if end == start:
        return 0
    # mutant: equivalent (`end >= start`): equal days have returned above.
    sign = 1 if end > start else -1
    # mutant: equivalent (`sign >= 0`, `sign > -1`): sign is 1 or -1.
    lo, hi = (start, end) if sign > 0 else (end, start)
    count = 0
    day = lo.add(days=1)
    while day <= hi:
        if is_working_day(day):
            count += 1
        day = day.add(days=1)
    return sign * count


def clear_days_before(meeting_day: pendulum.Date, n: int) -> pendulum.Date:
    """The last day papers may be published so that `n` clear days precede the meeting.

    LGA 1972 s100B: "clear days" exclude both the day of publication and the day of the
    meeting, so 5 clear days before a Monday meeting is the Tuesday of the week before.
    The publication day must be a working day, so it rolls earlier.
    """
    return roll(meeting_day.subtract(days=n + 1), Roll.EARLIER)


def at_local(day: pendulum.Date, hour: int, minute: int = 0) -> pendulum.DateTime:
    """`day` at a wall-clock time in London: 09:00 stays 09:00 across BST and GMT."""
    return pendulum.datetime(day.year, day.month, day.day, hour, minute, tz=TIMEZONE)


def working_days_in(start: pendulum.Date, end: pendulum.Date) -> list[pendulum.Date]:
    """Every working day from start to end inclusive."""
    out: list[pendulum.Date] = []
    day = start
    while day <= end:
        if is_working_day(day):
            out.append(day)
        day = day.add(days=1)
    return out
