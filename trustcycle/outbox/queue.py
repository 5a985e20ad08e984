"""Queueing: every message is rendered and committed, idempotently, before it is sent."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from trustcycle.calendar import clock
from trustcycle.db.models import OutboxMessage, OutboxStatus, message_id_for
from trustcycle.mail.message import Attachment, check_addresses, check_header
from trustcycle.outbox.rows import T


@dataclass(frozen=True, slots=True)
class NewEmail:
    """A message to queue: what `enqueue` and `enqueue_many` store."""

    idem_key: str
    kind: str
    to: Sequence[str]
    subject: str
    text: str
    html: str | None
    date_header: datetime
    cc: Sequence[str] = ()
    attachments: Sequence[Attachment | Mapping[str, str]] = ()
    contribution_request_id: int | None = None

    def validated_row(self, created_at: datetime) -> dict[str, Any]:
        """The row to insert, after every header is checked (nothing stored on error)."""
        if not self.idem_key or len(self.idem_key) > 300:
            raise ValueError(f"idem_key must be 1-300 characters: {self.idem_key!r}")
        if not self.to:
            raise ValueError(f"message {self.idem_key!r} has no recipient")
        check_header("Subject", self.subject)
        if not self.subject.strip() or len(self.subject) > 998:  # RFC 5322 s2.1.1
            raise ValueError(f"subject must be 1-998 characters: {self.subject!r}")
        check_header("kind", self.kind)
        if self.date_header.tzinfo is None:
            raise ValueError("date_header must be an aware datetime")
        attachments = [
            a.as_dict() if isinstance(a, Attachment) else dict(a) for a in self.attachments
        ]
        for item in attachments:
            check_header("filename", item["filename"])
            check_header("content type", item["content_type"])
        return {
            "idem_key": self.idem_key,
            "message_id": message_id_for(self.idem_key),
            "kind": self.kind,
            "to_addrs": check_addresses(self.to),
            "cc_addrs": check_addresses(self.cc),
            "subject": self.subject,
            "body_text": self.text,
            "body_html": self.html,
            "attachments": attachments,
            "date_header": self.date_header,
            "status": OutboxStatus.pending.value,
            "attempts": 0,
            "contribution_request_id": self.contribution_request_id,
            "created_at": created_at,
        }


def enqueue(
    session: Session,
    *,
    idem_key: str,
    kind: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    subject: str,
    text: str,
    html: str | None,
    attachments: Sequence[Attachment | Mapping[str, str]] = (),
    date_header: datetime,
    contribution_request_id: int | None = None,
) -> OutboxMessage:
    """Queue one message in the caller's transaction; the same `idem_key` returns the
    existing row, never a second message."""
    row = NewEmail(
        idem_key,
        kind,
        to,
        subject,
        text,
        html,
        date_header,
        cc,
        attachments,
        contribution_request_id,
    ).validated_row(clock.now())
    # One round trip in the common case: INSERT ... ON CONFLICT DO NOTHING RETURNING. A
    # conflict (queued before, or by a parallel run) returns nothing: read the first row.
    message = session.scalar(
        dialect_insert(session)(OutboxMessage)
        .on_conflict_do_nothing(index_elements=["idem_key"])
        .returning(OutboxMessage),
        [row],
    )
    if message is None:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.idem_key == idem_key))
        assert message is not None, "ON CONFLICT without a conflicting row"
    return message


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The INSERT with ON CONFLICT of the session's database (PostgreSQL or SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def enqueue_many(session: Session, emails: Iterable[NewEmail]) -> dict[str, int]:
    """Queue many messages in one statement per 500; returns outbox id by `idem_key`.

    Keys already queued keep their first row (`INSERT ... ON CONFLICT DO NOTHING`)."""
    now = clock.now()
    rows = [e.validated_row(now) for e in emails]
    insert = dialect_insert(session)
    ids: dict[str, int] = {}
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        session.execute(insert(T).on_conflict_do_nothing(index_elements=["idem_key"]), chunk)
        keys = [r["idem_key"] for r in chunk]
        found = session.execute(select(T.c.idem_key, T.c.id).where(T.c.idem_key.in_(keys)))
        # Trap: a Result has .keys(), so dict.update() would read it as a mapping.
        ids.update((key, id_) for key, id_ in found)
    return ids
