"""Every value partners returned appears in the draft built from a real SQLite database,
as HTML and as DOCX: each kind of process with returns that fill every field (the portal's
shapes and the record-return shapes), documents, a return that is a file, two report-only
processes each in a draft of its own, and the membership review per body."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from typing import Any

import pendulum
import pytest
from docx import Document

from tests.fixtures.report_only import rutland_with_reports
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.returns import record_return, resolve_owed
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.papers.assemble import build_and_store, draft_content
from trustcycle.trust import load_config

RECEIVED = pendulum.datetime(2010, 6, 1, 10, 0, tz="Europe/London")
NOW = pendulum.datetime(2010, 6, 2, 9, 0, tz="Europe/London")
HOLT = {"name": "Ch Supt Dana Holt", "role": "Area Commander",
        "email": "dana.holt@police.example.uk", "seniority": "Chief Superintendent"}
REID = {"name": "Insp. Omar Reid", "role": "Inspector", "email": "omar.reid@police.example.uk"}
DUNN = {"name": "Insp. Mark Dunn", "role": "Member", "email": "mark.dunn@police.example.uk"}
PDF = {"stored_as": "3f1c.pdf", "original_name": "police-structure-2010.pdf", "type": "pdf",
       "size": 48213, "sha256": "9b2e41c07d5a" + "0" * 52}
LONG = "Statement " + "y" * 10_040

RETURNS: dict[str, dict[str, dict[str, Any]]] = {
    "membership_review": {
        # The portal's shape, Executive seat listed first: the flat fields are its.
        "police": {"representative": DUNN, "deputy": None, "term_end": None,
                   "absences": "Absent in November 2009: a major operation.",
                   "changes": "Changed: Rutland Children's Trust Board",
                   "seats": [{"body": "executive", "body_name": "Children's Trust Executive",
                              "action": "confirm", "representative": DUNN, "deputy": None,
                              "term_end": ""},
                             {"body": "board", "body_name": "Rutland Children's Trust Board",
                              "action": "change", "representative": HOLT, "deputy": REID,
                              "term_end": "2012-03-31"}],
                   "files": [PDF]},
        # The record-return shape: flat fields, a deputy with seniority.
        "pct": {"representative": {"name": "Dr Anne Cole", "role": "Associate Director",
                                   "email": "anne.cole@nhs.example.uk",
                                   "seniority": "Director"},
                "deputy": {"name": "Dr Raj Patel", "role": "Consultant Paediatrician",
                           "email": "raj.patel@nhs.example.uk", "seniority": "Consultant"},
                "term_end": "2012-03-31", "absences": "Winter pressures, March 2010.",
                "changes": "Dr Anne Cole to replace Peter Lane."},
    },
    "cypp_annual_review": {
        "police": {"priorities": [
            {"priority": "p04_safe", "title": "Ensure children and young people are safe",
             "rag": "green", "indicator": "Re-referrals", "target": 20, "value": 18.5,
             "narrative": "Re-referrals fell for a third year.",
             "risks": "A vetting backlog in the autumn.",
             "changes": "Add a measure of repeat missing episodes."},
            {"priority": "p01_healthy_lifestyles", "rag": "amber", "value": 71,
             "narrative": "Street sport in Oakham.", "risks": "Summer funding ends.",
             "changes": "Friday sessions."},
            {"priority": "p99_online", "title": "Online safety", "rag": "red",
             "narrative": "Proposed as a new priority.", "risks": "", "changes": ""}],
            "notes": "The police return covers Rutland only.", "files": [PDF]},
        "pct": {"priorities": [
            {"priority": "p01_healthy_lifestyles", "rag": "amber", "value": 84,
             "narrative": "School sport partnerships in every school.",
             "risks": "Funding after March 2011.", "changes": "Target girls 14-16."}],
            "notes": "Figures are provisional until the PCT's year end."},
    },
    "joint_needs_analysis": {
        "police": {"indicators": [
            {"indicator": "Domestic abuse incidents with children present", "period": "2009/10",
             "source": "Leicestershire Constabulary", "value": 212, "comparator": 198,
             "ward": "Oakham North West", "section": "general"},
            {"indicator": "Children in low income families (%)", "period": "2008",
             "source": "HMRC", "value": 9.8, "comparator": 21.3, "ward": "Uppingham",
             "section": "child_poverty"}],
            "commentary": "Incidents rose in two wards.",
            "child_poverty_commentary": "Pockets of poverty in market towns.",
            "files": [PDF]},
    },
    "child_poverty_strategy": {
        "rutland_cc": {"measures": [
            {"measure": "Holiday hunger scheme", "need": "School meals in the holidays",
             "lead": "Early Help Service", "target": "300 children a summer",
             "by_when": "August 2011", "monitoring": "Places taken, termly"}],
            "commentary": "Builds on the 2009 pilots.",
            "consultation": "Rutland Youth Forum, 12 January 2011."},
    },
    "safeguarding_report": {
        "probation": {"notes": "MAPPA: 14 cases reviewed.\nNo serious case reviews.",
                      "files": [PDF]},
        "var": {"notes": "Safer recruitment training for 40 groups <b>not bold</b>."},
    },
    "partner_statements": {
        "schools": {"notes": "Heads' Forum statement on attendance.",
                    "contact": "Julia Price"},
        "jcp": {"notes": LONG},
    },
}
# What each draft must show, as the reader sees it (dates and numbers formatted).
SHOWN = {
    "membership_review": [
        "Ch Supt Dana Holt", "Area Commander", "Chief Superintendent",
        "dana.holt@police.example.uk", "Insp. Omar Reid", "Inspector",
        "omar.reid@police.example.uk", "31 March 2012", "Insp. Mark Dunn",
        "mark.dunn@police.example.uk", "Absent in November 2009: a major operation.",
        "Changed: Rutland Children's Trust Board", "police-structure-2010.pdf",
        "48,213 bytes", "Dr Anne Cole", "Associate Director", "Director",
        "anne.cole@nhs.example.uk", "Dr Raj Patel", "Consultant Paediatrician",
        "raj.patel@nhs.example.uk", "(Consultant)", "Winter pressures, March 2010.",
        "Dr Anne Cole to replace Peter Lane."],
    "cypp_annual_review": [
        "Green", "18.5%", "Re-referrals fell for a third year.",
        "A vetting backlog in the autumn.", "Add a measure of repeat missing episodes.",
        "rating Amber; value 71%; progress: Street sport in Oakham.; risks: Summer funding "
        "ends.; proposed changes: Friday sessions.", "Online safety",
        "Proposed as a new priority.", "The police return covers Rutland only.",
        "84%", "School sport partnerships in every school.", "Funding after March 2011.",
        "Target girls 14-16.", "Figures are provisional until the PCT's year end.",
        "police-structure-2010.pdf"],
    "joint_needs_analysis": [
        "Domestic abuse incidents with children present", "2009/10",
        "Leicestershire Constabulary", "212", "198", "Oakham North West",
        "Children in low income families (%)", "2008", "HMRC", "9.8", "21.3", "Uppingham",
        "Incidents rose in two wards.", "Pockets of poverty in market towns.",
        "police-structure-2010.pdf", "pct-needs-2010.csv", "42 bytes"],
    "child_poverty_strategy": [
        "Holiday hunger scheme", "School meals in the holidays", "Early Help Service",
        "300 children a summer", "August 2011", "Places taken, termly",
        "Builds on the 2009 pilots.", "Rutland Youth Forum, 12 January 2011."],
    "safeguarding_report": [
        "MAPPA: 14 cases reviewed.", "No serious case reviews.", "police-structure-2010.pdf",
        "Safer recruitment training for 40 groups <b>not bold</b>."],
    "partner_statements": [
        "Heads' Forum statement on attendance.", "Contact: Julia Price",
        "y" * 9_990 + " [cut here: 50 more characters in the return]",
        "Stamford College (serving Rutland): Your annual statement: not received."],
}


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TrustConfig, Database]]:
    """The trust applied to one SQLite file and every return recorded, once for the module
    (building a draft twice from the same returns gives the same version)."""
    tmp_path = tmp_path_factory.mktemp("every-field")
    cfg = load_config(rutland_with_reports(tmp_path))
    db = Database.from_url(f"sqlite:///{tmp_path / 'trustcycle.db'}")
    needs_file = tmp_path / "pct-needs-2010.csv"
    needs_file.write_bytes(b"indicator,period,source,value,comparator\n\n")
    with use_clock(FixedClock(RECEIVED)):
        with db.sessions.begin() as session:
            apply_config(session, cfg, actor="test")
        with db.sessions.begin() as session:
            for process, returns in RETURNS.items():
                for partner, payload in returns.items():
                    record_return(session, cfg, resolve_owed(cfg, process, partner, None),
                                  now=RECEIVED, actor="test", channel="cli", payload=payload,
                                  year=2010)
            record_return(session, cfg, resolve_owed(cfg, "joint_needs_analysis", "pct", None),
                          now=RECEIVED, actor="test", channel="cli", file_path=needs_file,
                          store=tmp_path / "returns", year=2010)
    yield cfg, db
    db.dispose()


def words(text: str) -> str:
    return " ".join(text.split())


def html_text(page: str) -> str:
    return words(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    return words(" ".join(parts))


def built(cfg: TrustConfig, db: Database, process: str) -> dict[str, bytes]:
    with db.sessions.begin() as session:
        stored = build_and_store(session, cfg, process, 2010, now=NOW)
    with db.sessions() as session:
        return {fmt: draft_content(session, cfg, process, 2010, stored.version, fmt)
                for fmt in ("md", "html", "docx")}


@pytest.mark.parametrize("process", list(SHOWN))
def test_every_returned_value_appears_in_the_html_and_the_docx(
    trust: tuple[TrustConfig, Database], process: str
) -> None:
    cfg, db = trust
    drafts = built(cfg, db, process)
    page, document = html_text(drafts["html"].decode()), docx_text(drafts["docx"])
    for value in SHOWN[process]:
        assert words(value) in page, (process, value)
        assert words(value) in document, (process, value)
    assert "<script" not in drafts["html"].decode().split("<body>")[1].replace(
        "&lt;script", "")


def test_two_report_only_processes_each_show_only_their_own_reports(
    trust: tuple[TrustConfig, Database],
) -> None:
    cfg, db = trust
    safeguarding = built(cfg, db, "safeguarding_report")
    statements = built(cfg, db, "partner_statements")
    first, second = html_text(safeguarding["html"].decode()), html_text(
        statements["html"].decode())
    assert "MAPPA: 14 cases reviewed." in first and "MAPPA" not in second
    assert "Heads' Forum statement" in second and "Heads' Forum statement" not in first
    assert "&lt;b&gt;not bold&lt;/b&gt;" in safeguarding["html"].decode()
    assert "priorities" not in first.lower()  # not drafted as a CYPP review
    md = statements["md"].decode()
    assert "## 4. Rutland maintained schools (Primary and Secondary Heads' Forum): Your " \
           "annual statement" in md
    assert "| Reports asked | 3 |" in md and "| Not received | 1 |" in md


def test_the_membership_review_reports_each_bodys_own_seats(
    trust: tuple[TrustConfig, Database],
) -> None:
    cfg, db = trust
    md = built(cfg, db, "membership_review")["md"].decode()
    board = md.split("Seats on Rutland Children's Trust Board")[1].split("## ")[0]
    executive = md.split("Seats on Children's Trust Executive")[1].split("## ")[0]
    assert ("| Supt. Rachel Kerr | Leicestershire Constabulary | Member | Insp. Mark Dunn | "
            "Open-ended | Change asked | Representative: Supt. Rachel Kerr to be replaced by "
            "Ch Supt Dana Holt, Area Commander (Chief Superintendent); Deputy: Insp. Mark "
            "Dunn to be replaced by Insp. Omar Reid, Inspector; Term ends: 31 March 2012 "
            "(recorded: open-ended) |") in board
    assert ("| Insp. Mark Dunn | Leicestershire Constabulary | Member | None named | "
            "Open-ended | Confirmed |  |") in executive
    assert ("| Peter Lane | NHS Leicestershire County and Rutland (PCT) | Member | None named "
            "| 30 September 2010 | Change asked |") in board
    assert ("| Dr Anne Cole | NHS Leicestershire County and Rutland (PCT) | Member | None "
            "named | Open-ended | Not covered by the return |  |") in executive
