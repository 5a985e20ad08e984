"""The relay's rate across deliverers: one Prefect rate limit (`trustcycle-smtp`) shared by
every deliverer, whatever process or machine it runs on.

Two deliverer processes share one outbox on PostgreSQL and one loopback relay; the sink
stamps each message's arrival. No window of a second may hold more than the rate allows
(rate + the limit's burst, plus two for the jitter between a slot's grant and the
message's arrival), and every message arrives exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pendulum
import pytest
from prefect.settings import PREFECT_API_URL
from sqlalchemy import select

from tasks.mail import ensure_relay_limit, relay_burst
from trustcycle.db import Database
from trustcycle.mail.senders import YagmailSender
from trustcycle.mail.settings import SmtpSettings
from trustcycle.mail.sink import MailSink
from trustcycle.outbox import NewEmail, deliver_pending, enqueue_many
from trustcycle.outbox.rows import T

ROOT = Path(__file__).resolve().parents[2]
NOW = pendulum.datetime(2026, 6, 1, 9, 0, tz="Europe/London")
RATE = 20.0
MESSAGES = 60
JITTER = 2


class TimedHandler:
    """aiosmtpd handler: keeps each message's Message-ID and arrival (monotonic) time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Stamp and keep the message."""
        message_id = str(message_from_bytes(envelope.content)["Message-ID"])
        with self.lock:
            self.arrivals.append((time.monotonic(), message_id))
        return "250 OK"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[MailSink, TimedHandler]]:
    handler = TimedHandler()
    server = MailSink(tmp_path / "sink", handler=handler)
    server.start()
    yield server, handler
    server.stop()


def queue(database: Database, count: int) -> None:
    """`count` reminders, due at NOW, one partner each."""
    emails = (
        NewEmail(
            f"chase:{i}", "reminder", [f"p{i}@example.org"], f"Chase {i}", "Dear p,\n", None, NOW
        )
        for i in range(count)
    )
    with database.sessions.begin() as session:
        enqueue_many(session, emails)


def most_in_a_window(times: list[float], seconds: float) -> int:
    """The largest number of arrivals in any window of `seconds` (starting at an arrival)."""
    times = sorted(times)
    end, most = 0, 0
    for start, first in enumerate(times):
        while end < len(times) and times[end] < first + seconds:
            end += 1
        most = max(most, end - start)
    return most


def test_a_throttle_is_asked_before_each_message_and_after_the_sent_are_recorded(
    sqlite_url: str, sink: tuple[MailSink, TimedHandler]
) -> None:
    server, handler = sink
    database = Database.from_url(sqlite_url)
    queue(database, 5)
    seen: list[tuple[int, int]] = []  # (arrived at the relay, recorded sent) at each call

    def throttle() -> None:
        with database.sessions() as session:
            recorded = len(session.scalars(select(T.c.id).where(T.c.status == "sent")).all())
        seen.append((len(handler.arrivals), recorded))

    settings = SmtpSettings(host=server.host, port=server.port, mail_from="t@example.org")
    report = deliver_pending(
        database.sessions, YagmailSender(settings), now=NOW, worker_id="w", throttle=throttle
    )
    database.dispose()
    assert report.sent == 5
    assert seen == [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]
    assert len(handler.arrivals) == 5


@pytest.mark.postgres
def test_two_deliverers_together_keep_to_the_relays_rate_and_send_each_message_once(
    pg_url: str, sink: tuple[MailSink, TimedHandler]
) -> None:
    server, handler = sink
    database = Database.from_url(pg_url)
    queue(database, MESSAGES)
    ensure_relay_limit(RATE)  # as `deploy` and `serve` do
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PYTHONPATH": str(ROOT),
        "TRUSTCYCLE_SMTP_HOST": server.host,
        "TRUSTCYCLE_SMTP_PORT": str(server.port),
        "TRUSTCYCLE_SMTP_TIMEOUT": "10",
        "TRUSTCYCLE_MAIL_FROM": "Trust <trust@rutland.example.gov.uk>",
        "TRUSTCYCLE_SMTP_MAX_PER_SECOND": str(RATE),
    }
    for name in ("TRUSTCYCLE_SMTP_USER", "TRUSTCYCLE_SMTP_PASSWORD", "TRUSTCYCLE_SMTP_SSL"):
        env.pop(name, None)
    script = str(Path(__file__).with_name("relay_deliverer.py"))
    deliverers = [
        subprocess.Popen(
            [
                sys.executable,
                script,
                json.dumps({"url": pg_url, "worker": f"d{n}", "now": NOW.isoformat(), "batch": 5}),
            ],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    try:
        for process in deliverers:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        for process in deliverers:  # released together
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=120)[0] for process in deliverers]
    finally:
        for process in deliverers:
            if process.poll() is None:
                process.kill()
    reports = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    with database.sessions() as session:
        statuses = Counter(session.scalars(select(T.c.status)).all())
        expected = set(session.scalars(select(T.c.message_id)).all())
    database.dispose()

    arrived = Counter(message_id for _, message_id in handler.arrivals)
    assert statuses == {"sent": MESSAGES}
    assert set(arrived) == expected and set(arrived.values()) == {1}
    assert all(r["sent"] > 0 for r in reports)  # both took part
    assert sum(r["sent"] for r in reports) == MESSAGES
    allowed = int(RATE) + relay_burst(RATE) + JITTER
    times = [t for t, _ in handler.arrivals]
    assert most_in_a_window(times, 1.0) <= allowed


def test_deploy_sets_the_relays_rate_limit_from_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect.client.orchestration import get_client

    from trustcycle.cli.deploy_cmd import _relay_limit

    monkeypatch.setenv("TRUSTCYCLE_SMTP_MAX_PER_SECOND", "8")
    _relay_limit()
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name("trustcycle-smtp")
    assert (limit.limit, limit.slot_decay_per_second) == (2, 8.0)
    out = capsys.readouterr().out
    assert out == "rate limit trustcycle-smtp: 8 messages a second for every worker\n"
