"""The trust's records: who the partners are, what was asked of them, what came back, what
was sent.

SQLAlchemy 2.0 typed mappings, no Prefect. Two rules hold everywhere:
- nothing is deleted that history depends on: partners, contacts, memberships, bodies and
  processes removed from the configuration get `retired_at`; meetings get `cancelled`;
- no timestamp is invented here: every instant is passed in by the caller, who reads it
  from `trustcycle.calendar.clock` (the one time seam).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import pendulum
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Explicit constraint names: identical on SQLite and PostgreSQL, and nameable by later
# migrations (SQLite batch mode cannot drop an unnamed constraint).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware instant, stored in UTC and read back as an aware `pendulum.DateTime` (UTC).

    Trap: SQLite has no time zone type and hands back naive values, PostgreSQL hands back
    the session's zone. Both are normalised here; a naive value is refused, not guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware instant (see clock)")
        u = value.astimezone(UTC)
        plain = datetime(u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, UTC)
        return plain.replace(tzinfo=None) if dialect.name == "sqlite" else plain

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return pendulum.instance(value).in_timezone("UTC")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), date: Date(), dict[str, Any]: JSON()}


def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


def new_token() -> str:
    """A portal token: unguessable, URL-safe, 32 characters."""
    return secrets.token_urlsafe(24)


def message_id_for(idem_key: str, domain: str = "trustcycle.local") -> str:
    """The RFC 5322 Message-ID of an outbox message: a pure function of its idempotency key,
    so a message retried after a crash keeps its id and mail clients thread it once."""
    digest = hashlib.sha256(idem_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


# --- vocabularies ---------------------------------------------------------------------


class RequestStatus(StrEnum):
    open = "open"
    received = "received"
    waived = "waived"
    missing = "missing"


class AttendanceStatus(StrEnum):
    present = "present"
    apologies = "apologies"
    deputy = "deputy"
    absent = "absent"


class Channel(StrEnum):
    cli = "cli"
    portal = "portal"
    inbox = "inbox"
    ui = "ui"
    simulated = "simulated"


class StepStatus(StrEnum):
    pending = "pending"
    done = "done"
    skipped = "skipped"


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"  # will be retried at next_attempt_at
    dead = "dead"  # retries exhausted; needs a person
    dry_run = "dry_run"


class DraftStatus(StrEnum):
    draft = "draft"
    approved = "approved"
    superseded = "superseded"


class Retirable:
    """A row the YAML can drop: kept for history with `retired_at` set, never deleted."""

    retired_at: Mapped[datetime | None]

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


# --- the partnership --------------------------------------------------------------------


class Trust(Base):
    __tablename__ = "trust"

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    local_authority: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    manager_name: Mapped[str] = mapped_column(String(200))
    manager_email: Mapped[str] = mapped_column(String(320))
    officer_name: Mapped[str] = mapped_column(String(200))
    officer_email: Mapped[str] = mapped_column(String(320))
    portal_url: Mapped[str | None] = mapped_column(String(500))

    partners: Mapped[list[Partner]] = relationship(back_populates="trust")
    bodies: Mapped[list[Body]] = relationship(back_populates="trust")
    cycle_years: Mapped[list[CycleYear]] = relationship(back_populates="trust")


class Partner(Retirable, Base):
    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("trust_id", "config_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trust.id"))
    config_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    legal_basis: Mapped[str] = mapped_column(String(64))

    trust: Mapped[Trust] = relationship(back_populates="partners")
    contacts: Mapped[list[Contact]] = relationship(back_populates="partner")


class Contact(Retirable, Base):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("partner_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    is_senior: Mapped[bool] = mapped_column(Boolean, default=False)

    partner: Mapped[Partner] = relationship(back_populates="contacts")


class Body(Retirable, Base):
    __tablename__ = "body"
    __table_args__ = (UniqueConstraint("trust_id", "config_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trust.id"))
    config_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    clerk_name: Mapped[str | None] = mapped_column(String(200))
    clerk_email: Mapped[str | None] = mapped_column(String(320))

    trust: Mapped[Trust] = relationship(back_populates="bodies")
    memberships: Mapped[list[Membership]] = relationship(back_populates="body")
    meetings: Mapped[list[Meeting]] = relationship(back_populates="body")


class Membership(Retirable, Base):
    """A seat on a body: one person representing one partner (one person may hold several)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("body_id", "partner_id", "person_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    person_name: Mapped[str] = mapped_column(String(200))
    person_email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(200))
    deputy_name: Mapped[str | None] = mapped_column(String(200))
    deputy_email: Mapped[str | None] = mapped_column(String(320))
    term_start: Mapped[date]
    term_end: Mapped[date | None]

    body: Mapped[Body] = relationship(back_populates="memberships")
    partner: Mapped[Partner] = relationship()


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("body_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"))
    starts_at: Mapped[datetime]
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    body: Mapped[Body] = relationship(back_populates="meetings")
    attendance: Mapped[list[Attendance]] = relationship(back_populates="meeting")


class Attendance(Base):
    """Who came to a meeting. `membership_id` is empty for a guest; the email is always kept."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_email"),
        _one_of("status", AttendanceStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"))
    person_email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime]

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    membership: Mapped[Membership | None] = relationship()


# --- the cycle ----------------------------------------------------------------------


class CycleYear(Base):
    __tablename__ = "cycle_year"
    __table_args__ = (UniqueConstraint("trust_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trust.id"))
    year: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date]

    trust: Mapped[Trust] = relationship(back_populates="cycle_years")
    processes: Mapped[list[Process]] = relationship(back_populates="cycle_year")


class Process(Retirable, Base):
    __tablename__ = "process"
    __table_args__ = (UniqueConstraint("cycle_year_id", "config_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_year_id: Mapped[int] = mapped_column(ForeignKey("cycle_year.id"))
    config_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(String(300))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    cycle_year: Mapped[CycleYear] = relationship(back_populates="processes")
    steps: Mapped[list[Step]] = relationship(back_populates="process")
    requests: Mapped[list[ContributionRequest]] = relationship(back_populates="process")
    drafts: Mapped[list[Draft]] = relationship(back_populates="process")


class Step(Base):
    """A dated step of a process: request, deadline, cutoff, papers, meeting..."""

    __tablename__ = "step"
    __table_args__ = (UniqueConstraint("process_id", "name"), _one_of("status", StepStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id"))
    name: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=StepStatus.pending.value)

    process: Mapped[Process] = relationship(back_populates="steps")


class ContributionRequest(Base):
    """One return owed by one partner to one process. The token opens it in the portal."""

    __tablename__ = "contribution_request"
    __table_args__ = (
        UniqueConstraint("process_id", "partner_id", "return_id"),
        _one_of("status", RequestStatus),
        Index(None, "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    return_id: Mapped[str] = mapped_column(String(64))
    deadline_at: Mapped[datetime]
    cutoff_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.open.value)
    waived_reason: Mapped[str | None] = mapped_column(Text)
    token: Mapped[str] = mapped_column(String(64), unique=True)

    process: Mapped[Process] = relationship(back_populates="requests")
    partner: Mapped[Partner] = relationship()
    reminders: Mapped[list[Reminder]] = relationship(back_populates="request")
    versions: Mapped[list[ReturnVersion]] = relationship(
        back_populates="request", order_by="ReturnVersion.version"
    )

    def __init__(self, **kw: Any) -> None:
        # Set at construction, not at flush, so a link can be rendered before the insert.
        kw.setdefault("token", new_token())
        kw.setdefault("status", RequestStatus.open.value)
        super().__init__(**kw)


class Reminder(Base):
    """A rung of the ladder sent for a request. The unique key is the guarantee that a
    rung is never sent twice, whatever retries or parallel runs do."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("contribution_request_id", "rung"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_request_id: Mapped[int] = mapped_column(ForeignKey("contribution_request.id"))
    rung: Mapped[str] = mapped_column(String(64))
    sent_on: Mapped[date]
    outbox_message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"))

    request: Mapped[ContributionRequest] = relationship(back_populates="reminders")
    outbox_message: Mapped[OutboxMessage] = relationship()


class ReturnVersion(Base):
    """One received version of a partner's return; a resubmission is a new version."""

    __tablename__ = "return_version"
    __table_args__ = (
        UniqueConstraint("contribution_request_id", "version"),
        _one_of("channel", Channel),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_request_id: Mapped[int] = mapped_column(ForeignKey("contribution_request.id"))
    version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    file_path: Mapped[str | None] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    recorded_by: Mapped[str] = mapped_column(String(200))

    request: Mapped[ContributionRequest] = relationship(back_populates="versions")


# --- mail, papers, audit ------------------------------------------------------------------


class OutboxMessage(Base):
    """An email queued in the same transaction as the change that caused it.

    `idem_key` makes queueing idempotent; `message_id` is derived from it. Delivery claims
    a row by setting `claimed_by` (the claim's token) and `lease_until` (wall clock; status
    `sending`); an expired lease may be claimed again.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        _one_of("status", OutboxStatus),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idem_key: Mapped[str] = mapped_column(String(300), unique=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    to_addrs: Mapped[list[str]] = mapped_column(JSON)
    cc_addrs: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # [{"filename": ..., "content_type": ..., "data_b64": ...}]
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    # The Date header to send: the simulated day in a simulation, else the queueing time.
    date_header: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    # {recipient: reply} for each recipient served or refused for good, once they differ.
    recipient_results: Mapped[dict[str, str] | None] = mapped_column(JSON)
    contribution_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution_request.id")
    )
    created_at: Mapped[datetime]

    request: Mapped[ContributionRequest | None] = relationship()

    def __init__(self, **kw: Any) -> None:
        if "idem_key" in kw:
            kw.setdefault("message_id", message_id_for(kw["idem_key"]))
        kw.setdefault("cc_addrs", [])
        kw.setdefault("attachments", [])
        kw.setdefault("status", OutboxStatus.pending.value)
        kw.setdefault("attempts", 0)
        super().__init__(**kw)


class Draft(Base):
    """A rendered draft of a process's paper. `returns_sha256` fingerprints the returns it
    was built from, so a draft made stale by a later return can be told apart."""

    __tablename__ = "draft"
    __table_args__ = (
        UniqueConstraint("process_id", "version", "format"),
        _one_of("status", DraftStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id"))
    version: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    returns_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=DraftStatus.draft.value)

    process: Mapped[Process] = relationship(back_populates="drafts")


class Notification(Base):
    """Papers of a process sent to a body (for a meeting, when there is one)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"))
    outbox_message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"))
    sent_at: Mapped[datetime | None]

    process: Mapped[Process] = relationship()
    body: Mapped[Body] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    outbox_message: Mapped[OutboxMessage] = relationship()


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]
