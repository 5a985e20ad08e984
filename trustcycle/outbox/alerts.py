"""Telling the officer: undeliverable messages, refused recipients, a relay that refuses us.

An alert is itself an outbox message, queued in the transaction that records the failure.
It is built from bounded, sanitised parts (a subject cut to 150 characters, control
characters and line breaks turned into spaces), and building it can never stop delivery:
any error falls back to a fixed alert, and failing that is logged and skipped (the
message is still listed by `failures()`). Issue 10: a 990-character subject once made the
alert's own subject too long, raised inside the commit, and stopped every later tick.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from trustcycle.db.models import (
    ContributionRequest,
    CycleYear,
    OutboxMessage,
    OutboxStatus,
    Process,
    Trust,
)
from trustcycle.mail.message import OutgoingMessage
from trustcycle.mail.render import render_email
from trustcycle.outbox.queue import enqueue
from trustcycle.outbox.rows import T

ALERT_KIND = "outbox_failure"
RELAY_ALERT_KIND = "relay_failure"
_QUIET_KINDS = (ALERT_KIND, RELAY_ALERT_KIND)  # never alert about an alert: that could loop
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MAX_ADDRESSES = 20

log = logging.getLogger("trustcycle.outbox")


def one_line(value: object, limit: int) -> str:
    """`value` as one printable line of at most `limit` characters."""
    text = " ".join(_CONTROLS.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_alert_context(
    msg: OutgoingMessage, reply: str, recipients: Sequence[str] | None = None
) -> dict[str, Any]:
    """The context of the officer's alert about an undeliverable message (or the
    `recipients` of it that were refused), every part bounded and on one line."""
    addresses = list(recipients) if recipients is not None else [*msg.to, *msg.cc]
    shown = [one_line(a, 254) for a in addresses[:_MAX_ADDRESSES]]
    if len(addresses) > _MAX_ADDRESSES:
        shown.append(f"and {len(addresses) - _MAX_ADDRESSES} more")
    return {
        "failed_subject": one_line(msg.subject, 150),
        "failed_to": shown,
        "failed_kind": one_line(msg.kind, 64),
        "failed_message_id": one_line(msg.message_id, 300),
        "failed_reply": one_line(reply, 1000),
    }


def _officer_for(session: Session, outbox_id: int) -> str | None:
    return session.scalar(
        select(Trust.officer_email)
        .join(CycleYear, CycleYear.trust_id == Trust.id)
        .join(Process, Process.cycle_year_id == CycleYear.id)
        .join(ContributionRequest, ContributionRequest.process_id == Process.id)
        .join(OutboxMessage, OutboxMessage.contribution_request_id == ContributionRequest.id)
        .where(OutboxMessage.id == outbox_id)
    )


def _queue_alert(
    session: Session, name: str, context: dict[str, Any], key: str, to: str, at: datetime
) -> None:
    rendered = render_email(name, context)
    enqueue(
        session,
        idem_key=key,
        kind=ALERT_KIND if name == ALERT_KIND else RELAY_ALERT_KIND,
        to=[to],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        date_header=at,
    )


def _queue_safely(
    session: Session, name: str, context: dict[str, Any], key: str, to: str, at: datetime
) -> None:
    """Queue an alert in a savepoint; on any error a fixed one; never raise."""
    fallback = {k: ("(not shown)" if isinstance(v, str) else ["(not shown)"])
                for k, v in context.items()}
    for attempt in (context, fallback):
        try:
            with session.begin_nested():
                _queue_alert(session, name, attempt, key, to, at)
            return
        except Exception:  # noqa: BLE001 - an alert must never stop delivery
            log.exception("could not queue the officer's alert %s", key)


def _only_trust(session: Session, officer_email: str | None) -> str | None:
    """The delivering trust's officer for a message tied to no request (papers, an
    officer's own mail), unless the database holds several trusts: any deliverer delivers
    every trust's mail, and another council's failed message must not reach this one."""
    if (session.scalar(select(func.count()).select_from(Trust)) or 0) > 1:
        return None
    return officer_email


def alert_undelivered(
    session: Session,
    msg: OutgoingMessage,
    reply: str,
    *,
    officer_email: str | None,
    at: datetime,
    recipients: Sequence[str] | None = None,
) -> None:
    """Queue (once) the officer's alert that `msg`, or its `recipients`, will not arrive."""
    if msg.kind in _QUIET_KINDS:
        return
    officer = _officer_for(session, msg.outbox_id) or _only_trust(session, officer_email)
    if officer is None:
        return  # still listed by failures()
    key = f"{ALERT_KIND}:{msg.message_id}"
    if recipients is not None:
        digest = hashlib.sha256("\n".join(sorted(recipients)).encode()).hexdigest()[:12]
        key += f":{digest}"
    _queue_safely(
        session, ALERT_KIND, failure_alert_context(msg, reply, recipients), key, officer, at
    )


def alert_relay(
    sessions: sessionmaker[Session],
    problem: str,
    reply: str,
    *,
    officer_email: str | None,
    at: datetime,
) -> None:
    """Queue the officer's alert that the relay refuses trustcycle (TLS or login): once
    per incident, an incident being everything since the last message the relay took.
    It goes out with the rest once the relay is fixed; the run's failure says it now."""
    if officer_email is None:
        return
    with sessions.begin() as session:
        last_sent = session.scalar(
            select(func.max(T.c.sent_at)).where(T.c.status == OutboxStatus.sent.value)
        )
        since = last_sent.isoformat() if last_sent else "never"
        context = {
            "relay_problem": one_line(problem, 120),
            "relay_reply": one_line(reply, 1000),
            "last_sent": since,
        }
        key = f"{RELAY_ALERT_KIND}:{one_line(problem, 60)}:{since}"
        _queue_safely(session, RELAY_ALERT_KIND, context, key, officer_email, at)


def failures(session: Session) -> list[OutboxMessage]:
    """Messages an officer must look at: dead ones, and sent ones some recipient refused."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.status == OutboxStatus.dead.value,
                    and_(
                        OutboxMessage.status == OutboxStatus.sent.value,
                        OutboxMessage.last_error.is_not(None),
                    ),
                )
            )
            .order_by(OutboxMessage.id)
        )
    )
