"""A message the relay chokes on is charged and backed off alone; the queue goes on."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from tests.faults.conftest import NOW, OFFICER, Relay, queue, statuses, tick
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage
from trustcycle.outbox import ALERT_KIND


def attempts_of(db: Database, message_id: str) -> tuple[str, int]:
    with db.sessions() as session:
        row = session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts).where(
                OutboxMessage.message_id == message_id
            )
        ).one()
    return row.status, row.attempts


def officer_alerts(relay: Relay) -> list[str]:
    return [mid for mid, rcpt in relay.accepted() if rcpt == OFFICER]


@pytest.mark.parametrize("action", ["hang", "drop"])
def test_a_message_that_times_out_or_drops_the_connection_does_not_hold_up_the_rest(
    db: Database, relay: Relay, action: str
) -> None:
    poison, *rest = queue(db, 10)  # first in the queue, as in issue 10
    relay.set(data={poison: {"action": action}})
    first = tick(db, relay, timeout=0.5)
    assert first.sent == 9 and first.retrying == 1 and first.released == 0
    assert attempts_of(db, poison) == ("failed", 1)
    assert tick(db, relay, NOW.add(minutes=1), timeout=0.5).claimed == 0  # backed off
    relay.set()  # the relay recovers
    assert tick(db, relay, NOW.add(minutes=6), timeout=0.5).sent == 1
    assert relay.copies() == Counter([*rest, poison])  # lost 0, duplicated 0


def test_a_relay_that_stores_then_times_out_gets_one_copy_per_backoff(
    db: Database, relay: Relay
) -> None:
    slow, *rest = queue(db, 5)
    relay.set(data={slow: {"action": "store_then_hang"}})
    for minutes in (0, 1, 2, 3):  # ticks inside the first backoff (5 min): one copy
        tick(db, relay, NOW.add(minutes=minutes), timeout=0.5)
    assert relay.copies()[slow] == 1
    tick(db, relay, NOW.add(minutes=6), timeout=0.5)  # the backoff is over: one more
    assert relay.copies() == Counter({slow: 2, **dict.fromkeys(rest, 1)})
    assert attempts_of(db, slow) == ("failed", 2)


def test_a_message_failing_every_time_dies_after_its_attempts_and_the_officer_hears_once(
    db: Database, relay: Relay
) -> None:
    poison, *rest = queue(db, 6)
    relay.set(data={poison: {"action": "drop"}})
    reports = [
        tick(db, relay, NOW.add(minutes=m), timeout=0.5, max_attempts=3)
        for m in (0, 6, 30, 120, 600)  # after each backoff: 5 min, then 15 min
    ]
    assert [r.retrying for r in reports] == [1, 1, 0, 0, 0]
    assert [r.dead for r in reports] == [0, 0, 1, 0, 0]
    assert attempts_of(db, poison) == ("dead", 3)
    assert relay.copies()[poison] == 0 and all(relay.copies()[m] == 1 for m in rest)
    assert len(officer_alerts(relay)) == 1  # alerted once, in the tick it died


def test_a_550_for_a_message_with_a_990_character_subject_alerts_and_later_ticks_deliver(
    db: Database, relay: Relay
) -> None:
    first = queue(db, 19)
    long_subject = "Q" * 990
    (refused,) = queue(db, 1, start=19, subject=long_subject)
    relay.set(rcpt={"p19@example.org": "550 5.1.1 no such user"})
    report = tick(db, relay)
    assert report.dead == 1 and report.sent == 20  # 19 reminders and the officer's alert
    later = queue(db, 20, start=20)
    assert tick(db, relay, NOW.add(days=1)).sent == 20  # issue 10: 196 of 199 stuck
    assert relay.copies()[refused] == 0
    assert all(relay.copies()[m] == 1 for m in first + later)
    with db.sessions() as session:
        alert = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == ALERT_KIND)
        ).one()
    assert alert.status == "sent" and len(alert.subject) < 200
    assert alert.subject.startswith("Undelivered email: QQQ") and alert.subject.endswith("…")
    assert statuses(db) == {"sent": 40, "dead": 1}


def test_three_connections_lost_in_a_row_hand_the_rest_back_uncharged(
    db: Database, relay: Relay
) -> None:
    *dropped, kept1, kept2 = queue(db, 5)
    relay.set(data={mid: {"action": "drop"} for mid in dropped})
    first = tick(db, relay, timeout=0.5)
    assert first.retrying == 3 and first.released == 2 and first.server_unavailable
    assert [attempts_of(db, m) for m in (kept1, kept2)] == [("pending", 0)] * 2
    assert tick(db, relay, NOW.add(minutes=1), timeout=0.5).sent == 2  # the rest, next tick
    assert relay.copies() == Counter([kept1, kept2])
