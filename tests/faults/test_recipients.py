"""Each recipient's answer counts on its own: a 4xx for one is retried for that one only."""

from __future__ import annotations

from sqlalchemy import select

from tests.faults.conftest import NOW, OFFICER, Relay, tick
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage
from trustcycle.outbox import enqueue, failures

TO, CC = "jo@police.example.org", "sam@health.example.org"


def queue_to_both(db: Database) -> str:
    """One message To one partner contact and Cc another; its Message-ID."""
    with db.sessions.begin() as session:
        return enqueue(
            session,
            idem_key="request:both",
            kind="request",
            to=[TO],
            cc=[CC],
            subject="Your return for the CYPP review",
            text="Dear partners,\n",
            html=None,
            date_header=NOW,
        ).message_id


def row(db: Database) -> OutboxMessage:
    with db.sessions() as session:
        return session.scalars(
            select(OutboxMessage).where(OutboxMessage.idem_key == "request:both")
        ).one()


def test_a_451_at_rcpt_for_one_of_two_recipients_retries_that_one_only(
    db: Database, relay: Relay
) -> None:
    mid = queue_to_both(db)
    relay.set(rcpt={CC: "451 4.2.1 mailbox busy"})
    first = tick(db, relay)
    assert first.sent == 0 and first.retrying == 1
    waiting = row(db)
    assert waiting.status == "failed" and list(waiting.recipient_results or {}) == [TO]
    relay.set()
    assert tick(db, relay, NOW.add(minutes=1)).claimed == 0  # the backoff holds
    assert tick(db, relay, NOW.add(minutes=6)).sent == 1
    assert relay.accepted() == [(mid, TO), (mid, CC)]  # each recipient once (issue 10: CC never)
    done = row(db)
    assert done.status == "sent" and done.last_error is None and done.attempts == 2


def test_a_550_at_rcpt_for_one_of_two_recipients_sends_the_other_once_and_tells_the_officer(
    db: Database, relay: Relay
) -> None:
    mid = queue_to_both(db)
    relay.set(rcpt={CC: "550 5.1.1 no such user"})
    report = tick(db, relay)
    assert report.sent == 2  # the message (to TO) and the officer's alert
    assert [a for a in relay.accepted() if a[0] == mid] == [(mid, TO)]
    assert [rcpt for _, rcpt in relay.accepted()].count(OFFICER) == 1
    assert tick(db, relay, NOW.add(days=1)).claimed == 0
    with db.sessions() as session:
        (shown,) = failures(session)
    assert shown.status == "sent" and shown.last_error == f"{CC}: 550 5.1.1 no such user"


def test_a_451_for_one_and_a_550_for_the_other_retries_one_and_reports_the_other(
    db: Database, relay: Relay
) -> None:
    mid = queue_to_both(db)
    relay.set(rcpt={TO: "451 4.2.1 mailbox busy", CC: "550 5.1.1 no such user"})
    first = tick(db, relay)
    assert first.retrying == 1 and [rcpt for _, rcpt in relay.accepted()] == [OFFICER]
    relay.set(rcpt={CC: "550 5.1.1 no such user"})
    assert tick(db, relay, NOW.add(minutes=6)).sent == 1
    assert [a for a in relay.accepted() if a[0] == mid] == [(mid, TO)]
    assert [rcpt for _, rcpt in relay.accepted()].count(OFFICER) == 1  # told once
    assert row(db).last_error == f"{CC}: 550 5.1.1 no such user"
