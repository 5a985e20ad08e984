"""The fault suite: the outbox against a relay that delays, drops, stores then times out,
refuses per recipient and is killed, with deliverers in real processes where a kill or a
freeze is the point. Every test asserts what the relay accepted, by Message-ID.

Every test here is marked `faults` (run with the rest of the tests, CI included; select
them alone with `-m faults`). Together they take about half a minute on two cores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import select

from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage
from trustcycle.mail.senders import YagmailSender
from trustcycle.mail.settings import SmtpSettings
from trustcycle.outbox import DeliveryReport, NewEmail, deliver_pending, enqueue_many

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NOW = pendulum.datetime(2010, 7, 5, 9, 0, tz="Europe/London")
OFFICER = "officer@rutland.example.gov.uk"
MAIL_FROM = "trust@rutland.example.gov.uk"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: the outbox under relay and process faults")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.timeout(120))


class Relay:
    """The faulty relay (`relay.py`) in a child process: its rules, and what it accepted."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.rules_path = workdir / "rules.json"
        self.log = workdir / "accepted.log"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self.set()

    def start(self) -> None:
        """Listen (again on the same port after a kill)."""
        if self._process is not None and self._process.poll() is None:
            return
        self._process = subprocess.Popen(
            [sys.executable, str(HERE / "relay.py"), str(self.port), str(self.rules_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode()
        assert line.startswith("ready "), line
        self.port = int(line.split()[1])

    def kill(self) -> None:
        """SIGKILL the relay, as a crash would."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(10)

    def stop(self) -> None:
        """Stop the relay cleanly (end of the session)."""
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def set(
        self,
        *,
        rcpt: dict[str, str] | None = None,
        data: dict[str, dict[str, object]] | None = None,
        delay: float = 0.0,
        log: Path | None = None,
    ) -> None:
        """Replace the rules (atomically: the relay re-reads them before each command)."""
        self.log = log or self.log
        rules = {"log": str(self.log), "rcpt": rcpt or {}, "data": data or {}, "delay": delay}
        tmp = self.rules_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rules), encoding="utf-8")
        os.replace(tmp, self.rules_path)

    def accepted(self) -> list[tuple[str, str]]:
        """(Message-ID, recipient) for every copy the relay accepted, in order."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [(mid, rcpt) for mid, rcpt in (line.split("\t") for line in lines)]

    def copies(self) -> Counter[str]:
        """How many copies of each Message-ID arrived (one-recipient messages)."""
        return Counter(mid for mid, _ in self.accepted())

    def settings(self, timeout: float = 5.0) -> SmtpSettings:
        """SMTP settings pointing at this relay."""
        return SmtpSettings(
            host="127.0.0.1", port=self.port, mail_from=MAIL_FROM, timeout=timeout
        )


@pytest.fixture(scope="session")
def relay_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    relay = Relay(tmp_path_factory.mktemp("relay"))
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def relay(relay_process: Relay, tmp_path: Path) -> Relay:
    """The relay, running, with no faults and an empty log of its own for this test."""
    relay_process.set(log=tmp_path / "accepted.log")
    relay_process.start()
    return relay_process


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    """A migrated SQLite file, for tests of the relay rather than of the claims (those
    take `database`, run on SQLite and PostgreSQL)."""
    db = Database.from_url(sqlite_url)
    yield db
    db.dispose()


def queue(
    db: Database, count: int, *, start: int = 0, subject: str = "Reminder {i}", **kw: object
) -> list[str]:
    """Queue `count` one-recipient reminders; their Message-IDs, in queue order."""
    emails = [
        NewEmail(
            f"rem:{i}",
            "reminder",
            [f"p{i}@example.org"],
            subject.format(i=i),
            "Dear partner,\n",
            None,
            NOW,
            **kw,  # type: ignore[arg-type]
        )
        for i in range(start, start + count)
    ]
    with db.sessions.begin() as session:
        ids = enqueue_many(session, emails)
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.message_id).where(
                OutboxMessage.id.in_(list(ids.values()))
            )
        )
        by_id = {id_: mid for id_, mid in rows}
    return [by_id[ids[e.idem_key]] for e in emails]


def tick(
    db: Database, relay: Relay, at: pendulum.DateTime = NOW, *, timeout: float = 5.0, **kw: object
) -> DeliveryReport:
    """One delivery run in this process."""
    return deliver_pending(
        db.sessions,
        YagmailSender(relay.settings(timeout)),
        now=at,
        worker_id="tick",
        officer_email=OFFICER,
        **kw,  # type: ignore[arg-type]
    )


def spawn_deliverer(
    url: str, relay: Relay, worker: str, at: pendulum.DateTime, **kw: object
) -> subprocess.Popen[str]:
    """Start `deliverer.py` in a process of its own; it prints its report as JSON."""
    args = {"url": url, "port": relay.port, "worker": worker, "now": at.isoformat(), **kw}
    return subprocess.Popen(
        [sys.executable, str(HERE / "deliverer.py"), json.dumps(args)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def report_of(process: subprocess.Popen[str], timeout: float = 90) -> dict[str, object]:
    """The JSON report a deliverer process printed, once it has exited cleanly."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return dict(json.loads(out.strip().splitlines()[-1]))


def figures(expected: list[str], copies: Counter[str]) -> dict[str, int]:
    """Queued, lost and duplicated, as counted at the relay (for the fault table)."""
    return {
        "queued": len(expected),
        "lost": len(set(expected) - set(copies)),
        "duplicated": sum(n - 1 for mid, n in copies.items() if mid in expected and n > 1),
    }


def statuses(db: Database) -> Counter[str]:
    """How many outbox rows are in each status."""
    with db.sessions() as session:
        return Counter(session.scalars(select(OutboxMessage.status)))
