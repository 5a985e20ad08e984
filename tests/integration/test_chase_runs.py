"""The chase through Prefect against a real database and a real SMTP server: catch-up after
downtime, and two runs started together (the schedule and an officer's manual run)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flows.chase_returns import chase_returns
from tests.integration.test_chase_fixtures import PARTNERS, contact, write_config
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.clock import FixedClock, use_clock
from trustcycle.config import load_config
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage, Reminder
from trustcycle.requests import record_rungs, select_due

# Fixtures of the shared plugins, made visible to this module's tests.


def _kinds(server: SmtpTestServer) -> list[str]:
    return [m.parsed["X-Trustcycle-Kind"] for m in server.messages]


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_catch_up_after_a_ten_day_gap_sends_only_the_latest_due_rung(
    tmp_path: Path, smtp_server: SmtpTestServer
) -> None:
    config, url = str(write_config(tmp_path / "config")), f"sqlite:///{tmp_path / 'tc.db'}"
    chase_returns(as_of=date(2026, 4, 27), config_dir=config, database_url=url,
                  inbox_dir=str(tmp_path / "inbox"))
    # Down from 28 April to 12 May: before_7 (1 May) and before_3 (8 May) were missed.
    summary = chase_returns(as_of=date(2026, 5, 13), config_dir=config, database_url=url,
                            inbox_dir=str(tmp_path / "inbox"))
    assert _kinds(smtp_server) == ["request"] * 5 + ["reminder:on_the_day"] * 5
    assert [line.kind for line in summary.sent] == ["reminder:on_the_day"] * 5
    db = Database.from_url(url)
    with db.sessions() as session:
        assert set(session.scalars(select(Reminder.rung))) == {"on_the_day"}
    # The next day nothing more is due, and the missed rungs are never sent late.
    chase_returns(as_of=date(2026, 5, 14), config_dir=config, database_url=url,
                  inbox_dir=str(tmp_path / "inbox"))
    assert len(smtp_server.messages) == 10


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_two_chase_runs_started_together_send_each_rung_once(
    tmp_path: Path, db_url: str, smtp_server: SmtpTestServer
) -> None:
    config = str(write_config(tmp_path / "config"))
    inbox = str(tmp_path / "inbox")
    chase_returns(as_of=date(2026, 4, 27), config_dir=config, database_url=db_url,
                  inbox_dir=inbox)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            chase_returns(as_of=date(2026, 5, 1), config_dir=config, database_url=db_url,
                          inbox_dir=inbox)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not errors
    reminders = [m for m in smtp_server.messages
                 if m.parsed["X-Trustcycle-Kind"] == "reminder:before_7"]
    assert sorted(r for m in reminders for r in m.rcpt_tos) == sorted(contact(p) for p in PARTNERS)
    db = Database.from_url(db_url)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Reminder)) == 5
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 10
    db.dispose()


@pytest.mark.usefixtures("prefect_harness")
def test_two_recorders_racing_on_the_same_selection_insert_each_rung_once(
    tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path / "config")
    cfg = load_config(config)
    chase_returns(as_of=date(2026, 4, 27), dry_run=False, config_dir=str(config),
                  database_url=db_url, inbox_dir=str(tmp_path / "inbox"))
    db = Database.from_url(db_url)
    now = FixedClock.on(date(2026, 5, 1)).now()
    with db.sessions() as session:
        selection = select_due(session, cfg, today=now.date())
    assert len(selection.due) == 5
    start = threading.Barrier(2)
    results: list[list[int]] = []

    def record() -> None:
        start.wait()
        with use_clock(FixedClock(now)), db.immediate() as session:
            results.append(record_rungs(session, cfg, selection.due, now=now))

    threads = [threading.Thread(target=record) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(len(r) for r in results) == [0, 5]
    with db.sessions() as session:
        rungs = Counter(session.scalars(select(Reminder.contribution_request_id)))
        assert len(rungs) == 5 and set(rungs.values()) == {1}
    db.dispose()
