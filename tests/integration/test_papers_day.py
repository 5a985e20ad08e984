"""Papers go on the papers day, through Prefect and a real SMTP server: not before it, on it
exactly once whichever run comes first (the cycle driver, the process's step), at sign-off
marked late with the officer alerted when signed off after it; a published document is
published on its day; a return after the papers alerts the officer once and goes in an
addendum."""

from __future__ import annotations

from collections import Counter
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import select

from flows.assemble_draft import assemble_draft
from flows.cycle import run_cycle
from flows.processes import child_poverty_strategy, cypp_annual_review
from tests.integration.drafts_support import RUTLAND, rutland, seed
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.returns import record_return, resolve_owed
from trustcycle.db import Database
from trustcycle.db.models import AuditLog, OutboxMessage

pytestmark = pytest.mark.usefixtures("prefect_harness", "mail_settings")

CYPP = "cypp_annual_review"
CUTOFF = date(2010, 6, 25)  # Friday; the Executive meets Monday 5 July 2010
PAPERS_DAY = date(2010, 6, 29)  # 5 clear days (30 June to 4 July) before it
MEMBERS = {"c.benham@rutland.example.gov.uk", "anne.cole@nhs.example.uk",
           "mark.dunn@police.example.uk", "priya.shah@yos.example.gov.uk",
           "gail.ross@connexions.example.org.uk", "m.barker@schools.example.org.uk"}
OFFICER = "childrens.trust@rutland.example.gov.uk"  # the officer, and the Executive's clerk
MANAGER = "trust.manager@rutland.example.gov.uk"
COMMON = {"config_dir": str(RUTLAND), "cycle_year": 2010, "return_state": True}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    url = f"sqlite:///{tmp_path / 'trustcycle.db'}"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)
    monkeypatch.setenv("TRUSTCYCLE_SIGNOFF", "auto")
    monkeypatch.setenv("TRUSTCYCLE_PUBLIC_DIR", str(tmp_path / "public"))
    monkeypatch.setenv("TRUSTCYCLE_PUBLIC_URL", "https://www.rutland.example.gov.uk/trust/")
    database = Database.from_url(url)
    seed(database, rutland(), (CYPP, "child_poverty_strategy"))
    return database


def on(day: date) -> FixedClock:
    return FixedClock.on(pendulum.date(day.year, day.month, day.day))


def cypp(day: date) -> str:
    with use_clock(on(day)):
        return str(cypp_annual_review(as_of=day, **COMMON).name)


def kinds(server: SmtpTestServer, subject: str = "") -> Counter[str]:
    return Counter(str(m.parsed["X-Trustcycle-Kind"]) for m in server.messages
                   if subject in str(m.parsed["Subject"]))


def rcpts(server: SmtpTestServer, kind: str, subject: str = "") -> list[str]:
    return sorted(r for m in server.messages if m.parsed["X-Trustcycle-Kind"] == kind
                  and subject in str(m.parsed["Subject"]) for r in m.rcpt_tos)


def late_return(db: Database, partner: str, day: date, payload: dict) -> None:
    cfg = rutland()
    at = pendulum.datetime(day.year, day.month, day.day, 11, tz="Europe/London")
    with use_clock(FixedClock(at)), db.sessions.begin() as session:
        record_return(session, cfg, resolve_owed(cfg, CYPP, partner, None), now=at,
                      actor="test", channel="cli", year=2010, payload=payload)


def test_papers_wait_for_their_day_and_go_on_it_once_to_the_members_and_the_clerk(
    db: Database, smtp_server: SmtpTestServer
) -> None:
    assert cypp(CUTOFF) == "AwaitingPapersDay"  # approved at the cut-off, held
    assert cypp(date(2010, 6, 28)) == "AwaitingPapersDay"
    assert rcpts(smtp_server, "papers") == []
    # The papers day: the cycle driver's 09:15 run sends them, the 09:30 step finds them sent.
    with use_clock(on(PAPERS_DAY)):
        run_cycle(as_of=PAPERS_DAY, config_dir=str(RUTLAND), cycle_year=2010)
    assert cypp(PAPERS_DAY) == "PapersAlreadySent"
    with use_clock(on(PAPERS_DAY)):
        run_cycle(as_of=PAPERS_DAY, config_dir=str(RUTLAND), cycle_year=2010)
    subject = "Annual Review of the Children"
    assert rcpts(smtp_server, "papers", subject) == sorted(MEMBERS | {OFFICER})
    sent = [m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "papers"
            and subject in str(m.parsed["Subject"])]
    assert {parsedate_to_datetime(m.parsed["Date"]).date() for m in sent} == {PAPERS_DAY}
    assert "late" not in str(sent[0].parsed["Subject"]).lower()
    assert kinds(smtp_server, subject)["papers_late"] == 0


def test_papers_signed_off_after_their_day_go_at_once_marked_late_and_alert_the_officer(
    db: Database, smtp_server: SmtpTestServer
) -> None:
    assert cypp(date(2010, 6, 30)) == "PapersSentLate"
    assert cypp(date(2010, 7, 1)) == "PapersAlreadySent"
    assert rcpts(smtp_server, "papers") == sorted(MEMBERS | {OFFICER})
    assert {" ".join(str(m.parsed["Subject"]).split()) for m in smtp_server.messages
            if m.parsed["X-Trustcycle-Kind"] == "papers"} == {
        "Papers (late): Annual Review of the Children and Young People's Plan 2007-2011 for "
        "Children's Trust Executive"}
    [alert] = [m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "papers_late"]
    assert alert.rcpt_tos == [OFFICER, MANAGER]
    assert "sent to the members and the clerk now, marked late" in alert.body("plain")
    assert "after the papers day of 29 June 2010" in alert.body("plain")


def test_a_return_after_the_papers_alerts_the_officer_once_and_goes_in_one_addendum(
    db: Database, smtp_server: SmtpTestServer
) -> None:
    assert cypp(PAPERS_DAY) == "PapersSent"
    connexions = {"priorities": [{"priority": "p11_neet", "rag": "green", "value": 4.1,
                                  "narrative": "On track."}]}
    late_return(db, "connexions", date(2010, 7, 1), connexions)
    late_return(db, "connexions", date(2010, 7, 2), connexions)  # a second version: no alert
    with db.sessions() as session:
        alerts = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "late_return")).all()
    assert len(alerts) == 1
    with use_clock(on(date(2010, 7, 2))):
        state = assemble_draft(process_id=CYPP, addendum=True, **COMMON)
        again = assemble_draft(process_id=CYPP, addendum=True, **COMMON)
    assert (state.name, again.name) == ("AddendumSent", "NothingToAdd")
    [alert] = [m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "late_return"]
    assert alert.rcpt_tos == [OFFICER]
    assert "Connexions" in str(alert.parsed["Subject"])
    assert "addendum" in alert.body("plain")
    assert rcpts(smtp_server, "addendum") == sorted(MEMBERS | {OFFICER})
    addendum = next(m for m in smtp_server.messages
                    if m.parsed["X-Trustcycle-Kind"] == "addendum")
    assert "received 1 July 2010 (version 2" in addendum.body("plain")


def test_publication_writes_the_document_audits_its_address_and_emails_once(
    db: Database, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    def strategy(day: date) -> str:
        with use_clock(on(day)):
            return str(child_poverty_strategy(as_of=day, **COMMON).name)

    assert strategy(date(2011, 2, 21)) == "AwaitingPapersDay"  # the cut-off
    assert not (tmp_path / "public").exists()
    assert strategy(date(2011, 3, 31)) == "Published"
    assert strategy(date(2011, 3, 31)) == "PapersAlreadySent"
    folder = tmp_path / "public" / "rutland" / "2010"
    assert sorted(p.name for p in folder.iterdir()) == [
        "child_poverty_strategy-v1.docx", "child_poverty_strategy-v1.html"]
    assert b"Approved by" in (folder / "child_poverty_strategy-v1.html").read_bytes()
    with db.sessions() as session:
        [audit] = session.scalars(select(AuditLog).where(
            AuditLog.action == "papers.published")).all()
    url = "https://www.rutland.example.gov.uk/trust/rutland/2010/child_poverty_strategy-v1.html"
    assert audit.detail["url"] == url
    # The public has neither members nor a clerk: the officer alone is told, once.
    [mail] = [m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "publication"]
    assert mail.rcpt_tos == [OFFICER]
    assert url in mail.body("plain")
    assert kinds(smtp_server)["papers"] == 0
