"""The statutory process flows through Prefect: a dry run changes nothing, and a revised
needs assessment re-opens the child poverty strategy (Child Poverty Act 2010 s23(5))."""

from __future__ import annotations

import email
import email.utils
from datetime import UTC, date
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import func, select

from flows.processes import child_poverty_strategy, joint_needs_analysis
from tests.integration.drafts_support import RUTLAND, rutland, seed
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.progress import Progress, reviews_triggered
from trustcycle.chasing.returns import record_return, resolve_owed
from trustcycle.db import Database
from trustcycle.db.models import AuditLog, Draft, OutboxMessage, Process

pytestmark = pytest.mark.usefixtures("prefect_harness", "mail_settings")

JNA_CUTOFF = date(2010, 10, 5)
JNA_PAPERS = date(2010, 10, 12)  # 5 clear days before the Executive on 18 October
CPS_CUTOFF = date(2011, 2, 21)
CPS_PUBLISH = date(2011, 3, 31)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'trustcycle.db'}"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)  # a setting, not a run parameter
    return url


def on(day: date) -> FixedClock:
    """`day` at 09:00 as the wall clock (as the simulator runs it)."""
    return FixedClock.on(pendulum.date(day.year, day.month, day.day))


@pytest.fixture
def db(url: str) -> Database:
    database = Database.from_url(url)
    seed(database, rutland(), ("joint_needs_analysis", "child_poverty_strategy"))
    return database


def _count(db: Database, model: type, *where: object) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _drafts(db: Database, process: str) -> int:
    with db.sessions() as session:
        return (
            session.scalar(
                select(func.count(func.distinct(Draft.version)))
                .join(Process, Process.id == Draft.process_id)
                .where(Process.config_id == process)
            )
            or 0
        )


def test_a_dry_run_renders_the_draft_and_stores_and_sends_nothing(
    db: Database,
    url: str,
    smtp_server: SmtpTestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # dry-run output lands under var/mail/dry-run/
    outbox_before = _count(db, OutboxMessage)
    with use_clock(on(JNA_CUTOFF)):
        state = joint_needs_analysis(as_of=JNA_CUTOFF, dry_run=True, config_dir=str(RUTLAND),
                                     cycle_year=2010, return_state=True)
    assert state.name == "DryRun"
    previews = sorted(p.name for p in (tmp_path / "var/mail/dry-run/drafts").iterdir())
    assert previews[:3] == [f"joint_needs_analysis-2010-preview.{x}"
                            for x in ("docx", "html", "md")]
    # The one email the step would send: the officer's sign-off request, as an .eml file.
    [eml] = list((tmp_path / "var/mail/dry-run").glob("*.eml"))
    parsed = email.message_from_bytes(eml.read_bytes())
    assert parsed["To"] == "childrens.trust@rutland.example.gov.uk"
    assert parsed["Subject"].startswith("Sign-off needed: ")
    assert _drafts(db, "joint_needs_analysis") == 0
    assert _count(db, OutboxMessage) == outbox_before
    assert smtp_server.messages == []


def test_a_revised_needs_assessment_reopens_the_published_strategy(
    db: Database, smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SIGNOFF", "auto")
    common = {"config_dir": str(RUTLAND), "cycle_year": 2010, "return_state": True}
    with use_clock(on(JNA_CUTOFF)):  # approved at the cut-off; the papers wait for their day
        assert joint_needs_analysis(as_of=JNA_CUTOFF, **common).name == "AwaitingPapersDay"
    with use_clock(on(JNA_PAPERS)):
        assert joint_needs_analysis(as_of=JNA_PAPERS, **common).name == "PapersSent"
    with use_clock(on(CPS_PUBLISH)):  # drafted, approved and published on the day
        assert child_poverty_strategy(as_of=CPS_PUBLISH, **common).name == "Published"
    assert (_drafts(db, "joint_needs_analysis"), _drafts(db, "child_poverty_strategy")) == (1, 1)

    # A partner's corrected data arrives after publication: the assessment is revised.
    cfg = rutland()
    revised_on = pendulum.datetime(2011, 3, 31, 10, tz="Europe/London")
    with use_clock(FixedClock(revised_on)), db.sessions.begin() as session:
        record_return(
            session,
            cfg,
            resolve_owed(cfg, "joint_needs_analysis", "police", None),
            now=revised_on,
            actor="test",
            channel="cli",
            year=2010,
            payload={
                "indicators": [
                    {
                        "indicator": "Children in low income families",
                        "period": "2010",
                        "source": "HMRC",
                        "value": 31.5,
                        "comparator": 21.0,
                        "section": "child_poverty",
                    }
                ],
                "commentary": "Corrected figures.",
            },
        )
    with use_clock(on(CPS_PUBLISH)):
        state = joint_needs_analysis(as_of=CPS_PUBLISH, **common)

    # The JNA's papers day (October 2010) is long past: the revision goes at once, late.
    assert state.name == "PapersSentLate"
    assert _drafts(db, "joint_needs_analysis") == 2
    assert _drafts(db, "child_poverty_strategy") == 2
    assert _count(db, AuditLog, AuditLog.action == "review.triggered") == 1
    notices = [
        m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "review_triggered"
    ]
    assert len(notices) == 1
    assert "Review required: Rutland Child Poverty Strategy" in str(notices[0].parsed["Subject"])

    # Running the same revision again re-opens nothing twice.
    with use_clock(on(CPS_PUBLISH)):
        assert joint_needs_analysis(as_of=CPS_PUBLISH, **common).name == "PapersAlreadySent"
    assert _count(db, AuditLog, AuditLog.action == "review.triggered") == 1


def test_only_a_revision_after_publication_triggers_a_review() -> None:
    cfg = rutland()
    published = {"child_poverty_strategy": Progress("child_poverty_strategy", 1, True)}
    unpublished = {"child_poverty_strategy": Progress("child_poverty_strategy", 1, False)}
    assert reviews_triggered(cfg, "joint_needs_analysis", 1, 2, published) == [
        "child_poverty_strategy"
    ]
    assert reviews_triggered(cfg, "joint_needs_analysis", 0, 1, published) == []
    assert reviews_triggered(cfg, "joint_needs_analysis", 2, 2, published) == []
    assert reviews_triggered(cfg, "joint_needs_analysis", 1, 2, unpublished) == []
    assert reviews_triggered(cfg, "cypp_annual_review", 1, 2, published) == []


def test_a_step_run_with_a_past_as_of_audits_and_checks_the_deadline_on_the_wall_clock(
    db: Database, smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SIGNOFF", "auto")
    before = pendulum.now("Europe/London")
    # No clock installed: as_of picks the cut-off's step; the wall clock is today, long
    # after the October 2010 papers day, so the papers go at once, late, and the officer
    # is alerted.
    state = joint_needs_analysis(as_of=JNA_CUTOFF, config_dir=str(RUTLAND), cycle_year=2010,
                                 return_state=True)
    after = pendulum.now("Europe/London")
    assert state.name == "PapersSentLate"
    with db.sessions() as session:
        [approved] = session.scalars(select(AuditLog).where(AuditLog.action == "draft.approved"))
    at = pendulum.instance(approved.at if approved.at.tzinfo else approved.at.replace(tzinfo=UTC))
    assert before.subtract(seconds=1) <= at <= after.add(seconds=1)
    [late] = [m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "papers_late"]
    sent = email.utils.parsedate_to_datetime(late.parsed["Date"])
    assert before.subtract(seconds=1) <= sent <= after.add(seconds=1)
    assert len([m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "papers"]) == 7
