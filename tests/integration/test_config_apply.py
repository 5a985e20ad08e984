"""`config apply` against real SQLite and PostgreSQL databases, from the Rutland 2010 YAML."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.db import Database
from trustcycle.db.apply import ApplyReport, apply_config
from trustcycle.db.models import (
    AuditLog,
    Base,
    Body,
    Contact,
    ContributionRequest,
    Meeting,
    Membership,
    Partner,
    Process,
    ReturnVersion,
)
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "examples" / "rutland-2010"
APPLIED_ON = pendulum.datetime(2010, 4, 1, 9, tz="Europe/London")
REMOVED_ON = pendulum.datetime(2010, 4, 12, 9, tz="Europe/London")
RESTORED_ON = pendulum.datetime(2010, 4, 19, 9, tz="Europe/London")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the Rutland example, free to edit."""
    # The loader looks for draft templates in a `templates/` beside the config's parents.
    (tmp_path / "templates").symlink_to(ROOT / "templates", target_is_directory=True)
    return Path(shutil.copytree(EXAMPLE, tmp_path / "config"))


def apply(database: Database, config_dir: Path, at: pendulum.DateTime) -> ApplyReport:
    cfg = load_config(config_dir)
    with use_clock(FixedClock(at)), database.sessions.begin() as session:
        return apply_config(session, cfg, actor="officer@test")


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def remove_partner(config_dir: Path, pid: str) -> None:
    """Drop a partner from the YAML with every reference to it, as an officer would."""

    def partners(data: Any) -> None:
        del data["partners"][pid]

    def bodies(data: Any) -> None:
        for body in data["bodies"].values():
            body["members"] = [m for m in body.get("members", []) if m["partner"] != pid]

    def scenario(data: Any) -> None:
        data["answers"] = [a for a in data.get("answers", []) if a["partner"] != pid]

    edit_yaml(config_dir / "partners.yaml", partners)
    edit_yaml(config_dir / "bodies.yaml", bodies)
    edit_yaml(config_dir / "scenario.yaml", scenario)


def row_counts(session: Session) -> dict[str, int]:
    return {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in Base.metadata.tables.items()
    }


def partner(session: Session, pid: str) -> Partner:
    return session.scalars(select(Partner).where(Partner.config_id == pid)).one()


@pytest.fixture
def applied(database: Database, config_dir: Path) -> Iterator[Database]:
    apply(database, config_dir, APPLIED_ON)
    yield database


def test_first_apply_loads_the_trust_partners_bodies_meetings_and_processes(
    database: Database, config_dir: Path
) -> None:
    cfg = load_config(config_dir)

    report = apply(database, config_dir, APPLIED_ON)

    assert report.created == len(report.changes) and report.unchanged == 0
    with database.sessions() as session:
        # Rutland's files: 11 partners, 3 bodies (board, executive, public), 6 processes.
        assert session.scalar(select(func.count()).select_from(Partner)) == 11
        assert session.scalar(select(func.count()).select_from(Body)) == 3
        assert session.scalar(select(func.count()).select_from(Process)) == 6
        board = session.scalars(select(Body).where(Body.config_id == "board")).one()
        starts = sorted(m.starts_at for m in board.meetings)
        # bodies.yaml: the Board meets at 14:00 on 8 June (BST) and 30 November 2010 (GMT).
        assert [s.isoformat() for s in starts] == [
            "2010-06-08T13:00:00+00:00",
            "2010-11-30T14:00:00+00:00",
        ]
        senior = session.scalars(
            select(Contact).join(Partner).where(Partner.config_id == "police", Contact.is_senior)
        ).one()
        assert senior.email == cfg.partners["police"].senior_contact.email


def test_applying_the_same_config_twice_changes_nothing_and_audits_nothing(
    applied: Database, config_dir: Path
) -> None:
    with applied.sessions() as session:
        before = row_counts(session)

    report = apply(applied, config_dir, REMOVED_ON)

    assert not report.changed
    assert (report.created, report.updated, report.retired, report.restored) == (0, 0, 0, 0)
    assert report.unchanged == before["audit_log"]  # one audit row per row first created
    with applied.sessions() as session:
        assert row_counts(session) == before


def test_every_change_is_one_audit_row_naming_the_actor(
    database: Database, config_dir: Path
) -> None:
    report = apply(database, config_dir, APPLIED_ON)

    with database.sessions() as session:
        rows = session.scalars(select(AuditLog)).all()
    assert len(rows) == len(report.changes)
    assert {r.actor for r in rows} == {"officer@test"}
    assert {r.action for r in rows} == {"create"}
    assert {r.at for r in rows} == {APPLIED_ON}
    police = next(r for r in rows if r.entity == "partner" and r.detail["key"] == "police")
    assert police.detail["fields"]["category"] == [None, "police"]


def test_a_partner_removed_from_the_yaml_is_retired_with_its_contacts_and_history_kept(
    applied: Database, config_dir: Path
) -> None:
    with applied.sessions.begin() as session:
        var = partner(session, "var")
        process = session.scalars(select(Process)).first()
        assert process is not None
        request = ContributionRequest(
            process=process,
            partner=var,
            return_id="representation",
            deadline_at=APPLIED_ON.add(weeks=6),
            cutoff_at=APPLIED_ON.add(weeks=7),
            opened_at=APPLIED_ON,
        )
        session.add(request)
        session.add(
            ReturnVersion(
                request=request,
                version=1,
                received_at=APPLIED_ON.add(days=3),
                channel="portal",
                sha256="0" * 64,
                payload={"representative": "Fiona Reed"},
                recorded_by="fiona.reed@var.example.org.uk",
            )
        )
    remove_partner(config_dir, "var")

    report = apply(applied, config_dir, REMOVED_ON)

    retired = {(c.entity, c.key) for c in report.changes if c.action == "retire"}
    assert ("partner", "var") in retired
    assert ("membership", "board/var/fiona.reed@var.example.org.uk") in retired
    assert {c.action for c in report.changes} == {"retire"}
    with applied.sessions() as session:
        var = partner(session, "var")
        assert var.retired_at == REMOVED_ON
        assert var.contacts and all(c.retired_at == REMOVED_ON for c in var.contacts)
        seat = session.scalars(select(Membership).where(Membership.partner_id == var.id)).one()
        assert seat.retired_at == REMOVED_ON
        versions = session.scalars(select(ReturnVersion)).all()
        assert [v.payload for v in versions] == [{"representative": "Fiona Reed"}]
        assert partner(session, "police").retired_at is None
        audited = session.scalars(
            select(AuditLog).where(AuditLog.entity == "partner", AuditLog.action == "retire")
        ).one()
        assert audited.entity_id == str(var.id) and audited.actor == "officer@test"
    assert not apply(applied, config_dir, REMOVED_ON.add(days=1)).changed


def test_a_partner_put_back_in_the_yaml_is_restored_with_the_same_rows(
    applied: Database, config_dir: Path, tmp_path: Path
) -> None:
    original = Path(shutil.copytree(config_dir, tmp_path / "original"))
    with applied.sessions() as session:
        var = partner(session, "var")
        ids = (var.id, sorted(c.id for c in var.contacts))
    remove_partner(config_dir, "var")
    apply(applied, config_dir, REMOVED_ON)

    report = apply(applied, original, RESTORED_ON)

    assert report.restored == len(report.changes) > 0
    with applied.sessions() as session:
        var = partner(session, "var")
        assert (var.id, sorted(c.id for c in var.contacts)) == ids
        assert var.retired_at is None
        assert all(c.retired_at is None for c in var.contacts)
        seat = session.scalars(select(Membership).where(Membership.partner_id == var.id)).one()
        assert seat.retired_at is None


def test_a_changed_contact_role_is_updated_in_place_and_audited_with_old_and_new(
    applied: Database, config_dir: Path
) -> None:
    def promote(data: Any) -> None:
        data["partners"]["police"]["contacts"][0]["role"] = "Chief Inspector, Rutland"

    edit_yaml(config_dir / "partners.yaml", promote)

    report = apply(applied, config_dir, REMOVED_ON)

    [change] = report.changes
    assert (change.entity, change.action) == ("contact", "update")
    assert change.fields == {
        "role": ["Neighbourhood Inspector, Rutland", "Chief Inspector, Rutland"]
    }


def test_a_meeting_dropped_from_the_yaml_is_cancelled_and_a_retimed_one_keeps_its_row(
    applied: Database, config_dir: Path
) -> None:
    def reschedule(data: Any) -> None:
        meetings = data["bodies"]["executive"]["meetings"]
        meetings["cancelled"] = ["2010-09-13"]
        data["bodies"]["board"]["meetings"]["time"] = "16:00"

    with applied.sessions() as session:
        board_ids = {
            m.id
            for m in session.scalars(select(Meeting).join(Body).where(Body.config_id == "board"))
        }
    edit_yaml(config_dir / "bodies.yaml", reschedule)

    report = apply(applied, config_dir, REMOVED_ON)

    assert report.retired == 1 and report.updated == 2 and report.created == 0
    with applied.sessions() as session:
        sept = session.scalars(
            select(Meeting).where(
                Meeting.starts_at == pendulum.datetime(2010, 9, 13, 10, tz="Europe/London")
            )
        ).one()
        assert sept.cancelled
        board = session.scalars(select(Meeting).join(Body).where(Body.config_id == "board")).all()
        assert {m.id for m in board} == board_ids
        assert {m.starts_at.in_timezone("Europe/London").hour for m in board} == {16}
