"""Recording who came to a body's meeting: one at a time, or a CSV of many.

Statuses: present, apologies, deputy (the member sent their deputy), absent. Recording
again for the same person and meeting replaces the status (audited); a person who holds no
seat on the body is kept as a guest (no membership). A CSV is all or nothing: every row is
checked first, and an error names the row and the column.

A meeting before the cycle year (last year's, for the membership review's 12 months of
attendance) is not in the database until attendance is recorded for it: if the body's
configured rules or dates put a meeting on that day, the meeting is recorded then.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcycle import TIMEZONE
from trustcycle.calendar import clock
from trustcycle.calendar.meetings import body_meetings
from trustcycle.config.loader import TrustConfig
from trustcycle.db.apply import apply_config
from trustcycle.db.models import (
    Attendance,
    AttendanceStatus,
    AuditLog,
    Body,
    Meeting,
    Membership,
    Trust,
)

COLUMNS = ("body", "date", "person", "status")


class AttendanceError(ValueError):
    """Attendance that cannot be recorded as given."""


@dataclass(frozen=True)
class Recorded:
    body: str
    on: date
    person: str
    status: str
    changed: bool


def _meeting(session: Session, cfg: TrustConfig, body: str, on: date) -> tuple[Body, Meeting]:
    row = session.scalars(select(Body).join(Trust).where(
        Trust.config_id == cfg.trust.id, Body.config_id == body)).one_or_none()
    if row is None:
        raise AttendanceError(f"unknown body {body!r} (apply the config first?)")
    lo = pendulum.datetime(on.year, on.month, on.day, tz=TIMEZONE)
    meeting = session.scalars(select(Meeting).where(
        Meeting.body_id == row.id, Meeting.starts_at >= lo, Meeting.starts_at < lo.add(days=1),
        Meeting.cancelled.is_(False))).first()
    if meeting is None:
        meeting = _configured_meeting(session, cfg, body, row, on)
    return row, meeting


def _configured_meeting(session: Session, cfg: TrustConfig, body: str, row: Body,
                        on: date) -> Meeting:
    """The meeting the configuration puts on `on` (e.g. last year's), recorded now."""
    day = pendulum.date(on.year, on.month, on.day)
    for year in (on.year - 1, on.year):
        found = [m for m in body_meetings(cfg, body, year, margin_months=0) if m.date() == day]
        if found:
            break
    else:
        raise AttendanceError(f"{row.name} has no meeting on {on.isoformat()} (none in "
                              "its configured dates or rules)")
    exists = session.scalars(select(Meeting).where(Meeting.body_id == row.id,
                                                   Meeting.starts_at == found[0])).first()
    if exists is not None:  # recorded, then cancelled: not a meeting to attend
        raise AttendanceError(f"{row.name}'s meeting on {on.isoformat()} was cancelled")
    meeting = Meeting(body_id=row.id, starts_at=found[0], cancelled=False)
    session.add(meeting)
    session.flush()
    session.add(AuditLog(at=clock.now(), actor="attendance", action="create", entity="meeting",
                         entity_id=str(meeting.id),
                         detail={"key": f"{body}@{found[0].isoformat()}",
                                 "source": "attendance for a meeting before the cycle"}))
    return meeting


def record_attendance(session: Session, cfg: TrustConfig, *, body: str, on: date,
                      person: str, status: str, now: datetime, actor: str) -> Recorded:
    """Record (or correct) one person's attendance at a body's meeting on `on`."""
    if status not in {s.value for s in AttendanceStatus}:
        raise AttendanceError(f"status {status!r} is not one of "
                              f"{', '.join(s.value for s in AttendanceStatus)}")
    email = person.strip().lower()
    if "@" not in email or "\n" in email:
        raise AttendanceError(f"{person!r} is not an email address")
    body_row, meeting = _meeting(session, cfg, body, on)
    seat = session.scalars(select(Membership).where(
        Membership.body_id == body_row.id, Membership.retired_at.is_(None),
        (Membership.person_email == email) | (Membership.deputy_email == email))).first()
    row = session.scalars(select(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.person_email == email)).one_or_none()
    before = row.status if row else None
    if row is None:
        row = Attendance(meeting_id=meeting.id, person_email=email, status=status,
                         membership_id=seat.id if seat else None, recorded_at=now)
        session.add(row)
    elif row.status != status:
        row.status, row.recorded_at = status, now
    if before != status:
        session.flush()
        session.add(AuditLog(at=now, actor=actor, action="attendance.recorded",
                             entity="attendance", entity_id=str(row.id),
                             detail={"body": body, "date": on.isoformat(), "person": email,
                                     "status": [before, status]}))
    return Recorded(body, on, email, status, before != status)


def parse_csv(text: str) -> list[tuple[str, date, str, str]]:
    """Rows of (body, date, person, status); an error names the row and column."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise AttendanceError(f"header: missing column(s) {', '.join(missing)}")
    rows = []
    for n, raw in enumerate(reader, start=2):
        values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        for column, value in values.items():
            if not value:
                raise AttendanceError(f"row {n}, column {column}: empty")
        try:
            on = date.fromisoformat(values["date"])
        except ValueError:
            raise AttendanceError(f"row {n}, column date: {values['date']!r} is not "
                                  "YYYY-MM-DD") from None
        if values["status"] not in {s.value for s in AttendanceStatus}:
            raise AttendanceError(f"row {n}, column status: {values['status']!r} is not one "
                                  f"of {', '.join(s.value for s in AttendanceStatus)}")
        rows.append((values["body"], on, values["person"], values["status"]))
    return rows


def import_csv(session: Session, cfg: TrustConfig, text: str, *, now: datetime,
               actor: str) -> list[Recorded]:
    """Record every row of an attendance CSV in the caller's transaction."""
    out = []
    for n, (body, on, person, status) in enumerate(parse_csv(text), start=2):
        try:
            out.append(record_attendance(session, cfg, body=body, on=on, person=person,
                                         status=status, now=now, actor=actor))
        except AttendanceError as exc:
            raise AttendanceError(f"row {n}: {exc}") from None
    return out


def import_scenario_attendance(session: Session, cfg: TrustConfig, *, now: datetime
                               ) -> list[Recorded]:
    """The simulated year's past attendance (`scenario.yaml: attendance`), if it names one,
    after applying the configuration (idempotent) so that its bodies exist."""

    name = cfg.scenario.attendance
    if not name:
        return []
    apply_config(session, cfg, actor="simulated clerk")
    path = cfg.directory / name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AttendanceError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return import_csv(session, cfg, text, now=now, actor="simulated clerk")
    except AttendanceError as exc:
        raise AttendanceError(f"{path.name}: {exc}") from None
