"""The retry schedule of transient failures."""

from __future__ import annotations

from datetime import timedelta

from trustcycle.outbox import BACKOFF, backoff


def test_backoff_grows_then_is_capped() -> None:
    waits = [backoff(n) for n in range(1, 10)]
    assert waits[0] == timedelta(minutes=5)
    assert waits == sorted(waits)
    assert waits[-1] == BACKOFF[-1] == timedelta(hours=24)
