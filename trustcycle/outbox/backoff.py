"""When a message that failed is tried again, and when it is given up (pure rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from trustcycle.db.models import OutboxStatus

# Waits before retry n (1-based); the last one repeats. About three days for 8 attempts.
BACKOFF = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=12),
    timedelta(hours=24),
)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try after `attempts` failed ones."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


@dataclass(frozen=True, slots=True)
class Retry:
    """A failed message's next state: `failed` until `next_attempt_at`, or `dead`."""

    attempts: int
    status: str
    next_attempt_at: datetime | None

    @property
    def dead(self) -> bool:
        """True when nobody will try again: an officer must look."""
        return self.status == OutboxStatus.dead.value


def after_failure(
    attempts_before: int, *, permanent: bool, at: datetime, max_attempts: int = MAX_ATTEMPTS
) -> Retry:
    """The state after one more failed attempt at `at` (the run's clock)."""
    attempts = attempts_before + 1
    if permanent or attempts >= max_attempts:
        return Retry(attempts, OutboxStatus.dead.value, None)
    return Retry(attempts, OutboxStatus.failed.value, at + backoff(attempts))
