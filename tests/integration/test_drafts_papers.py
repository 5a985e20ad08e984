"""Drafts stored in a real database: versioned with the sha256 of the returns used,
byte-identical for the same returns, a new version when a return changes."""

from __future__ import annotations

import io

import pendulum
import pytest
from docx import Document
from sqlalchemy import select

from tests.fixtures.returns import PROCESSES
from tests.integration.drafts_support import record, rutland, seed
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.models import AuditLog, Draft
from trustcycle.papers.assemble import build_and_store, draft_content, papers_copy, record_decision

NOW = pendulum.datetime(2010, 6, 25, 9, 0, tz="Europe/London")


@pytest.fixture
def cfg(database: Database) -> TrustConfig:
    config = rutland()
    seed(database, config, PROCESSES)
    return config


def build(db: Database, cfg: TrustConfig, process: str) -> tuple[int, str, bool, bytes]:
    with db.sessions.begin() as session:
        d = build_and_store(session, cfg, process, 2010, now=NOW)
    with db.sessions() as session:
        md = session.scalars(select(Draft.content).where(
            Draft.version == d.version, Draft.format == "md",
            Draft.returns_sha256 == d.returns_sha256)).first()
    assert md is not None
    return d.version, d.returns_sha256, d.created, md


@pytest.mark.parametrize("process", PROCESSES)
def test_each_draft_is_stored_in_every_format_with_the_sha256_of_its_returns(
    database: Database, cfg: TrustConfig, process: str
) -> None:
    version, sha, created, _ = build(database, cfg, process)
    assert (version, created) == (1, True)
    with database.sessions() as session:
        rows = session.scalars(select(Draft).where(Draft.returns_sha256 == sha)).all()
    assert sorted(r.format for r in rows) == ["docx", "html", "json", "md"]
    assert all(r.content for r in rows)


def test_the_same_returns_give_the_same_version_and_byte_identical_markdown(
    database: Database, cfg: TrustConfig
) -> None:
    first = build(database, cfg, "cypp_annual_review")
    again = build(database, cfg, "cypp_annual_review")
    assert again[:2] == first[:2] and again[2] is False
    assert again[3] == first[3]


def test_a_new_version_of_a_return_makes_a_new_draft_version(
    database: Database, cfg: TrustConfig
) -> None:
    v1, sha1, _, _ = build(database, cfg, "cypp_annual_review")
    record(database, cfg, "cypp_annual_review", {"connexions": {"priorities": [
        {"priority": "p11_neet", "rag": "green", "value": 4.1}]}})
    v2, sha2, created, md = build(database, cfg, "cypp_annual_review")
    assert (v2, created) == (v1 + 1, True) and sha2 != sha1
    assert b"Connexions Leicester Shire | Progress on the CYPP priorities you lead | Received" in md
    with database.sessions() as session:
        statuses = {d.version: d.status for d in session.scalars(select(Draft))}
    assert statuses[v1] == "superseded"


def test_an_approval_is_audited_once_with_who_and_when(
    database: Database, cfg: TrustConfig
) -> None:
    version, *_ = build(database, cfg, "joint_needs_analysis")
    for _ in range(2):
        with database.sessions.begin() as session:
            record_decision(session, cfg, "joint_needs_analysis", 2010, version=version,
                            decision="approve", officer="sam@rutland.example.gov.uk",
                            comment="", at=NOW, key="run-1:1")
    with database.sessions() as session:
        [row] = session.scalars(select(AuditLog).where(AuditLog.action == "draft.approved"))
        approved = session.scalars(select(Draft).where(Draft.status == "approved")).all()
    assert row.actor == "sam@rutland.example.gov.uk" and row.at == NOW
    assert {d.approved_by for d in approved} == {"sam@rutland.example.gov.uk"}


def test_the_papers_copy_says_who_approved_it_and_when_and_the_draft_keeps_its_date(
    database: Database, cfg: TrustConfig
) -> None:
    version, *_ = build(database, cfg, "membership_review")
    with database.sessions.begin() as session:
        again = build_and_store(session, cfg, "membership_review", 2010,
                                now=NOW.add(days=3))  # a re-run days later: same version
        record_decision(session, cfg, "membership_review", 2010, version=version,
                        decision="approve", officer="childrens.trust@rutland.example.gov.uk",
                        comment="", at=NOW.add(days=4), key="run-1:1")
    assert (again.version, again.created) == (version, False)
    assert "**Date:** 25 June 2010" in again.markdown
    with database.sessions() as session:
        docx = papers_copy(session, cfg, "membership_review", 2010, version, "docx")
        html = papers_copy(session, cfg, "membership_review", 2010, version, "html").decode()
        stored = draft_content(session, cfg, "membership_review", 2010, version, "md").decode()
    approved = "Approved by Sam Ireland on 29 June 2010"
    assert approved in html and "Draft for sign-off" not in html
    doc = Document(io.BytesIO(docx))
    frame = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    assert frame["Status"] == approved and frame["Date"] == "25 June 2010"
    assert doc.sections[0].footer.paragraphs[0].text == approved
    assert "Draft for sign-off" in stored  # the stored draft is what was signed off
