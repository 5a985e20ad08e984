"""Seats belong to a body: one person holding a seat on one body for each of two partners
is two Membership rows of that body, applied idempotently (SQLite and PostgreSQL); the
contacts of two partners sharing one person are each partner's own rows."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from sqlalchemy import select

from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import Body, Contact, Membership, Partner
from trustcycle.trust import load_config

RUTLAND_DAY = date(2010, 4, 6)
RUTLAND = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"
SHAH = ("{person: {name: Priya Shah, email: priya.shah@yos.example.gov.uk}, partner: yot, "
        "role: Member, term_start: 2009-07-01}")
SHAH_CONTACT = "{name: Priya Shah, role: Team Manager, email: priya.shah@yos.example.gov.uk}"
FOWLER = ("{name: Alan Fowler, role: Senior Probation Officer, "
          "email: alan.fowler@probation.example.org.uk}")


def _config(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(RUTLAND, directory)
    bodies = (directory / "bodies.yaml").read_text()
    second = SHAH.replace("partner: yot", "partner: probation")
    (directory / "bodies.yaml").write_text(bodies.replace(SHAH, f"{SHAH}\n      - {second}"))
    partners = (directory / "partners.yaml").read_text()
    (directory / "partners.yaml").write_text(partners.replace(FOWLER, SHAH_CONTACT))
    return directory


def test_one_person_in_two_seats_of_one_body_is_two_memberships_applied_once(
    tmp_path: Path, db_url: str
) -> None:
    cfg = load_config(_config(tmp_path))
    db = Database.from_url(db_url)
    with use_clock(FixedClock.on(RUTLAND_DAY)):
        with db.sessions.begin() as session:
            apply_config(session, cfg, actor="test")
        with db.sessions.begin() as session:
            again = apply_config(session, cfg, actor="test")
    assert not again.changed
    with db.sessions() as session:
        seats = session.execute(
            select(Partner.config_id, Membership.person_email)
            .join(Partner, Membership.partner_id == Partner.id)
            .join(Body, Membership.body_id == Body.id)
            .where(Body.config_id == "executive", Membership.person_name == "Priya Shah")
            .order_by(Partner.config_id)).all()
        contacts = session.execute(
            select(Partner.config_id, Contact.email)
            .join(Partner, Contact.partner_id == Partner.id)
            .where(Contact.email == "priya.shah@yos.example.gov.uk", Contact.is_senior.is_(False))
            .order_by(Partner.config_id)).all()
    assert [tuple(s) for s in seats] == [("probation", "priya.shah@yos.example.gov.uk"),
                                         ("yot", "priya.shah@yos.example.gov.uk")]
    assert [c[0] for c in contacts] == ["probation", "yot"]
    db.dispose()

