"""`trustcycle config apply`: make the database say what the YAML says, and no more.

Idempotent: applying the same configuration twice changes nothing the second time and
writes no audit rows. Nothing the YAML drops is deleted, because returns, reminders and
attendance point at it: partners, contacts, memberships, bodies and processes are retired
(`retired_at`), meetings are cancelled; putting them back in the YAML restores them.
Every change is one `audit_log` row (actor, action, entity, the fields before and after).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal, TypeVar

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcycle import TIMEZONE
from trustcycle.calendar import clock
from trustcycle.calendar.meetings import body_meetings
from trustcycle.config import TrustConfig, schema
from trustcycle.db.models import (
    AuditLog,
    Base,
    Body,
    Contact,
    CycleYear,
    Meeting,
    Membership,
    Partner,
    Process,
    Retirable,
    Trust,
)

# Meetings are loaded from the cycle's start to this many months after its end, as
# `TrustConfig.meetings` does, so a process received early next cycle finds its meeting.
MEETING_MARGIN_MONTHS = 6

Action = Literal["create", "update", "retire", "restore"]
Row = TypeVar("Row", bound=Base)


@dataclass(frozen=True)
class Change:
    entity: str
    key: str
    action: Action
    fields: dict[str, list[Any]]


@dataclass
class ApplyReport:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def _count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def created(self) -> int:
        return self._count("create")

    @property
    def updated(self) -> int:
        return self._count("update")

    @property
    def retired(self) -> int:
        return self._count("retire")

    @property
    def restored(self) -> int:
        return self._count("restore")

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def by_entity(self) -> dict[str, dict[str, int]]:
        """E.g. {"partner": {"retire": 1}, "contact": {"retire": 2}}, for the CLI's table."""
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            counts = out.setdefault(c.entity, {})
            counts[c.action] = counts.get(c.action, 0) + 1
        return out

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.retired} retired, "
            f"{self.restored} restored, {self.unchanged} unchanged"
        )

    def __str__(self) -> str:
        lines = [self.summary()]
        for entity, counts in sorted(self.by_entity().items()):
            lines.append(f"  {entity}: " + ", ".join(f"{n} {a}" for a, n in sorted(counts.items())))
        return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass
class _Applier:
    session: Session
    actor: str
    at: datetime
    report: ApplyReport = field(default_factory=ApplyReport)

    def record(
        self,
        entity: str,
        key: str,
        row: Base | Retirable,
        action: Action,
        diff: dict[str, tuple[Any, Any]],
    ) -> None:
        self.session.flush()  # a created row needs its id for the audit entry
        fields = {k: [_jsonable(old), _jsonable(new)] for k, (old, new) in diff.items()}
        self.report.changes.append(Change(entity, key, action, fields))
        self.session.add(
            AuditLog(
                at=self.at,
                actor=self.actor,
                action=action,
                entity=entity,
                entity_id=str(row.id),  # type: ignore[attr-defined]
                detail={"key": key, "fields": fields, "source": "config apply"},
            )
        )

    def upsert(
        self, entity: str, key: str, row: Row | None, make: type[Row], values: dict[str, Any]
    ) -> Row:
        """Create `row`, or bring its columns to `values`, restoring it if retired."""
        if row is None:
            row = make(**values)
            self.session.add(row)
            self.record(entity, key, row, "create", {k: (None, v) for k, v in values.items()})
            return row
        was_retired = _retired(row)
        diff = {k: (getattr(row, k), v) for k, v in values.items() if getattr(row, k) != v}
        for k, (_, v) in diff.items():
            setattr(row, k, v)
        if isinstance(row, Retirable) and row.retired_at is not None:
            diff["retired_at"] = (row.retired_at, None)
            row.retired_at = None
        if was_retired:
            self.record(entity, key, row, "restore", diff)
        elif diff:
            self.record(entity, key, row, "update", diff)
        else:
            self.report.unchanged += 1
        return row

    def retire_missing(
        self, entity: str, rows: Iterable[tuple[str, Retirable]], keep: set[str]
    ) -> None:
        """Retire every active row whose key the YAML no longer has."""
        for key, row in rows:
            if key not in keep and row.retired_at is None:
                row.retired_at = self.at
                self.record(entity, key, row, "retire", {"retired_at": (None, self.at)})


def apply_config(session: Session, cfg: TrustConfig, *, actor: str) -> ApplyReport:
    """Load `cfg` into the database in the caller's transaction; report what changed."""
    run = _Applier(session=session, actor=actor, at=clock.now())
    trust = _apply_trust(run, cfg.trust)
    cycle = _apply_cycle_year(run, trust, cfg)
    partners = _apply_partners(run, trust, cfg.partners)
    bodies = _apply_bodies(run, trust, cfg.bodies)
    _apply_memberships(run, trust, cfg.bodies, bodies, partners)
    _apply_meetings(run, cfg, bodies)
    _apply_processes(run, cycle, cfg.processes)
    session.flush()
    return run.report


def _apply_trust(run: _Applier, t: schema.Trust) -> Trust:
    row = run.session.scalars(select(Trust).where(Trust.config_id == t.id)).one_or_none()
    values = {
        "config_id": t.id,
        "name": t.name,
        "local_authority": t.local_authority,
        "timezone": t.timezone,
        "manager_name": t.manager.name,
        "manager_email": t.manager.email,
        "officer_name": t.officer.name,
        "officer_email": t.officer.email,
        "portal_url": t.portal_url,
    }
    return run.upsert("trust", t.id, row, Trust, values)


def _apply_cycle_year(run: _Applier, trust: Trust, cfg: TrustConfig) -> CycleYear:
    year = cfg.trust.cycle_year
    starts_on, _ = cfg.cycle_bounds()
    row = run.session.scalars(
        select(CycleYear).where(CycleYear.trust_id == trust.id, CycleYear.year == year)
    ).one_or_none()
    values = {"trust_id": trust.id, "year": year, "starts_on": _plain_date(starts_on)}
    return run.upsert("cycle_year", f"{cfg.trust.id}/{year}", row, CycleYear, values)


def _apply_partners(
    run: _Applier, trust: Trust, partners: dict[str, schema.Partner]
) -> dict[str, Partner]:
    existing = {
        p.config_id: p
        for p in run.session.scalars(select(Partner).where(Partner.trust_id == trust.id))
    }
    rows: dict[str, Partner] = {}
    for pid, p in partners.items():
        values = {
            "trust_id": trust.id,
            "config_id": pid,
            "name": p.name,
            "category": p.category.value,
            "legal_basis": p.legal_basis.value,
        }
        rows[pid] = run.upsert("partner", pid, existing.get(pid), Partner, values)
        _apply_contacts(run, pid, rows[pid], p)
    run.retire_missing("partner", existing.items(), set(partners))
    for pid, row in existing.items():
        if pid not in partners:
            _apply_contacts(run, pid, row, None)
    return rows


def _apply_contacts(run: _Applier, pid: str, partner: Partner, p: schema.Partner | None) -> None:
    """A partner's contacts; the senior contact is flagged (and added if not listed).
    A retired partner (`p` None) keeps no active contact."""
    wanted: dict[str, dict[str, Any]] = {}
    if p is not None:
        for person in p.contacts:
            wanted[person.email] = {"name": person.name, "role": person.role, "is_senior": False}
        senior = p.senior_contact
        wanted.setdefault(senior.email, {"name": senior.name, "role": senior.role})
        wanted[senior.email]["is_senior"] = True
    existing = {
        c.email: c
        for c in run.session.scalars(select(Contact).where(Contact.partner_id == partner.id))
    }
    for email, values in wanted.items():
        values |= {"partner_id": partner.id, "email": email}
        run.upsert("contact", f"{pid}/{email}", existing.get(email), Contact, values)
    run.retire_missing(
        "contact", ((f"{pid}/{e}", c) for e, c in existing.items()), {f"{pid}/{e}" for e in wanted}
    )


def _apply_bodies(run: _Applier, trust: Trust, bodies: dict[str, schema.Body]) -> dict[str, Body]:
    existing = {
        b.config_id: b for b in run.session.scalars(select(Body).where(Body.trust_id == trust.id))
    }
    rows: dict[str, Body] = {}
    for bid, b in bodies.items():
        values = {
            "trust_id": trust.id,
            "config_id": bid,
            "name": b.name,
            "kind": b.kind.value,
            "clerk_name": b.clerk.name if b.clerk else None,
            "clerk_email": b.clerk.email if b.clerk else None,
        }
        rows[bid] = run.upsert("body", bid, existing.get(bid), Body, values)
    run.retire_missing("body", existing.items(), set(bodies))
    return rows


def _apply_memberships(
    run: _Applier,
    trust: Trust,
    bodies: dict[str, schema.Body],
    body_rows: dict[str, Body],
    partner_rows: dict[str, Partner],
) -> None:
    """Seats keyed by (body, partner, person email): a new term updates the seat in place;
    a seat dropped from the YAML, or on a body dropped from it, is retired."""
    query = (
        select(Membership, Body.config_id, Partner.config_id)
        .join(Body, Membership.body_id == Body.id)
        .join(Partner, Membership.partner_id == Partner.id)
        .where(Body.trust_id == trust.id)
    )
    existing = {f"{bid}/{pid}/{m.person_email}": m for m, bid, pid in run.session.execute(query)}
    wanted: set[str] = set()
    for bid, b in bodies.items():
        for member in b.members:
            key = f"{bid}/{member.partner}/{member.person.email}"
            wanted.add(key)
            values = {
                "body_id": body_rows[bid].id,
                "partner_id": partner_rows[member.partner].id,
                "person_name": member.person.name,
                "person_email": member.person.email,
                "role": member.role,
                "deputy_name": member.deputy.name if member.deputy else None,
                "deputy_email": member.deputy.email if member.deputy else None,
                "term_start": _plain_date(member.term_start),
                "term_end": _plain_date(member.term_end) if member.term_end else None,
            }
            run.upsert("membership", key, existing.get(key), Membership, values)
    run.retire_missing("membership", existing.items(), wanted)


def _apply_meetings(run: _Applier, cfg: TrustConfig, body_rows: dict[str, Body]) -> None:
    """The configured bodies' meetings in the cycle window. A meeting dropped from the
    YAML (or listed as cancelled) is cancelled, never deleted; one whose time changed on
    the same day is moved, keeping its id and so the attendance recorded against it."""
    start, end = cfg.cycle_bounds()
    lo = _local_midnight(start)
    hi = _local_midnight(end.add(months=MEETING_MARGIN_MONTHS).add(days=1))
    for bid in cfg.bodies:
        body_id = body_rows[bid].id
        wanted = body_meetings(cfg, bid, margin_months=MEETING_MARGIN_MONTHS)
        query = select(Meeting).where(
            Meeting.body_id == body_id, Meeting.starts_at >= lo, Meeting.starts_at < hi
        )
        rows = list(run.session.scalars(query.order_by(Meeting.starts_at)))
        by_instant = {_utc(row.starts_at): row for row in rows}
        spare = [row for row in rows if _utc(row.starts_at) not in {_utc(w) for w in wanted}]
        for when in wanted:
            row = by_instant.get(_utc(when))
            if row is None:
                row = next((r for r in spare if _local_day(r.starts_at) == _local_day(when)), None)
                if row is not None:
                    spare.remove(row)
            values = {"body_id": body_id, "starts_at": when, "cancelled": False}
            run.upsert("meeting", _meeting_key(bid, when), row, Meeting, values)
        for row in spare:
            if not row.cancelled:
                row.cancelled = True
                key = _meeting_key(bid, row.starts_at)
                run.record("meeting", key, row, "retire", {"cancelled": (False, True)})


def _apply_processes(run: _Applier, cycle: CycleYear, processes: dict[str, schema.Process]) -> None:
    existing = {
        p.config_id: p
        for p in run.session.scalars(select(Process).where(Process.cycle_year_id == cycle.id))
    }
    for pid, p in processes.items():
        values = {
            "cycle_year_id": cycle.id,
            "config_id": pid,
            "kind": p.kind.value,
            "title": p.title,
            "legal_basis": p.legal_basis,
            "enabled": p.enabled,
        }
        run.upsert("process", f"{cycle.year}/{pid}", existing.get(pid), Process, values)
    keyed = ((f"{cycle.year}/{k}", row) for k, row in existing.items())
    run.retire_missing("process", keyed, {f"{cycle.year}/{k}" for k in processes})


# --- small conversions ------------------------------------------------------------------


def _retired(row: Base) -> bool:
    if isinstance(row, Meeting):
        return row.cancelled
    return isinstance(row, Retirable) and row.retired


def _plain_date(day: date) -> date:
    # pendulum.Date compares equal to date, but keep what goes into the audit JSON plain.
    return date(day.year, day.month, day.day)


def _utc(when: datetime) -> pendulum.DateTime:
    return pendulum.instance(when).in_timezone("UTC")


def _local_day(when: datetime) -> date:
    return _plain_date(pendulum.instance(when).in_timezone(TIMEZONE).date())


def _local_midnight(day: date) -> pendulum.DateTime:
    return pendulum.datetime(day.year, day.month, day.day, tz=TIMEZONE)


def _meeting_key(body_id: str, when: datetime) -> str:
    return f"{body_id}/{pendulum.instance(when).in_timezone(TIMEZONE).isoformat()}"
