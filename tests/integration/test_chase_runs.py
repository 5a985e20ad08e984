"""The chase through Prefect against a real database and a real SMTP server: catch-up after
downtime, and two runs started together (the schedule and an officer's manual run)."""

from __future__ import annotations

import asyncio
import email
import email.utils
import json
import threading
from collections import Counter
from datetime import UTC, date
from pathlib import Path

import pendulum
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import func, select

from flows.chase_returns import ChaseSummary, chase_returns
from tests.clocks import use_database, wall_clock
from tests.integration.test_chase_fixtures import (
    MANAGER,
    OFFICER,
    PARTNERS,
    contact,
    write_config,
)
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.progress import recorded_steps
from trustcycle.chasing.requests import record_rungs, select_due
from trustcycle.db import Database
from trustcycle.db.models import ContributionRequest, OutboxMessage, Reminder
from trustcycle.trust import load_config

# Fixtures of the shared plugins, made visible to this module's tests.


def _kinds(server: SmtpTestServer) -> list[str]:
    return [m.parsed["X-Trustcycle-Kind"] for m in server.messages]


@pytest.fixture
def small_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The small trust's configuration directory and its SQLite database (as settings)."""
    config, url = str(write_config(tmp_path / "config")), f"sqlite:///{tmp_path / 'tc.db'}"
    use_database(monkeypatch, url, str(tmp_path / "inbox"))
    return config, url


def chase(day: date, config: str, **kw: object) -> ChaseSummary:
    """The chase for `day`, run on that day (the wall clock is the day, 09:00)."""
    with wall_clock(day):
        return chase_returns(as_of=day, config_dir=config, **kw)  # type: ignore[arg-type]


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_catch_up_after_a_ten_day_gap_sends_only_the_latest_due_rung(
    small_trust: tuple[str, str], smtp_server: SmtpTestServer
) -> None:
    config, url = small_trust
    chase(date(2026, 4, 27), config)
    # Down from 28 April to 12 May: before_7 (1 May) and before_3 (8 May) were missed.
    summary = chase(date(2026, 5, 13), config)
    assert _kinds(smtp_server) == ["request"] * 5 + ["reminder:on_the_day"] * 5
    assert [line.kind for line in summary.sent] == ["reminder:on_the_day"] * 5
    db = Database.from_url(url)
    with db.sessions() as session:
        assert set(session.scalars(select(Reminder.rung))) == {"on_the_day"}
    # The next day nothing more is due, and the missed rungs are never sent late.
    chase(date(2026, 5, 14), config)
    assert len(smtp_server.messages) == 10


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_two_chase_runs_started_together_send_each_rung_once(
    tmp_path: Path, db_url: str, smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = str(write_config(tmp_path / "config"))
    use_database(monkeypatch, db_url, str(tmp_path / "inbox"))
    chase(date(2026, 4, 27), config)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            chase(date(2026, 5, 1), config)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
        assert not t.is_alive(), "a chase run did not finish"
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
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "config")
    cfg = load_config(config)
    use_database(monkeypatch, db_url, str(tmp_path / "inbox"))
    chase(date(2026, 4, 27), str(config))
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
        assert not t.is_alive(), "a recorder did not finish"
    assert sorted(len(r) for r in results) == [0, 5]
    with db.sessions() as session:
        rungs = Counter(session.scalars(select(Reminder.contribution_request_id)))
        assert len(rungs) == 5 and set(rungs.values()) == {1}
    db.dispose()


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_a_run_with_a_past_as_of_sends_and_records_on_the_wall_clock(
    small_trust: tuple[str, str], smtp_server: SmtpTestServer
) -> None:
    config, url = small_trust
    before = pendulum.now("Europe/London")
    # No clock installed: the real wall clock. `as_of` picks the request day's steps only.
    chase_returns(as_of=date(2026, 4, 27), config_dir=config)
    after = pendulum.now("Europe/London")
    assert _kinds(smtp_server) == ["request"] * 5
    for message in smtp_server.messages:
        sent = email.utils.parsedate_to_datetime(message.parsed["Date"])
        assert before.subtract(seconds=1) <= sent <= after.add(seconds=1)
    db = Database.from_url(url)
    with db.sessions() as session:
        opened = list(session.scalars(select(ContributionRequest.opened_at)))
        sent_at = list(session.scalars(select(OutboxMessage.sent_at)))
    db.dispose()
    assert len(opened) == 5 and len(sent_at) == 5
    for at in opened + sent_at:
        instant = pendulum.instance(at if at.tzinfo else at.replace(tzinfo=UTC))
        assert before.subtract(seconds=1) <= instant <= after.add(seconds=1)


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_requests_never_opened_on_their_day_are_opened_late_with_fair_notice_and_the_officer_told(
    small_trust: tuple[str, str], smtp_server: SmtpTestServer
) -> None:
    config, url = small_trust
    # Nothing ran from the request day (Monday 27 April) until Monday 11 May. The calendar's
    # deadline (Wednesday 13 May) would give two days: a late request gets 5 working days,
    # to Monday 18 May 17:00; the cut-off (Wednesday 20 May) is still after it.
    chase(date(2026, 5, 11), config)
    requests = [m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "request"]
    assert sorted(r for m in requests for r in m.rcpt_tos) == sorted(contact(p) for p in PARTNERS)
    assert "Monday 18 May 2026 at 17:00" in requests[0].body("plain")
    [late] = [m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "late_step"]
    assert late.rcpt_tos == [OFFICER, MANAGER]
    subject = " ".join(str(late.parsed["Subject"]).split())
    assert subject == ("Done late: requests for returns of Review of Trust membership "
                       "(due Monday 27 April 2026)")
    db = Database.from_url(url)
    with db.sessions() as session:
        deadlines = set(session.scalars(select(ContributionRequest.deadline_at)))
        recorded = recorded_steps(session, load_config(config), 2026)
    db.dispose()
    assert {pendulum.instance(d if d.tzinfo else d.replace(tzinfo=UTC)).in_timezone(
        "Europe/London").isoformat() for d in deadlines} == {"2026-05-18T17:00:00+01:00"}
    assert recorded.done[("membership_review", "request")] == pendulum.date(2026, 5, 11)
    assert ("membership_review", "request") in recorded.late
    # The next day's run opens nothing again and tells nobody twice.
    chase(date(2026, 5, 12), config)
    kinds = _kinds(smtp_server)
    assert (kinds.count("request"), kinds.count("late_step")) == (5, 1)


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_a_dry_run_writes_every_email_it_would_send_and_stores_and_sends_nothing(
    small_trust: tuple[str, str], smtp_server: SmtpTestServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    config, url = small_trust
    monkeypatch.setenv("TRUSTCYCLE_DRY_RUN_DIR", str(tmp_path / "dry-run"))
    summary = chase(date(2026, 4, 27), config, dry_run=True)
    assert summary.opened == 5 and smtp_server.messages == []
    files = sorted((tmp_path / "dry-run").glob("*.eml"))
    parsed = [email.message_from_bytes(f.read_bytes()) for f in files]
    assert sorted(str(m["To"]) for m in parsed) == sorted(contact(p) for p in PARTNERS)
    assert {str(m["X-Trustcycle-Kind"]) for m in parsed} == {"request"}
    assert [line.kind for line in summary.sent] == ["request"] * 5
    db = Database.from_url(url)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ContributionRequest)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    db.dispose()

    async def table() -> list[dict[str, str]]:
        async with get_client() as client:
            [artifact] = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["dry-run-mail"])),
                limit=1, sort="CREATED_DESC")
            return json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data

    rows = asyncio.run(table())
    assert sorted(r["to"] for r in rows) == sorted(contact(p) for p in PARTNERS)
    assert {r["rung"] for r in rows} == {"none"}
    assert all(r["file"].endswith(".eml") for r in rows)
