"""The one seam through which trustcycle reads the time.

Two clocks, never mixed (README, "Two clocks"):
- the **wall clock**, `now()`: what is recorded or sent carries it (audit rows, sent times,
  an email's Date header, the papers-deadline check). Production reads the system clock;
  only the simulator (and tests standing in for it) install a `FixedClock` with
  `use_clock`, a context variable, so it is safe across threads and async tasks: there the
  virtual day *is* the wall clock.
- the **planning day**, `planning_day(as_of)`: which steps of the calendar are due. A run's
  `as_of` chooses it (an officer's catch-up or look-ahead run); without one it is today.

Nothing else calls `pendulum.now()`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Protocol

import pendulum

from trustcycle import TIMEZONE


class Clock(Protocol):
    def now(self) -> pendulum.DateTime: ...


# A rehearsal seam, off unless set: the whole service behaves as if it were this many days
# later (a live test on a weekend rehearses the next working day; an officer can rehearse
# a papers day on a copy). Prefect's scheduler still fires on the real time of day.
SHIFT_ENV = "TRUSTCYCLE_CLOCK_SHIFT_DAYS"


def _shift_days() -> int:
    value = os.environ.get(SHIFT_ENV, "").strip()
    if not value:
        return 0
    if not value.lstrip("-").isdigit() or abs(int(value)) > 366:
        raise ValueError(f"{SHIFT_ENV}={value!r}: must be a whole number of days, at most 366")
    return int(value)


class SystemClock:
    def now(self) -> pendulum.DateTime:
        shift = _shift_days()
        now = pendulum.now(TIMEZONE)
        return now.add(days=shift) if shift else now


class FixedClock:
    """A clock stopped at one instant (local London time unless the value says otherwise)."""

    def __init__(self, at: pendulum.DateTime) -> None:
        self._at = at.in_timezone(TIMEZONE)

    def now(self) -> pendulum.DateTime:
        return self._at

    @classmethod
    def on(cls, day: pendulum.Date, hour: int = 9, minute: int = 0) -> FixedClock:
        return cls(pendulum.datetime(day.year, day.month, day.day, hour, minute, tz=TIMEZONE))


_current: ContextVar[Clock] = ContextVar("trustcycle_clock", default=SystemClock())


def now() -> pendulum.DateTime:
    """The current instant in Europe/London, from whichever clock is installed."""
    return _current.get().now()


def wall_now() -> pendulum.DateTime:
    """The machine's real instant, whatever clock is installed (a simulator's `FixedClock`
    too): only for what processes must agree on in real time, such as the outbox's leases."""
    return pendulum.now(TIMEZONE)


def today() -> pendulum.Date:
    """The wall clock's day in Europe/London."""
    return now().date()


def planning_day(as_of: date | None = None) -> pendulum.Date:
    """The day whose steps are due: `as_of` if a run was given one, else today."""
    if as_of is None:
        return today()
    return pendulum.date(as_of.year, as_of.month, as_of.day)


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
