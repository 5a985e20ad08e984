"""Tests standing in for the simulator: a day's runs with that day as the wall clock.

Production flows read the wall clock (`trustcycle.calendar.clock.now()`) for everything recorded or
sent, and take `as_of` only to choose which steps are due. A test that replays a past year
installs the day as the wall clock too, as `trustcycle simulate` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pendulum
import pytest

from trustcycle.calendar.clock import FixedClock, use_clock


@contextmanager
def wall_clock(day: date, hour: int = 9, minute: int = 0) -> Iterator[None]:
    """`day` at `hour`:`minute` London time is now, for the flows run inside."""
    with use_clock(FixedClock.on(pendulum.date(day.year, day.month, day.day), hour, minute)):
        yield


def use_database(monkeypatch: pytest.MonkeyPatch, url: str, inbox: str | None = None) -> None:
    """The installation settings a flow reads: its database (and inbox folder)."""
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)
    if inbox is not None:
        monkeypatch.setenv("TRUSTCYCLE_INBOX_DIR", inbox)
