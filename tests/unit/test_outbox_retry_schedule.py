"""The retry schedule written out, and the attempt at which a message is given up (exact).

The figures are the documented schedule (trustcycle/outbox/__init__.py, "about three days
for 8 attempts"), written out here rather than read back from the module's constants.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trustcycle.outbox import MAX_ATTEMPTS, backoff
from trustcycle.outbox.backoff import after_failure

AT = datetime(2010, 6, 1, 8, 0, tzinfo=UTC)
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


def test_backoff_waits_5_15_60_minutes_then_4_12_and_24_hours_capped() -> None:
    waits = [backoff(n) for n in range(0, 10)]
    assert waits == [
        5 * MINUTE,  # 0 failed attempts is read as the first
        5 * MINUTE,
        15 * MINUTE,
        1 * HOUR,
        4 * HOUR,
        12 * HOUR,
        24 * HOUR,
        24 * HOUR,
        24 * HOUR,
        24 * HOUR,
    ]


def test_a_message_is_given_up_at_its_eighth_failed_attempt() -> None:
    assert MAX_ATTEMPTS == 8
    seventh = after_failure(6, permanent=False, at=AT)
    assert (seventh.attempts, seventh.status, seventh.dead) == (7, "failed", False)
    assert seventh.next_attempt_at == AT + 24 * HOUR
    eighth = after_failure(7, permanent=False, at=AT)
    assert (eighth.attempts, eighth.status, eighth.dead) == (8, "dead", True)
    assert eighth.next_attempt_at is None


def test_the_schedule_of_one_message_failing_every_time_spans_about_three_days() -> None:
    at, attempts, waits = AT, 0, []
    while True:
        retry = after_failure(attempts, permanent=False, at=at)
        attempts = retry.attempts
        if retry.dead:
            break
        assert retry.next_attempt_at is not None
        waits.append(retry.next_attempt_at - at)
        at = retry.next_attempt_at
    assert attempts == 8
    assert waits == [5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 12 * HOUR, 24 * HOUR, 24 * HOUR]
    assert at - AT == timedelta(days=2, hours=17, minutes=20)  # the 8th try, then dead


@pytest.mark.parametrize("attempts_before", [0, 3])
def test_a_permanent_failure_is_dead_at_once(attempts_before: int) -> None:
    retry = after_failure(attempts_before, permanent=True, at=AT)
    assert (retry.attempts, retry.status, retry.next_attempt_at) == (
        attempts_before + 1,
        "dead",
        None,
    )


def test_a_lower_limit_gives_up_sooner() -> None:
    assert after_failure(1, permanent=False, at=AT, max_attempts=3).status == "failed"
    assert after_failure(2, permanent=False, at=AT, max_attempts=3).status == "dead"
