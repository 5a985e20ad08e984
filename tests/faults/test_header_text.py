"""One rule for header-safe text: what the door accepts, mail can carry; a bad partner's
mail fails alone, with one officer alert, and every other partner is still chased."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from tests.integration.test_chase_fixtures import OFFICER, PARTNERS, contact, write_config
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.requests import open_due_requests, record_rungs, select_due
from trustcycle.config import TrustConfig
from trustcycle.config.schema import Person
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import ContributionRequest, OutboxMessage, Reminder
from trustcycle.mail.message import check_header
from trustcycle.portal import forms
from trustcycle.text import line_fault
from trustcycle.trust import load_config

BREAKS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x00", "\r", "\n", "\x1b", "\x9b"]
REQUEST_DAY = date(2026, 4, 27)
ESCALATION_DAY = date(2026, 5, 19)


@pytest.mark.parametrize("char", BREAKS)
def test_what_the_config_schema_accepts_the_mail_header_check_accepts(char: str) -> None:
    for value in (f"Leics{char}Police", f"{char}Police", "Leics Police", "Tab\tPolice"):
        try:
            person = Person(name=value, email="jo@police.example.org")
        except ValidationError:
            assert line_fault(value) is not None
            continue
        assert check_header("Subject", f"Escalation: return overdue from {person.name}")


@pytest.mark.parametrize("char", ["\u2028", "\x85", "\x0b", "\x0c", "\x00"])
def test_the_portal_refuses_a_line_separator_or_nel_in_a_single_line_field(char: str) -> None:
    seat = forms.Seat("board", "Trust Board", "A. Person", "a@x.example", "Director")
    _, errors = forms.validate(
        forms.Ask("membership_review", seats=[seat]),
        {
            "seat-board-1-action": "change",
            "seat-board-1-name": f"Eve{char}Bcc: all@x.example",
            "seat-board-1-role": "Director",
            "seat-board-1-email": "eve@x.example",
        },
        {},
    )
    assert [e.field for e in errors] == ["seat-board-1-name"]
    assert errors[0].message.startswith("The representative's name must be a single line")


def _with_partner(cfg: TrustConfig, pid: str, **changes: object) -> TrustConfig:
    """The configuration with one partner changed WITHOUT validation: a value that got past
    the door some other way (an older release, a hand-edited database)."""
    partners = dict(cfg.partners)
    partners[pid] = partners[pid].model_copy(update=changes)
    return dataclasses.replace(cfg, partners=partners)


@pytest.fixture
def trust(tmp_path: Path, db_url: str) -> tuple[TrustConfig, Database]:
    cfg = load_config(write_config(tmp_path / "config"))
    db = Database.from_url(db_url)
    with use_clock(FixedClock.on(REQUEST_DAY)), db.sessions.begin() as session:
        apply_config(session, cfg, actor="test")
    yield cfg, db
    db.dispose()


def _alerts(db: Database) -> list[str]:
    with db.sessions() as session:
        return list(session.scalars(
            select(OutboxMessage.subject).where(OutboxMessage.kind == "chase_fault")))


def test_a_partner_whose_request_cannot_be_built_is_not_opened_and_the_rest_are(
    trust: tuple[TrustConfig, Database],
) -> None:
    cfg, db = trust
    bad_contact = Person.model_construct(name="Charlie", role=None, email="c\u2028@x.example")
    bad = _with_partner(cfg, "charlie", contacts=[bad_contact])
    now = FixedClock.on(REQUEST_DAY).now()
    for _ in range(2):  # a second run retries charlie and alerts nobody again
        with use_clock(FixedClock(now)), db.immediate() as session:
            opened = open_due_requests(session, bad, now=now)
    assert _alerts(db) == ["Not sent to charlie: request for membership_review"]
    with db.sessions() as session:
        to = sorted(a for row in session.scalars(select(OutboxMessage.to_addrs).where(
            OutboxMessage.kind == "request")) for a in row)
        assert to == sorted(contact(p) for p in PARTNERS if p != "charlie")
        assert session.scalar(select(func.count()).select_from(ContributionRequest)) == 4
        alert = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "chase_fault")).one()
        assert alert.to_addrs == [OFFICER]
        assert "line separator (U+2028)" in alert.body_text
    assert opened == []  # the second run: the four were opened by the first
    with use_clock(FixedClock(now)), db.immediate() as session:  # the officer fixes it
        assert [v.partner for v, _ in open_due_requests(session, cfg, now=now)] == ["charlie"]


def test_an_escalation_that_cannot_be_built_stays_due_and_the_others_are_sent(
    trust: tuple[TrustConfig, Database],
) -> None:
    cfg, db = trust
    opened_at = FixedClock.on(REQUEST_DAY).now()
    with use_clock(FixedClock(opened_at)), db.immediate() as session:
        assert len(open_due_requests(session, cfg, now=opened_at)) == 5
    bad = _with_partner(cfg, "delta", name="Delta\x85Services")  # the escalation's subject
    now = FixedClock.on(ESCALATION_DAY).now()
    with db.sessions() as session:
        due = select_due(session, bad, today=ESCALATION_DAY).due
    assert {d.rung.name for d in due} == {"escalate_4"} and len(due) == 5
    with use_clock(FixedClock(now)), db.immediate() as session:
        queued = record_rungs(session, bad, due, now=now)
    assert len(queued) == 4
    assert _alerts(db) == ["Not sent to delta: reminder (escalate_4) for membership_review"]
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Reminder)) == 4
        still_due = select_due(session, bad, today=ESCALATION_DAY).due
    assert [d.request.partner for d in still_due] == ["delta"]


def test_a_dry_run_previews_the_officers_alert_instead_of_failing(
    trust: tuple[TrustConfig, Database], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.chase import preview_chase_mail
    from trustcycle.chasing.requests import Selection

    cfg, db = trust
    monkeypatch.setenv("TRUSTCYCLE_DRY_RUN_DIR", str(tmp_path / "dry-run"))
    bad_contact = Person.model_construct(name="Echo", role=None, email="e\x0b@x.example")
    bad = _with_partner(cfg, "echo", contacts=[bad_contact])
    now = FixedClock.on(REQUEST_DAY).now()
    preview = preview_chase_mail.fn(db, bad, Selection([], []), REQUEST_DAY, now)
    kinds = sorted(line.kind for line in preview.lines)
    assert kinds == ["chase_fault"] + ["request"] * 4
    alert = next(line for line in preview.lines if line.kind == "chase_fault")
    assert alert.subject == "Not sent to echo: request for membership_review"
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
