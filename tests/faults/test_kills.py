"""SIGKILL, of a deliverer mid-batch and of the relay mid-delivery: nothing lost, and at
most the one documented duplicate (same Message-ID)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from tests.faults.conftest import NOW, Relay, figures, queue, statuses, tick
from tests.faults.test_leases import deliverer_under_way, leases_expired, wait_until
from trustcycle.db import Database
from trustcycle.outbox import DeliveryReport


def test_a_deliverer_killed_mid_batch_loses_nothing_and_its_lease_holds_until_it_expires(
    db: Database, sqlite_url: str, relay: Relay, record_property: Any
) -> None:
    expected = queue(db, 40)
    relay.set(delay=0.05)
    victim = deliverer_under_way(sqlite_url, relay, "victim", lease=4.0, sent=12)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    assert victim.returncode == -signal.SIGKILL
    before = len(relay.accepted())
    assert 12 <= before < 40
    relay.set()
    # The killed deliverer's lease holds on the wall clock, whatever `now` the next run has.
    assert tick(db, relay, NOW.add(days=1)).claimed == 0
    wait_until(lambda: leases_expired(db), what="the killed deliverer's lease")
    tick(db, relay)
    copies = relay.copies()
    record_property("relay", figures(expected, copies))
    assert set(copies) == set(expected)  # lost 0
    # The documented instant: the message whose 250 the victim had no time to commit.
    assert sum(copies.values()) - 40 <= 1 and max(copies.values()) <= 2
    assert statuses(db) == {"sent": 40}


def test_a_relay_killed_mid_delivery_loses_nothing_and_the_rest_is_handed_back(
    db: Database, relay: Relay, record_property: Any
) -> None:
    expected = queue(db, 30)
    relay.set(delay=0.05)
    reports: list[DeliveryReport] = []
    worker = threading.Thread(target=lambda: reports.append(tick(db, relay, timeout=2)))
    worker.start()
    wait_until(lambda: len(relay.accepted()) >= 10, what="ten messages at the relay")
    relay.kill()
    worker.join(60)
    (first,) = reports
    assert first.server_unavailable and first.released > 0
    # The message on the wire when the relay died is charged and backed off; the rest is
    # handed back uncharged.
    assert first.sent + first.retrying + first.released == 30 and first.retrying <= 1
    relay.set()
    relay.start()
    tick(db, relay, NOW.add(minutes=6))
    copies = relay.copies()
    record_property("relay", figures(expected, copies))
    assert set(copies) == set(expected)  # lost 0
    assert sum(copies.values()) - 30 <= 1  # the one the relay stored as it died, at most
    assert statuses(db) == {"sent": 30}
