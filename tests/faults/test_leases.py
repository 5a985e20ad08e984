"""Leases on the wall clock: whatever `now` deliverers are given, none sends a row twice."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from tests.faults.conftest import (
    NOW,
    Relay,
    figures,
    queue,
    report_of,
    spawn_deliverer,
    statuses,
    tick,
)
from trustcycle.calendar import clock
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage
from trustcycle.outbox import DeliveryReport


def wait_until(condition: object, within: float = 60, what: str = "condition") -> None:
    """Poll `condition()` until it is true, failing after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def deliverer_under_way(
    db_url: str, relay: Relay, worker: str, *, lease: float, sent: int
) -> subprocess.Popen[str]:
    """A deliverer process that the relay has seen send at least `sent` messages."""
    process = spawn_deliverer(db_url, relay, worker, NOW, lease=lease)
    wait_until(lambda: len(relay.accepted()) >= sent, what=f"{worker} to send {sent}")
    return process


def leases_expired(db: Database) -> bool:
    """True once no lease in the outbox is still running on the wall clock."""
    with db.sessions() as session:
        latest = session.scalar(select(func.max(OutboxMessage.lease_until)))
    return latest is None or latest < clock.wall_now()


def test_two_deliverers_a_day_apart_started_together_send_each_message_once(
    database: Database, db_url: str, relay: Relay
) -> None:
    expected = queue(database, 200)
    relay.set(delay=0.002)
    # The catch-up run beside the scheduled one (issue 10: 849-997 duplicates of 2,012).
    workers = [
        spawn_deliverer(db_url, relay, f"w{n}", NOW.add(days=n), batch=10) for n in (0, 1)
    ]
    reports = [report_of(w) for w in workers]
    assert relay.copies() == Counter(expected)  # lost 0, duplicated 0
    assert sum(int(r["sent"]) for r in reports) == 200  # type: ignore[call-overload]
    assert statuses(database) == {"sent": 200}


def test_two_busy_deliverers_share_the_work(db: Database, sqlite_url: str, relay: Relay) -> None:
    expected = queue(db, 30)
    relay.set(delay=0.1)
    workers = [spawn_deliverer(sqlite_url, relay, f"w{n}", NOW, batch=5) for n in (1, 2)]
    sent = [int(report_of(w)["sent"]) for w in workers]  # type: ignore[call-overload]
    assert sum(sent) == 30 and min(sent) > 0  # SKIP LOCKED / BEGIN IMMEDIATE claims
    assert relay.copies() == Counter(expected)


def test_a_batch_slower_than_its_lease_keeps_it_by_renewal_and_nobody_takes_over(
    db: Database, relay: Relay
) -> None:
    expected = queue(db, 30)
    relay.set(delay=0.1)  # 30 messages: about 3 s, the lease 2 s
    reports: list[DeliveryReport] = []
    first = threading.Thread(
        target=lambda: reports.append(tick(db, relay, lease_seconds=2.0))
    )
    first.start()
    wait_until(lambda: len(relay.accepted()) >= 3, what="the first deliverer to start")
    others = 0
    while first.is_alive():  # a second deliverer, a day ahead, keeps trying meanwhile
        others += tick(db, relay, NOW.add(days=1), lease_seconds=2.0).sent
    first.join()
    assert relay.copies() == Counter(expected)
    assert others == 0 and reports[0].sent == 30 and reports[0].lease_lost == 0


def test_a_deliverer_frozen_past_its_lease_neither_sends_nor_marks_what_it_lost(
    database: Database, db_url: str, relay: Relay, record_property: Any
) -> None:
    expected = queue(database, 20)
    relay.set(delay=0.1)
    frozen = deliverer_under_way(db_url, relay, "frozen", lease=2.0, sent=3)
    frozen.send_signal(signal.SIGSTOP)
    try:
        wait_until(lambda: leases_expired(database), what="the frozen lease to expire")
        relay.set(delay=0)
        taken_over = tick(database, relay, NOW.add(days=1))
    finally:
        frozen.send_signal(signal.SIGCONT)
    report = report_of(frozen)
    copies = relay.copies()
    record_property("relay", figures(expected, copies))
    assert set(copies) == set(expected)  # lost 0
    # At most the one message the frozen process had on the wire (the documented instant).
    assert sum(copies.values()) - len(expected) <= 1 and max(copies.values()) <= 2
    assert int(report["lease_lost"]) >= 1  # type: ignore[call-overload]
    assert int(report["sent"]) + taken_over.sent == 20  # type: ignore[call-overload]
    assert statuses(database) == {"sent": 20}
