"""Publication in a real database: the files, the audited address and the emails to the
receiving body's clerk and the officer, exactly once however often it is run; late when
signed off after the publication day."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import func, select

from tests.integration.drafts_support import rutland, seed
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.config import TrustConfig
from trustcycle.config.schema import Person
from trustcycle.db import Database
from trustcycle.db.models import AuditLog, Notification, OutboxMessage
from trustcycle.papers.assemble import build_and_store, record_decision
from trustcycle.papers.publish import PublicSettings, publish

CPS = "child_poverty_strategy"  # published Thursday 31 March 2011
CLERK = Person(name="Web Team", email="web.team@rutland.example.gov.uk")
OFFICER = "childrens.trust@rutland.example.gov.uk"


@pytest.fixture
def cfg(database: Database) -> TrustConfig:
    base = rutland()
    seed(database, base, (CPS,))
    public = base.bodies["public"].model_copy(update={"clerk": CLERK})
    config = replace(base, bodies={**base.bodies, "public": public})
    approved_on = pendulum.datetime(2011, 2, 21, 9, tz="Europe/London")
    with use_clock(FixedClock(approved_on)), database.sessions.begin() as session:
        draft = build_and_store(session, config, CPS, 2010, now=approved_on)
        record_decision(session, config, CPS, 2010, version=draft.version, decision="approve",
                        officer="Sam Ireland", comment="", at=approved_on, key="k")
    return config


def _publish(database: Database, cfg: TrustConfig, settings: PublicSettings,
             day: int, month: int = 3) -> object:
    at = pendulum.datetime(2011, month, day, 9, 15, tz="Europe/London")
    with use_clock(FixedClock(at)), database.sessions.begin() as session:
        return publish(session, cfg, CPS, 2010, version=1, now=at, settings=settings)


def test_publication_is_written_audited_and_announced_once_however_often_it_runs(
    database: Database, cfg: TrustConfig, tmp_path: Path
) -> None:
    settings = PublicSettings(public_dir=str(tmp_path / "www"),
                              public_url="https://rutland.example.gov.uk/trust")
    first = _publish(database, cfg, settings, 31)
    html = tmp_path / "www" / "rutland" / "2010" / f"{CPS}-v1.html"
    before = html.read_bytes()
    again = _publish(database, cfg, settings, 31)
    assert first == again  # the same emails (keyed), the same address
    assert first.late is False and first.recipients == sorted([CLERK.email, OFFICER])
    assert first.url == f"https://rutland.example.gov.uk/trust/rutland/2010/{CPS}-v1.html"
    assert html.read_bytes() == before and b"Approved by Sam Ireland" in before
    with database.sessions() as session:
        audits = session.scalars(select(AuditLog).where(
            AuditLog.action == "papers.published")).all()
        mails = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "publication")).all()
        notes = session.scalar(select(func.count()).select_from(Notification))
    assert [a.detail["url"] for a in audits] == [first.url]
    assert sorted(m.to_addrs[0] for m in mails) == sorted([CLERK.email, OFFICER])
    assert all(first.url in m.body_text for m in mails)
    assert notes == 2  # the publication counts as the process's papers having gone


def test_a_publication_after_its_day_says_it_is_late_and_without_a_url_uses_the_folder(
    database: Database, cfg: TrustConfig, tmp_path: Path
) -> None:
    settings = PublicSettings(public_dir=str(tmp_path / "www"), public_url="")
    result = _publish(database, cfg, settings, 1, month=4)
    assert result.late is True
    assert result.url == (tmp_path / "www" / "rutland" / "2010" / f"{CPS}-v1.html").as_uri()
    with database.sessions() as session:
        subjects = set(session.scalars(select(OutboxMessage.subject).where(
            OutboxMessage.kind == "publication")))
    assert {" ".join(s.split()) for s in subjects} == {
        "Published (late): Rutland Child Poverty Strategy"}
