"""Claiming rows: a lease on the wall clock, renewed while the deliverer works, fenced.

- A claim writes a token of its own (`claimed_by`, the worker id and a nonce) and
  `lease_until` = wall clock + lease. Another deliverer may take the row only once that
  instant has passed on *its* wall clock (`clock.wall_now()`), whatever `now` or `as_of`
  either run was given: a catch-up run beside the scheduled one cannot steal a lease.
- Claims never overlap: PostgreSQL uses `SELECT ... FOR UPDATE SKIP LOCKED`; SQLite takes
  the write lock up front (`BEGIN IMMEDIATE`, see `trustcycle.db.session`).
- Before each send the deliverer checks what is left of its lease, timed from the moment
  the database last confirmed it; under half left, it renews every row it still holds in
  one UPDATE, which also tells it which rows it lost (they are skipped). A send is bounded
  to end before the lease does (`Lease.budget`), so a row cannot expire mid-send.
- Every write of an outcome names the token (`claimed_by = token AND status = 'sending'`):
  a deliverer that lost its lease can neither send the row nor mark it.
- Limit: machines' clocks must agree within a tenth of the lease (30 s at the default),
  and a process frozen (SIGSTOP, a paused VM) longer than its lease mid-send may see the
  message it was sending resent by the next owner: the documented crash instant.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, sessionmaker

from trustcycle.calendar import clock
from trustcycle.db.models import OutboxStatus
from trustcycle.db.session import begin_immediate
from trustcycle.mail.message import OutgoingMessage
from trustcycle.outbox.rows import SEND_COLUMNS, SENDING, T, due, plain_utc, to_outgoing

# Elapsed real time, counting a suspended machine too (CLOCK_BOOTTIME) where Linux has it.
elapsed: Callable[[], float] = (
    (lambda: time.clock_gettime(time.CLOCK_BOOTTIME))
    if hasattr(time, "CLOCK_BOOTTIME")
    else time.monotonic
)


def wall() -> datetime:
    """The wall clock as a plain UTC datetime (leases are compared in UTC)."""
    return plain_utc(clock.wall_now())


def new_token(worker_id: str) -> str:
    """A claim's token: who holds it, and a nonce so no two claims share one."""
    return f"{worker_id[:186]}#{uuid.uuid4().hex[:12]}"


class Lease:
    """The rows one claim holds, under one token, until an instant on the wall clock."""

    def __init__(self, token: str, seconds: float, ids: Sequence[int], taken: float) -> None:
        self.token = token
        self.seconds = seconds
        self.held = set(ids)
        self._confirmed = taken  # `elapsed()` read just before the database confirmed it

    def remaining(self) -> float:
        """Seconds of the lease left, as far as this process can tell."""
        return self.seconds - (elapsed() - self._confirmed)

    def needs_renewal(self) -> bool:
        """True once half the lease is gone."""
        # mutant: equivalent (`<=`): `remaining()` reads a clock in nanoseconds; it is never
        # exactly half the lease in any run a test could arrange.
        return self.remaining() < self.seconds / 2

    def budget(self) -> float:
        """How long the next send may take and still end inside the lease, with a tenth of
        it to spare for clocks that disagree."""
        return self.remaining() - self.seconds / 10

    def renew(self, sessions: sessionmaker[Session], ids: Sequence[int]) -> list[int]:
        """Extend the lease on `ids`; returns those no longer held (to be skipped)."""
        wanted = [i for i in ids if i in self.held]
        taken = elapsed()
        until = wall() + timedelta(seconds=self.seconds)
        with begin_immediate(sessions) as session:
            kept = set(
                session.scalars(
                    update(T)
                    .where(T.c.id.in_(wanted), T.c.claimed_by == self.token, T.c.status == SENDING)
                    .values(lease_until=until)
                    .returning(T.c.id)
                )
            )
        self._confirmed = taken
        lost = [i for i in wanted if i not in kept]
        self.held.difference_update(lost)
        return lost

    def release(self, sessions: sessionmaker[Session], ids: Sequence[int], reason: str) -> int:
        """Hand rows back untouched (no attempt charged) for the next tick; how many."""
        if not ids:
            return 0
        with sessions.begin() as session:
            session.execute(
                update(T)
                .where(T.c.id.in_(list(ids)), T.c.claimed_by == self.token, T.c.status == SENDING)
                .values(
                    status=case(
                        (T.c.attempts == 0, OutboxStatus.pending.value),
                        else_=OutboxStatus.failed.value,
                    ),
                    claimed_by=None,
                    lease_until=None,
                    last_error=reason,
                )
            )
        self.held.difference_update(ids)
        return len(ids)


@dataclass
class Claim:
    """What one claim took: its lease, the messages in id order, and for rows some of whose
    recipients were served before, each such recipient's reply."""

    lease: Lease
    messages: list[OutgoingMessage]
    results: dict[int, dict[str, str]]


def claim(
    session_factory: sessionmaker[Session],
    *,
    worker_id: str,
    at: datetime,
    limit: int,
    lease_seconds: float,
) -> Claim:
    """Claim up to `limit` rows due at `at` (the run's clock) in one short transaction."""
    token = new_token(worker_id)
    taken = elapsed()
    now = wall()
    with begin_immediate(session_factory) as session:
        ids_query = select(T.c.id).where(due(at, now)).order_by(T.c.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            ids_query = ids_query.with_for_update(skip_locked=True)
        ids = list(session.scalars(ids_query))
        if not ids:
            return Claim(Lease(token, lease_seconds, [], taken), [], {})
        session.execute(
            update(T)
            .where(T.c.id.in_(ids))
            .values(
                status=SENDING,
                claimed_by=token,
                lease_until=now + timedelta(seconds=lease_seconds),
            )
        )
        rows = session.execute(select(*SEND_COLUMNS).where(T.c.id.in_(ids)).order_by(T.c.id))
        messages, results = [], {}
        for row in rows:
            messages.append(to_outgoing(row))
            if row.recipient_results:
                results[row.id] = dict(row.recipient_results)
    return Claim(Lease(token, lease_seconds, ids, taken), messages, results)
