"""Delivery: claim due rows, send them over one connection, record each reply.

Each message is judged on its own. A 4xx, a timeout or a connection that breaks while a
message is on it charges that message one attempt and backs it off (`backoff`); the
connection is reopened for the rest of the batch, in the same tick. A message whose
connection broke is not resent in that tick: a relay that stored it and then went quiet
gets at most one copy per backoff. Only when the relay cannot be reached at all (or three
messages in a row lose their connection) is the rest of the batch handed back, uncharged.

The relay's rate is a seam: `throttle`, a plain callable, returns when one more message may
go (tasks/mail.py passes a Prefect rate limit shared by every deliverer of every trust).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Event
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from trustcycle.mail.message import OutgoingMessage
from trustcycle.mail.senders import (
    ConnectionLost,
    DeliveryError,
    EmlDirSender,
    Overlap,
    PermanentFailure,
    RecipientResults,
    RelayRefused,
    Sender,
    ServerUnavailable,
)
from trustcycle.outbox.alerts import alert_relay, alert_undelivered
from trustcycle.outbox.backoff import MAX_ATTEMPTS
from trustcycle.outbox.leases import Claim, claim, elapsed, wall
from trustcycle.outbox.records import (
    SentMarks,
    attempts_of,
    recipients_outcome,
    record_failure,
    record_recipients,
)
from trustcycle.outbox.rows import SEND_COLUMNS, T, due, plain_utc, to_outgoing

# Connections lost by this many messages in a row mean the relay, not the messages.
BROKEN_IN_A_ROW = 3
# Trap: while a producer renders in another thread of this process, each socket read of
# the deliverer waits out the renderer's GIL switch interval (5 ms by default). Against a
# loopback relay: 1.6 ms a message alone, 8.2 ms beside a busy thread, 3.4 ms with 0.5 ms.
PIPELINED_SWITCH_INTERVAL = 0.0005

# Blocks until the relay's rate allows one more message (may raise: the run stops, its
# unsent rows stay leased until the lease ends, then the next tick takes them).
Throttle = Callable[[], None]


@dataclass
class DeliveryReport:
    """What one `deliver_pending` call did."""

    worker_id: str
    dry_run: bool = False
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    released: int = 0
    lease_lost: int = 0  # rows another deliverer took over: skipped, nothing recorded
    server_unavailable: str | None = None
    relay_refused: str | None = None  # TLS or login refused: the settings must be fixed
    sent_outbox_ids: list[int] = field(default_factory=list)
    sent_message_ids: list[str] = field(default_factory=list)
    dead_message_ids: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a log or the CLI."""
        head = "dry run: " if self.dry_run else ""
        line = (
            f"{head}claimed {self.claimed}, sent {self.sent}, retrying {self.retrying}, "
            f"dead {self.dead}, released {self.released}"
        )
        if self.lease_lost:
            line += f", lease lost on {self.lease_lost}"
        if self.relay_refused:
            return line + f"; relay refused: {self.relay_refused}"
        return line + (
            f"; server unavailable: {self.server_unavailable}" if self.server_unavailable else ""
        )


class _Run:
    """One `deliver_pending` run: its clock, its report, and its writes."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        now: datetime,
        worker_id: str,
        max_attempts: int,
        officer_email: str | None,
        commit_every: int,
        on_sent: Callable[[OutgoingMessage, str], None] | None,
        throttle: Throttle | None = None,
    ) -> None:
        self.sessions = session_factory
        self.throttle = throttle
        self.max_attempts = max_attempts
        self.officer_email = officer_email
        self.report = DeliveryReport(worker_id=worker_id)
        self._now = plain_utc(now)
        self._start = elapsed()
        self._commit_every = commit_every
        self._on_sent = on_sent
        self._marks: SentMarks | None = None  # opened at the first mark
        self._unmarked: list[tuple[OutgoingMessage, dict[str, Any]]] = []

    def at(self) -> datetime:
        """`now` advanced by the real time elapsed: the run's clock, on which backoff and
        sent times are reckoned (a simulation's `now` rules them; leases use the wall)."""
        return self._now + timedelta(seconds=elapsed() - self._start)

    def close(self) -> None:
        """Record what is still unrecorded, and release the connection of the marks."""
        try:
            self.flush()
        finally:
            if self._marks is not None:
                self._marks.close()
                self._marks = None

    def sent(self, token: str, msg: OutgoingMessage, reply: str) -> None:
        """A message the relay took for every recipient, to be recorded (`flush_due`)."""
        params = {"b_id": msg.outbox_id, "b_token": token, "b_at": self.at(), "b_reply": reply}
        self._unmarked.append((msg, params))

    def flush_due(self) -> None:
        """Record the sent messages once `commit_every` of them wait (by default each one,
        during the next message's MAIL FROM)."""
        if len(self._unmarked) >= self._commit_every:
            self.flush()

    def flush(self) -> None:
        """Record the sent messages not yet recorded, each in a commit of its own."""
        if not self._unmarked:
            return
        if self._marks is None:
            bind = self.sessions.kw.get("bind")
            assert isinstance(bind, Engine), "the session factory must be bound to an engine"
            self._marks = SentMarks(bind)
        unmarked, self._unmarked = self._unmarked, []
        for msg, params in unmarked:
            if self._marks.mark(params):
                self._count_sent(msg)
                if self._on_sent is not None:
                    self._on_sent(msg, params["b_reply"])
            else:
                self.report.lease_lost += 1

    def _count_sent(self, msg: OutgoingMessage) -> None:
        self.report.sent += 1
        self.report.sent_outbox_ids.append(msg.outbox_id)
        self.report.sent_message_ids.append(msg.message_id)

    def failed(self, claimed: Claim, msg: OutgoingMessage, reply: str, permanent: bool) -> None:
        """Charge `msg` one attempt; alert the officer if it is now dead."""
        at = self.at()
        with self.sessions.begin() as session:
            retry = record_failure(
                session,
                msg.outbox_id,
                claimed.lease.token,
                reply,
                permanent=permanent,
                at=at,
                max_attempts=self.max_attempts,
            )
            if retry is None:
                self.report.lease_lost += 1
            elif retry.dead:
                self._dead(msg)
                done = claimed.results.get(msg.outbox_id)
                unserved = None if done is None else [r for r in msg.recipients if r not in done]
                alert_undelivered(
                    session,
                    msg,
                    reply,
                    officer_email=self.officer_email,
                    at=at,
                    recipients=unserved,
                )
            else:
                self.report.retrying += 1

    def _dead(self, msg: OutgoingMessage) -> None:
        self.report.dead += 1
        self.report.dead_message_ids.append(msg.message_id)

    def recipients(self, claimed: Claim, msg: OutgoingMessage, said: RecipientResults) -> None:
        """Record each recipient's answer: served ones are never sent to again, refused ones
        are reported, deferred ones retried after the backoff."""
        at = self.at()
        with self.sessions.begin() as session:
            outcome = recipients_outcome(
                claimed.results.get(msg.outbox_id, {}),
                said.accepted,
                said.data_reply,
                said.refused,
                said.deferred,
                attempts_before=attempts_of(session, msg.outbox_id),
                at=at,
                max_attempts=self.max_attempts,
            )
            token = claimed.lease.token
            if not record_recipients(
                session, msg.outbox_id, token, outcome, data_reply=said.data_reply, at=at
            ):
                self.report.lease_lost += 1
                return
            officer = self.officer_email
            if outcome.newly_refused:
                refusals = "; ".join(f"{r}: {t}" for r, t in outcome.newly_refused.items())
                alert_undelivered(
                    session,
                    msg,
                    refusals,
                    officer_email=officer,
                    at=at,
                    recipients=list(outcome.newly_refused),
                )
            if outcome.retry is None:
                self._count_sent(msg)
            elif outcome.retry.dead:
                self._dead(msg)
                givenup = "; ".join(f"{r}: {t}" for r, t in said.deferred.items())
                unserved = list(said.deferred)
                alert_undelivered(
                    session, msg, givenup, officer_email=officer, at=at, recipients=unserved
                )
            else:
                self.report.retrying += 1


def deliver_pending(
    session_factory: sessionmaker[Session],
    sender: Sender,
    *,
    now: datetime,
    worker_id: str,
    batch_size: int = 500,
    lease_seconds: float = 300,
    dry_run: bool = False,
    commit_every: int = 1,
    max_attempts: int = MAX_ATTEMPTS,
    officer_email: str | None = None,
    on_sent: Callable[[OutgoingMessage, str], None] | None = None,
    producer_done: Event | None = None,
    poll_seconds: float = 0.05,
    throttle: Throttle | None = None,
) -> DeliveryReport:
    """Send every outbox message due at `now` through `sender` (one connection), claiming
    in batches under a lease on the wall clock.

    With `producer_done`, rows are still being committed: until it is set, an empty claim
    waits `poll_seconds` and claims again. `on_sent(msg, reply)` is called once a message
    is recorded as sent. `throttle()` is called before each message goes to the relay."""
    if dry_run:
        return _dry_run(
            session_factory, sender, now=now, worker_id=worker_id, batch_size=batch_size
        )
    run = _Run(
        session_factory,
        now=now,
        worker_id=worker_id,
        max_attempts=max_attempts,
        officer_email=officer_email,
        commit_every=commit_every,
        on_sent=on_sent,
        throttle=throttle,
    )
    report = run.report
    try:
        sender.open()
    except ServerUnavailable as exc:
        # Nothing claimed yet: an outage leaves every row as it was for the next tick.
        _stopped(run, exc)
        return report
    try:
        with _responsive(producer_done is not None):
            _deliver_all(run, sender, producer_done, batch_size, lease_seconds, poll_seconds)
    finally:
        try:
            sender.close()
        finally:
            run.close()
    return report


@contextmanager
def _responsive(pipelined: bool) -> Iterator[None]:
    """A shorter GIL switch interval while a producer in this process renders."""
    before = sys.getswitchinterval()
    if pipelined:
        sys.setswitchinterval(min(before, PIPELINED_SWITCH_INTERVAL))
    try:
        yield
    finally:
        if pipelined:
            sys.setswitchinterval(before)


def _deliver_all(
    run: _Run,
    sender: Sender,
    producer_done: Event | None,
    batch_size: int,
    lease_seconds: float,
    poll_seconds: float,
) -> None:
    """Claim and send batches until nothing is due (and the producer, if any, is done)."""
    report = run.report
    while report.server_unavailable is None:
        # Read before claiming: a producer done by then committed all it will.
        last_pass = producer_done is None or producer_done.is_set()
        claimed = claim(
            run.sessions,
            worker_id=report.worker_id,
            at=run.at(),
            limit=batch_size,
            lease_seconds=lease_seconds,
        )
        if not claimed.messages:
            if last_pass:
                return
            assert producer_done is not None
            producer_done.wait(poll_seconds)
            continue
        report.claimed += len(claimed.messages)
        _send_batch(run, sender, claimed)


def _stopped(run: _Run, exc: ServerUnavailable) -> None:
    run.report.server_unavailable = exc.reply
    if isinstance(exc, RelayRefused):
        run.report.relay_refused = exc.reply
        alert_relay(
            run.sessions, exc.problem, exc.reply, officer_email=run.officer_email, at=run.at()
        )


def _send_batch(run: _Run, sender: Sender, claimed: Claim) -> None:
    try:
        _send_each(run, sender, claimed)
    finally:
        run.flush()


def _send_each(run: _Run, sender: Sender, claimed: Claim) -> None:
    lease = claimed.lease
    messages = claimed.messages
    broken_in_a_row = 0
    for index, msg in enumerate(messages):
        if run.throttle is not None and msg.outbox_id in lease.held:
            run.flush()  # nothing sent waits unrecorded while the rate holds us back
            run.throttle()
        if lease.needs_renewal():
            run.flush()  # recorded rows are no longer the lease's to renew
            run.report.lease_lost += len(
                lease.renew(run.sessions, [m.outbox_id for m in messages[index:]])
            )
        if msg.outbox_id not in lease.held:
            continue  # another deliverer holds it now: neither send nor mark
        done = claimed.results.get(msg.outbox_id)
        recipients = None if done is None else [r for r in msg.recipients if r not in done]
        # The previous message is recorded while the relay answers this one's MAIL FROM,
        # so the crash window stays one message; the next one's bytes are built while
        # the relay answers this one's DATA.
        overlap = Overlap(
            after_mail=run.flush_due,
            next_message=messages[index + 1] if index + 1 < len(messages) else None,
        )
        try:
            within = lease.budget()
            reply = "" if recipients == [] else sender.send(msg, recipients, within, overlap)
        except DeliveryError as exc:
            run.flush()
            failure: DeliveryError = exc
        else:
            if done is None:
                run.sent(lease.token, msg, reply)
            else:  # the last recipients of a message some had already received
                run.recipients(claimed, msg, RecipientResults(reply or None, recipients, {}, {}))
            broken_in_a_row = 0
            continue
        if isinstance(failure, ServerUnavailable):
            rest = [m.outbox_id for m in messages[index:] if m.outbox_id in lease.held]
            run.report.released += lease.release(run.sessions, rest, failure.reply)
            _stopped(run, failure)
            return
        if isinstance(failure, ConnectionLost):
            run.failed(claimed, msg, failure.reply, permanent=False)
            broken_in_a_row += 1
            if broken_in_a_row >= BROKEN_IN_A_ROW:
                rest = [m.outbox_id for m in messages[index + 1 :] if m.outbox_id in lease.held]
                run.report.released += lease.release(run.sessions, rest, failure.reply)
                run.report.server_unavailable = f"{BROKEN_IN_A_ROW} connections lost in a row"
                return
            continue
        broken_in_a_row = 0
        if isinstance(failure, RecipientResults):
            run.recipients(claimed, msg, failure)
        else:
            permanent = isinstance(failure, PermanentFailure)
            run.failed(claimed, msg, failure.reply, permanent=permanent)


def _dry_run(
    session_factory: sessionmaker[Session],
    sender: Sender,
    *,
    now: datetime,
    worker_id: str,
    batch_size: int,
) -> DeliveryReport:
    # Trap: a real sender in a dry run would deliver mail the outbox still thinks unsent.
    if not isinstance(sender, EmlDirSender):
        raise ValueError("a dry run writes files: pass an EmlDirSender")
    report = DeliveryReport(worker_id=worker_id, dry_run=True)
    last_id = 0
    due_now = due(plain_utc(now), wall())
    with sender:
        while True:
            with session_factory() as session:
                rows = session.execute(
                    select(*SEND_COLUMNS)
                    .where(due_now, T.c.id > last_id)
                    .order_by(T.c.id)
                    .limit(batch_size)
                ).all()
            if not rows:
                return report
            for row in rows:
                msg = to_outgoing(row)
                report.written.append(sender.send(msg).removeprefix("written "))
                report.sent_message_ids.append(msg.message_id)
            report.claimed += len(rows)
            last_id = rows[-1].id

