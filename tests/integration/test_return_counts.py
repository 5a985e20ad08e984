"""The draft, the year's summary and the timeline count returns from one source: a year
with one return in each category (on time, late, late after the papers, missing, waived),
on SQLite and PostgreSQL."""

from __future__ import annotations

import pendulum
import pytest

from tests.fixtures.returns import payloads
from tests.integration.drafts_support import rutland
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.calendar.punctuality import tally_words
from trustcycle.calendar.timeline import timeline_markdown
from trustcycle.chasing.progress import recorded_steps, return_counts
from trustcycle.chasing.report import year_summary
from trustcycle.chasing.returns import find_or_open, record_return, resolve_owed, waive_return
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.drafts.context import build_report
from trustcycle.papers.assemble import build_and_store, load_inputs, record_decision
from trustcycle.papers.mail import send_papers

CYPP = "cypp_annual_review"  # deadline Thursday 17 June 2010 17:00, papers Tuesday 29 June
EACH = {"on_time": 1, "late": 1, "late_after_papers": 1, "missing": 1, "waived": 1}


def at(day: int, month: int = 6, hour: int = 11) -> pendulum.DateTime:
    return pendulum.datetime(2010, month, day, hour, tz="Europe/London")


def _record(db: Database, cfg: TrustConfig, partner: str, when: pendulum.DateTime) -> None:
    payload = payloads(CYPP).get(partner) or {"priorities": []}
    with use_clock(FixedClock(when)), db.sessions.begin() as session:
        record_return(session, cfg, resolve_owed(cfg, CYPP, partner, None), now=when,
                      actor="test", channel="cli", payload=payload, year=2010)


@pytest.fixture
def year(database: Database) -> TrustConfig:
    """pct on the deadline day, police the day after, yot after the papers went,
    connexions never, the council waived."""
    cfg = rutland()
    with use_clock(FixedClock(at(17, 5, 9))), database.sessions.begin() as session:
        apply_config(session, cfg, actor="test")
        for partner in ("pct", "police", "yot", "connexions", "rutland_cc"):
            find_or_open(session, cfg, resolve_owed(cfg, CYPP, partner, None), now=at(17, 5, 9),
                         year=2010)
    _record(database, cfg, "pct", at(17, hour=16))  # 16:00 on the day: before 17:00
    _record(database, cfg, "police", at(18))
    with database.sessions.begin() as session:
        waive_return(session, cfg, resolve_owed(cfg, CYPP, "rutland_cc", None),
                     reason="Reported through the Plan's own board", now=at(18), actor="test",
                     year=2010)
    with use_clock(FixedClock(at(25, hour=9))), database.sessions.begin() as session:
        draft = build_and_store(session, cfg, CYPP, 2010, now=at(25, hour=9))
        record_decision(session, cfg, CYPP, 2010, version=draft.version, decision="approve",
                        officer="Sam Ireland", comment="", at=at(25, hour=9), key="k")
    with use_clock(FixedClock(at(29, hour=9))), database.sessions.begin() as session:
        send_papers(session, cfg, CYPP, 2010, version=draft.version, now=at(29, hour=9))
    _record(database, cfg, "yot", at(29, hour=14))  # the papers day, after they went
    return cfg


def test_the_draft_the_summary_and_the_timeline_count_each_category_alike(
    database: Database, year: TrustConfig
) -> None:
    with database.sessions() as session:
        counts = return_counts(session, year, 2010)[CYPP]
        summary = year_summary(session, year, 2010)[CYPP]
        inputs = load_inputs(session, year, CYPP, 2010)
        recorded = recorded_steps(session, year, 2010)
    assert counts == EACH
    assert (summary.requests, summary.on_time, summary.late, summary.late_after_papers,
            summary.missing, summary.waived) == (5, 1, 1, 1, 1, 1)
    words = tally_words(counts)
    assert words == "1 on time, 1 late, 1 late after the papers, 1 missing, 1 waived"
    report = build_report(year, CYPP, 2010, inputs, written=at(30).date())
    assert f"By when they came: {words}." in report.background[1]
    timeline = timeline_markdown(year, 2010, pendulum.date(2010, 6, 30), CYPP, recorded,
                                 {CYPP: counts})
    assert timeline.endswith(f"## Returns\n\n- {year.processes[CYPP].title}: {words}")
    assert {r.partner: r.timing for r in inputs.returns} == {
        "pct": "on_time", "police": "late", "yot": "late_after_papers",
        "connexions": "missing", "rutland_cc": "waived"}


def test_a_resubmission_counts_by_the_first_version(
    database: Database, year: TrustConfig
) -> None:
    _record(database, year, "pct", at(30))  # a correction after the papers: still on time
    with database.sessions() as session:
        assert return_counts(session, year, 2010)[CYPP] == EACH
