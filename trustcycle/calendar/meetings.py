"""Meeting recurrence rules such as "second Tuesday of Jan, Apr, Jul, Oct".

A rule names an ordinal (first..fourth, last), a weekday, and its months:
- "of" a list of month names or abbreviations, or "of every month" / "each month";
- "monthly" (every month);
- "every two months from May" (May, July, September, November, January, March: the
  months count on from the named one, round the year; "every three months from June" is
  quarterly), with or without "of";
- any of these may end "except August" (or "except Aug and Dec").
A meeting a rule puts on a bank holiday moves to the next working day (councils re-date
such meetings; the clerk can also list it under `cancelled` and add the real date).
Explicit dates are taken as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

import pendulum

from trustcycle.calendar.workdays import Roll, WorkingDays, at_local, for_trust
from trustcycle.config.loader import TrustConfig, as_date
from trustcycle.config.schema import duration_minutes

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_RULE = re.compile(
    r"^\s*(\w+)\s+(\w+)\s+(?:of\s+|(?=monthly\b|every\b|each\b))(.+?)"
    r"(?:\s+except\s+(.+?))?\s*$", re.IGNORECASE)
_EVERY_N = re.compile(r"^every\s+(\w+)\s+months\s+from\s+(\w+)$", re.IGNORECASE)
_COUNTS = {"two": 2, "three": 3, "four": 4, "six": 6, "2": 2, "3": 3, "4": 4, "6": 6}
_EXAMPLE = "a rule like 'second Tuesday of Jan, Apr, Jul, Oct'"


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


def _months(text: str) -> tuple[int, ...]:
    tokens = [t for t in re.split(r",|\band\b", text) if t.strip()]
    return tuple(sorted({_month(t) for t in tokens}))


def _rule_months(text: str) -> tuple[int, ...]:
    """The months of "every month", "monthly", "every two months from May" or a list."""
    if text.lower() in ("every month", "each month", "month", "monthly"):
        return tuple(range(1, 13))
    every = _EVERY_N.match(text)
    if every:
        count, first = every.groups()
        if count.lower() not in _COUNTS:
            raise ValueError(f"every {count} months: give two, three, four or six")
        step, start = _COUNTS[count.lower()], _month(first)
        return tuple(sorted((start - 1 + k * step) % 12 + 1 for k in range(12 // step)))
    if text.lower().startswith("every "):
        raise ValueError(f"{text!r} is not like 'every two months from May'")
    return _months(text)


def parse_rule(text: str) -> Recurrence:
    """Parse a rule; raises ValueError saying what is wrong."""
    match = _RULE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not {_EXAMPLE}")
    ordinal_word, weekday_word, months_text, except_text = match.groups()
    if ordinal_word.lower() not in _ORDINALS:
        raise ValueError(f"{ordinal_word!r} is not one of {', '.join(_ORDINALS)}")
    if weekday_word.lower() not in _WEEKDAYS:
        raise ValueError(f"{weekday_word!r} is not a weekday")
    months = _rule_months(months_text)
    if except_text is not None:
        left_out = _months(except_text)
        stray = [m for m in left_out if m not in months]
        if stray:
            raise ValueError(f"except {_MONTHS[stray[0] - 1].capitalize()}: the rule has no "
                             "meeting that month")
        months = tuple(m for m in months if m not in left_out)
        if not months:
            raise ValueError(f"{text!r} leaves no month")
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


def meeting_minutes(cfg: TrustConfig, body_id: str, start: pendulum.DateTime) -> int:
    """How long the body's meeting at `start` lasts: the `duration` of the rule that gives
    it, else the body's `meetings.duration` (as in `body_meetings`, a listed date and then
    a later rule win)."""
    meetings = cfg.bodies[body_id].meetings
    day = start.date()
    chosen = meetings.duration
    if day not in {as_date(d) for d in meetings.dates}:
        days = for_trust(cfg)
        for rule in meetings.rules:
            lo = as_date(rule.starts) if rule.starts else day
            hi = as_date(rule.ends) if rule.ends else day
            if lo <= day <= hi and occurrences(parse_rule(rule.rule), day, day, days):
                chosen = rule.duration or meetings.duration
    return duration_minutes(chosen)
