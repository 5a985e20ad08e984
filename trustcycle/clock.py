"""The one seam through which trustcycle reads the time.

Nothing else calls `pendulum.now()`. Production uses the system clock; the simulator and
the tests install a `FixedClock` (for a whole simulated year, one per visited day) with
`use_clock`, which is a context variable so it is safe across threads and async tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

import pendulum

from trustcycle import TIMEZONE


class Clock(Protocol):
    def now(self) -> pendulum.DateTime: ...


class SystemClock:
    def now(self) -> pendulum.DateTime:
        return pendulum.now(TIMEZONE)


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
    return now().date()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
