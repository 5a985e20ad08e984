"""Meeting recurrence rules such as "second Tuesday of Jan, Apr, Jul, Oct".

A rule names an ordinal (first..fourth, last), a weekday, and months ("every month",
"each month", or a list of month names or abbreviations). A meeting a rule puts on a bank
holiday moves to the next working day (councils re-date such meetings; the clerk can also
list it under `cancelled` and add the real date). Explicit dates are taken as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

import pendulum

from trustcycle.calendar.workdays import Roll, WorkingDays, at_local, for_trust
from trustcycle.config.loader import TrustConfig, as_date

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_RULE = re.compile(r"^\s*(\w+)\s+(\w+)\s+of\s+(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Recurrence:
    ordinal: int  # 1..4, or -1 for the last
    weekday: int  # 0 = Monday
    months: tuple[int, ...]  # 1..12


def _month(token: str) -> int:
    token = token.strip().lower().rstrip(".")
    for index, name in enumerate(_MONTHS, start=1):
        if len(token) >= 3 and name.startswith(token):
            return index
    raise ValueError(f"{token!r} is not a month")


def parse_rule(text: str) -> Recurrence:
    """Parse a rule; raises ValueError saying what is wrong."""
    match = _RULE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a rule like 'second Tuesday of Jan, Apr, Jul, Oct'")
    ordinal_word, weekday_word, months_text = match.groups()
    if ordinal_word.lower() not in _ORDINALS:
        raise ValueError(f"{ordinal_word!r} is not one of {', '.join(_ORDINALS)}")
    if weekday_word.lower() not in _WEEKDAYS:
        raise ValueError(f"{weekday_word!r} is not a weekday")
    if months_text.lower() in ("every month", "each month", "month"):
        months = tuple(range(1, 13))
    else:
        tokens = [t for t in re.split(r",|\band\b", months_text) if t.strip()]
        months = tuple(sorted({_month(t) for t in tokens}))
    return Recurrence(
        _ORDINALS[ordinal_word.lower()], _WEEKDAYS.index(weekday_word.lower()), months
    )


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> pendulum.Date:
    # mutant: equivalent (`>= 0`, `> -1`): an ordinal is 1 to 4, or -1 for the last.
    if ordinal > 0:
        first = pendulum.date(year, month, 1)
        shift = (weekday - first.weekday()) % 7
        return first.add(days=shift + 7 * (ordinal - 1))
    # mutant: equivalent (day 2 for 1): any day of the month has the same end of month.
    last = pendulum.date(year, month, 1).end_of("month")
    return last.subtract(days=(last.weekday() - weekday) % 7)


def occurrences(
    rule: Recurrence, start: pendulum.Date, end: pendulum.Date, days: WorkingDays
) -> list[pendulum.Date]:
    """The rule's days in [start, end], moved off bank holidays to the next working day."""
    out: list[pendulum.Date] = []
    cursor = pendulum.date(start.year, start.month, 1)
    while cursor <= end:
        if cursor.month in rule.months:
            day = days.roll(
                nth_weekday(cursor.year, cursor.month, rule.weekday, rule.ordinal), Roll.LATER
            )
            if start <= day <= end:
                out.append(day)
        cursor = cursor.add(months=1)
    return out


def meeting_times(dates: list[pendulum.Date], at: time) -> list[pendulum.DateTime]:
    return [at_local(d, at.hour, at.minute) for d in dates]


def body_meetings(
    cfg: TrustConfig, body_id: str, year: int | None = None, margin_months: int = 6
) -> list[pendulum.DateTime]:
    """The body's meetings from the cycle's start to `margin_months` after its end."""
    body = cfg.bodies[body_id]
    start, end = cfg.cycle_bounds(year)
    end = end.add(months=margin_months)
    days: dict[pendulum.Date, pendulum.DateTime] = {}
    for rule in body.meetings.rules:
        lo = max(start, as_date(rule.starts)) if rule.starts else start
        hi = min(end, as_date(rule.ends)) if rule.ends else end
        for day in occurrences(parse_rule(rule.rule), lo, hi, for_trust(cfg)):
            days[day] = meeting_times([day], rule.time)[0]
    for d in body.meetings.dates:
        day = as_date(d)
        if start <= day <= end:
            days[day] = meeting_times([day], body.meetings.time)[0]
    cancelled = {as_date(d) for d in body.meetings.cancelled}
    return [days[d] for d in sorted(days) if d not in cancelled]
