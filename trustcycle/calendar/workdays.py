"""Working days, clear days and the rule for dates that land on a non-working day.

A working day is Monday to Friday and not a bank holiday of the trust's nation
(`trust.nation`: england, wales, scotland, northern_ireland; the `holidays` package's
GB/ENG, GB/WLS, GB/SCT, GB/NIR calendars, which carry the one-off days such as 19 September
2022). Nothing here assumes a nation: a `WorkingDays` is built for one, and the trust's
comes from its configuration (`for_trust(cfg)`), so every date computed for a trust uses
the trust's own bank holidays.

Rolling rule (see README, "Dates"): a date that falls on a non-working day moves
- EARLIER when it is a deadline or a papers date: nobody may lose time they were promised
  to *receive*, and an officer cannot publish papers on a closed day;
- LATER when it is a request or a reminder: mail is only sent on working days.
Meetings are never moved: a meeting on a non-working day is a configuration error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import lru_cache

import holidays
import pendulum

from trustcycle import TIMEZONE
from trustcycle.config.loader import TrustConfig
from trustcycle.config.schema import Nation

# The `holidays` package's subdivision of GB for each nation.
_SUBDIVISION = {
    Nation.england: "ENG",
    Nation.wales: "WLS",
    Nation.scotland: "SCT",
    Nation.northern_ireland: "NIR",
}


class Roll(Enum):
    EARLIER = "earlier"
    LATER = "later"
    NONE = "none"


@lru_cache(maxsize=256)
def _holiday_names(nation: Nation, year: int) -> dict[date, str]:
    days = holidays.country_holidays("GB", subdiv=_SUBDIVISION[nation], years=[year])
    return {date(d.year, d.month, d.day): name for d, name in days.items()}


@dataclass(frozen=True)
class WorkingDays:
    """The working-day arithmetic of one nation (weekends and its bank holidays closed)."""

    nation: Nation
    # Hot path: the chase asks about the same few years thousands of times.
    _closed: dict[int, frozenset[date]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def bank_holidays(self, year: int) -> frozenset[date]:
        closed = self._closed.get(year)
        if closed is None:
            closed = self._closed[year] = frozenset(_holiday_names(self.nation, year))
        return closed

    def bank_holiday_name(self, day: date) -> str | None:
        return _holiday_names(self.nation, day.year).get(date(day.year, day.month, day.day))

    def is_bank_holiday(self, day: date) -> bool:
        # A pendulum.Date equals and hashes as the datetime.date of the same day.
        return day in self.bank_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() < 6 and day not in self.bank_holidays(day.year)

    def roll(self, day: pendulum.Date, direction: Roll) -> pendulum.Date:
        """The nearest working day in `direction` (the day itself if it is one)."""
        if direction is Roll.NONE:
            return day
        step = -1 if direction is Roll.EARLIER else 1
        while not self.is_working_day(day):
            day = day.add(days=step)
        return day

    def add_working_days(self, day: pendulum.Date, n: int) -> pendulum.Date:
        """The working day `n` working days after `day` (before it when `n` < 0).

        `day` itself is never counted; with n == 0 the answer is `day` rolled later.
        """
        if n == 0:
            return self.roll(day, Roll.LATER)
        # mutant: equivalent (`n >= 0`, `n > -1`): n == 0 has returned above.
        step = 1 if n > 0 else -1
        remaining = abs(n)
        while remaining:
            day = day.add(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_before(self, day: pendulum.Date, n: int) -> pendulum.Date:
        """E.g. a report author's deadline: 7 working days before the meeting."""
        return self.add_working_days(day, -n)

    def working_days_after(self, day: pendulum.Date, n: int) -> pendulum.Date:
        return self.add_working_days(day, n)

    def working_days_between(self, start: pendulum.Date, end: pendulum.Date) -> int:
        """Signed count of working days in (start, end]: 0 when equal, negative when
        end < start."""
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
            if self.is_working_day(day):
                count += 1
            day = day.add(days=1)
        return sign * count

    def clear_days_before(self, meeting_day: pendulum.Date, n: int) -> pendulum.Date:
        """The last day papers may be published so that `n` clear days precede the meeting.

        LGA 1972 s100B: "clear days" exclude both the day of publication and the day of the
        meeting, so 5 clear days before a Monday meeting is the Tuesday of the week before.
        The publication day must be a working day, so it rolls earlier.
        """
        return self.roll(meeting_day.subtract(days=n + 1), Roll.EARLIER)

    def working_days_in(self, start: pendulum.Date, end: pendulum.Date) -> list[pendulum.Date]:
        """Every working day from start to end inclusive."""
        out: list[pendulum.Date] = []
        day = start
        while day <= end:
            if self.is_working_day(day):
                out.append(day)
            day = day.add(days=1)
        return out


@lru_cache(maxsize=len(Nation))
def working_days(nation: Nation) -> WorkingDays:
    """The one `WorkingDays` of a nation (shared, so its caches are shared)."""
    return WorkingDays(Nation(nation))


def for_trust(cfg: TrustConfig) -> WorkingDays:
    """The trust's working days: its configured nation's bank holidays."""
    return working_days(cfg.trust.nation)


def at_local(day: pendulum.Date, hour: int, minute: int = 0) -> pendulum.DateTime:
    """`day` at a wall-clock time in London: 09:00 stays 09:00 across BST and GMT."""
    return pendulum.datetime(day.year, day.month, day.day, hour, minute, tz=TIMEZONE)
