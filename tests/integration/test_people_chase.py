"""People-first chasing through Prefect, a real database (SQLite and PostgreSQL) and a real
SMTP sink: one person representing two partners gets one request, one reminder and one
escalation letter a day listing both, each with its own working portal link; re-runs and a
crash between the letter and its commit send nothing twice."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from flows.chase_returns import ChaseSummary, chase_returns
from tests.clocks import use_database, wall_clock
from tests.integration.test_chase_fixtures import MANAGER, contact, senior, write_config
from tests.plugins.smtp_sink import Received, SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.requests import (
    LetterRace,
    open_due_requests,
    record_rungs,
    select_due,
)
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import OutboxMessage, Reminder
from trustcycle.portal import create_app
from trustcycle.trust import load_config

SECRET = "people-chase-secret-0123456789abcdefghij"
PORTAL = "http://127.0.0.1:8765"
SHARED = contact("alpha")  # represents alpha and bravo
LINK = re.compile(r"http://127\.0\.0\.1:8765/r/\S+")


def write_shared_config(directory: Path) -> Path:
    """The small trust, with alpha's contact and senior contact also bravo's."""
    write_config(directory)
    partners = yaml.safe_load((directory / "partners.yaml").read_text())
    alpha, bravo = partners["partners"]["alpha"], partners["partners"]["bravo"]
    bravo["contacts"], bravo["senior_contact"] = alpha["contacts"], alpha["senior_contact"]
    (directory / "partners.yaml").write_text(yaml.safe_dump(partners, sort_keys=False))
    trust = yaml.safe_load((directory / "trust.yaml").read_text())
    trust["trust"]["portal_url"] = PORTAL
    (directory / "trust.yaml").write_text(yaml.safe_dump(trust, sort_keys=False))
    return directory


@pytest.fixture
def shared_trust(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    use_database(monkeypatch, db_url, str(tmp_path / "inbox"))
    monkeypatch.setenv("TRUSTCYCLE_PORTAL_SECRET", SECRET)
    return str(write_shared_config(tmp_path / "config"))


def chase(day: date, config: str) -> ChaseSummary:
    with wall_clock(day):
        return chase_returns(as_of=day, config_dir=config)


def _to(server: SmtpTestServer, kind: str) -> Counter[str]:
    return Counter(r for m in server.messages if str(m.parsed["X-Trustcycle-Kind"]) == kind
                   for r in m.rcpt_tos)


def _subject(message: Received) -> str:
    return " ".join(str(message.parsed["Subject"]).split())  # unfolded


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_a_person_of_two_partners_gets_one_letter_a_day_listing_both(
    shared_trust: str, db_url: str, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    chase(date(2026, 4, 27), shared_trust)
    assert _to(smtp_server, "request") == {SHARED: 1, contact("charlie"): 1,
                                           contact("delta"): 1, contact("echo"): 1}
    [letter] = smtp_server.to(SHARED)
    assert _subject(letter) == (
        "2 returns requested, the first by 13 May 2026 (Testshire Children's Trust)")
    text = letter.body("plain")
    assert "From: Alpha Services" in text and "From: Bravo Services" in text
    links = LINK.findall(text)
    assert len(links) == 2 and len(set(links)) == 2

    cfg = load_config(Path(shared_trust))
    db = Database.from_url(db_url)
    app = create_app(db, cfg, SECRET, tmp_path / "uploads")
    with use_clock(FixedClock.on(date(2026, 4, 28))), TestClient(app) as client:
        pages = [client.get(urlsplit(link).path + "?" + urlsplit(link).query) for link in links]
    assert [p.status_code for p in pages] == [200, 200]
    assert ["Alpha Services" in pages[0].text, "Bravo Services" in pages[1].text] == [True, True]

    chase(date(2026, 5, 1), shared_trust)  # before_7
    chase(date(2026, 5, 1), shared_trust)  # an officer's second run that day: nothing more
    assert _to(smtp_server, "reminder:before_7") == {SHARED: 1, contact("charlie"): 1,
                                                     contact("delta"): 1, contact("echo"): 1}
    [reminder] = [m for m in smtp_server.to(SHARED)
                  if m.parsed["X-Trustcycle-Kind"] == "reminder:before_7"]
    assert _subject(reminder).startswith("Reminder: 2 returns, the first due 13 May")
    assert len(LINK.findall(reminder.body("plain"))) == 2

    chase(date(2026, 5, 19), shared_trust)  # down since: only escalate_4 goes, once each
    assert _to(smtp_server, "escalation:escalate_4") == {
        senior("alpha"): 1, senior("charlie"): 1, senior("delta"): 1, senior("echo"): 1,
        MANAGER: 4}
    [escalation] = [m for m in smtp_server.to(senior("alpha"))]
    assert _subject(escalation) == (
        "Escalation: 2 returns overdue (Testshire Children's Trust)")
    with db.sessions() as session:
        rungs = Counter(session.scalars(select(Reminder.rung)))
    assert rungs == {"before_7": 5, "escalate_4": 5}
    # Never two emails with one subject to one person on one day.
    seen = Counter((m.parsed["Date"][:16], r, _subject(m))
                   for m in smtp_server.messages for r in m.rcpt_tos)
    assert max(seen.values()) == 1
    db.dispose()


def test_a_crash_before_the_commit_leaves_nothing_and_the_rerun_sends_one_letter(
    tmp_path: Path, db_url: str
) -> None:
    cfg = load_config(write_shared_config(tmp_path / "config"))
    db = Database.from_url(db_url)
    opened = FixedClock.on(date(2026, 4, 27)).now()
    with use_clock(FixedClock(opened)), db.sessions.begin() as session:
        apply_config(session, cfg, actor="test")
    with use_clock(FixedClock(opened)), db.immediate() as session:
        assert len(open_due_requests(session, cfg, now=opened)) == 5
    now = FixedClock.on(date(2026, 5, 1)).now()
    with db.sessions() as session:
        due = select_due(session, cfg, today=now.date()).due

    class Crash(Exception):
        pass

    with pytest.raises(Crash), use_clock(FixedClock(now)), db.immediate() as session:
        assert len(record_rungs(session, cfg, due, now=now)) == 4
        raise Crash  # the process dies before the commit
    for _ in range(2):  # the re-run, then a retry of it
        with use_clock(FixedClock(now)), db.immediate() as session:
            queued = record_rungs(session, cfg, due, now=now)
        assert len(queued) in (0, 4)
    with db.sessions() as session:
        letters = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "reminder:before_7")).all()
        assert session.scalar(select(func.count()).select_from(Reminder)) == 5
    assert sorted(a for m in letters for a in m.to_addrs) == sorted(
        [SHARED, contact("charlie"), contact("delta"), contact("echo")])
    db.dispose()


def test_a_letter_a_parallel_run_half_sent_rolls_back_and_each_rung_goes_once(
    tmp_path: Path, pg_url: str
) -> None:
    # PostgreSQL does not serialise two runs as SQLite's BEGIN IMMEDIATE does: another run
    # sends bravo's rung between our check and our insert. Our letter for alpha and bravo
    # must not go (bravo twice); the retry sends alpha's rung alone.
    cfg = load_config(write_shared_config(tmp_path / "config"))
    db = Database.from_url(pg_url)
    opened = FixedClock.on(date(2026, 4, 27)).now()
    with use_clock(FixedClock(opened)), db.sessions.begin() as session:
        apply_config(session, cfg, actor="test")
        open_due_requests(session, cfg, now=opened)
    now = FixedClock.on(date(2026, 5, 1)).now()
    with db.sessions() as session:
        due = select_due(session, cfg, today=now.date()).due
    other = db.sessions()
    with use_clock(FixedClock(now)):
        assert len(record_rungs(other, cfg, [d for d in due if d.request.partner == "bravo"],
                                now=now)) == 1  # not committed yet
    outcome: dict[str, object] = {}

    def ours() -> None:
        try:
            with use_clock(FixedClock(now)), db.sessions.begin() as session:
                outcome["queued"] = record_rungs(session, cfg, due, now=now)
        except LetterRace as exc:
            outcome["race"] = exc

    thread = threading.Thread(target=ours)
    thread.start()
    waiting = text("SELECT count(*) FROM pg_stat_activity "
                   "WHERE wait_event_type = 'Lock' AND datname = current_database()")
    deadline = time.monotonic() + 60
    with db.sessions() as probe:
        while not probe.scalar(waiting) and thread.is_alive():
            assert time.monotonic() < deadline, "our run never waited on the other's rows"
            time.sleep(0.05)
            probe.rollback()
    other.commit()
    other.close()
    thread.join(timeout=60)
    assert not thread.is_alive() and isinstance(outcome.get("race"), LetterRace)
    with use_clock(FixedClock(now)), db.sessions.begin() as session:  # the retry
        assert len(record_rungs(session, cfg, due, now=now)) == 4
    with db.sessions() as session:
        rungs = Counter(session.scalars(select(Reminder.contribution_request_id)))
        letters = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "reminder:before_7")).all()
    assert len(rungs) == 5 and set(rungs.values()) == {1}
    assert sorted(a for m in letters for a in m.to_addrs) == sorted(
        [SHARED, SHARED, contact("charlie"), contact("delta"), contact("echo")])
    db.dispose()
