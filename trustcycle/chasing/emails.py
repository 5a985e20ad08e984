"""The chase's emails: a context builder per purpose, rendered and queued in the outbox.

Each `*_context` is a pure function of the configuration and plain data; each `*_message`
renders the paired templates into a `NewEmail` under a deterministic idempotency key (so a
retried or parallel run queues it once); each `*_email` queues one in the caller's
transaction. The chase queues thousands at once with `outbox.enqueue_many`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import pendulum
from sqlalchemy.orm import Session

from trustcycle import TIMEZONE
from trustcycle.calendar.ics import single_event_ics
from trustcycle.chasing.links import config_cycle_end, secret_from_env, token_link
from trustcycle.chasing.people import contacts_for, letter_key, person_key
from trustcycle.chasing.rules import RungDay
from trustcycle.chasing.views import RequestView
from trustcycle.config.loader import TrustConfig
from trustcycle.config.schema import Person
from trustcycle.db.models import OutboxMessage
from trustcycle.mail.message import Attachment
from trustcycle.mail.render import render_email
from trustcycle.outbox import NewEmail, enqueue
from trustcycle.text import sanitise_line


# Cached: a tick formats the same few deadlines and cut-offs for thousands of requests.
@lru_cache(maxsize=1024)
def _when(at: datetime) -> str:
    return pendulum.instance(at).in_timezone(TIMEZONE).format("dddd D MMMM YYYY [at] HH:mm")


@lru_cache(maxsize=1024)
def _short(at: datetime) -> str:
    return pendulum.instance(at).in_timezone(TIMEZONE).format("D MMMM YYYY")


def _person(p: Any) -> dict[str, str | None]:
    return {"name": p.name, "role": p.role, "email": p.email}


def portal_link(cfg: TrustConfig, token: str) -> str | None:
    """The request's signed portal link, valid to the end of the cycle year.

    None without a portal secret: an unsigned link would only meet the portal's 403, so the
    email then tells the partner to reply to the officer instead.
    """
    assert cfg.trust.portal_url is not None
    try:
        secret = secret_from_env()
    except ValueError:
        return None
    return token_link(cfg.trust.portal_url, token, config_cycle_end(cfg), secret)


def common_context(cfg: TrustConfig, view: RequestView,
                   to: Sequence[Person] | None = None) -> dict[str, Any]:
    """What every email about one request says: who, what, why, by when, how, whom to ask.
    `to`: the people it is addressed to (default: whoever the request is asked of)."""
    proc = cfg.processes[view.process]
    partner = cfg.partners[view.partner]
    ret = next(r for r in proc.returns if r.id == view.return_id)
    portal = cfg.trust.portal_url
    return {
        "trust": {"name": cfg.trust.name},
        "officer": _person(cfg.trust.officer),
        "partner": {"name": partner.name},
        "recipients": " and ".join(c.name for c in (to or contacts_for(cfg, view))),
        "process": {"title": proc.title, "legal_basis": proc.legal_basis},
        "ret": {"id": ret.id, "title": ret.title, "description": ret.description},
        "deadline": _when(view.deadline_at),
        "deadline_short": _short(view.deadline_at),
        "cutoff": _when(view.cutoff_at),
        "portal_link": portal_link(cfg, view.token) if portal else None,
        "record_command": (
            f"trustcycle returns record --process {view.process} --partner {view.partner} "
            f"--return {view.return_id} --file YOUR_FILE"
        ),
    }


def _contacts(cfg: TrustConfig, view: RequestView) -> list[str]:
    return [c.email for c in contacts_for(cfg, view)]


def _queue(session: Session, email: NewEmail) -> OutboxMessage:
    return enqueue(
        session,
        idem_key=email.idem_key,
        kind=email.kind,
        to=email.to,
        cc=email.cc,
        subject=email.subject,
        text=email.text,
        html=email.html,
        attachments=email.attachments,
        date_header=email.date_header,
        contribution_request_id=email.contribution_request_id,
    )


def deadline_ics(cfg: TrustConfig, view: RequestView, now: datetime) -> Attachment:
    """The deadline as a calendar entry (RFC 5545), stable for the request."""
    ret = next(r for r in cfg.processes[view.process].returns if r.id == view.return_id)
    data = single_event_ics(
        f"deadline-{view.id}-{view.process}-{view.partner}-{view.return_id}@trustcycle",
        f"Deadline: {ret.title}",
        pendulum.instance(view.deadline_at).in_timezone(TIMEZONE),
        pendulum.instance(now),
        description=f"{cfg.trust.name}: {cfg.processes[view.process].title}",
    )
    return Attachment.from_bytes("deadline.ics", "text/calendar", data)


def request_message(cfg: TrustConfig, view: RequestView, *, now: datetime,
                    to: Sequence[Person] | None = None) -> NewEmail:
    """The request that opens a return: to whoever it is asked of (or `to`), the deadline
    attached."""
    mail = render_email("request", common_context(cfg, view, to))
    return NewEmail(
        idem_key=single_key(f"request:{view.id}", contacts_for(cfg, view), to),
        kind="request",
        to=[p.email for p in to] if to else _contacts(cfg, view),
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        date_header=now,
        attachments=(deadline_ics(cfg, view, now),),
        contribution_request_id=view.id,
    )


@dataclass(frozen=True)
class MailFault:
    """A chase email that cannot be built for one request (say, a partner's name no header
    may carry): that request is not chased, the officer is alerted, everyone else goes on."""

    request: RequestView
    step: str  # "request", or the rung's name
    reason: str


def built_or_fault(
    build: Callable[[], NewEmail], view: RequestView, step: str, *, now: datetime
) -> NewEmail | MailFault:
    """The email `build` makes, checked as the outbox will store it; or why it cannot be."""
    try:
        email = build()
        email.validated_row(now)  # the outbox's own checks: queueing it cannot fail later
    except ValueError as exc:  # HeaderInjectionError, a bad address, an overlong subject
        return MailFault(view, step, sanitise_line(str(exc), 500))
    return email


def fault_alert(cfg: TrustConfig, fault: MailFault, *, now: datetime) -> NewEmail:
    """The officer's alert about one unbuildable email: once per request, step and reason.

    Built only from configuration ids (letters, digits and _) and sanitised text, so it
    cannot itself be refused."""
    view = fault.request
    step_label = "request" if fault.step == "request" else f"reminder ({fault.step})"
    context = {
        "officer": _person(cfg.trust.officer),
        "partner_id": sanitise_line(view.partner, 60),
        "process_id": sanitise_line(view.process, 60),
        "return_id": sanitise_line(view.return_id, 60),
        "step_label": sanitise_line(step_label, 60),
        "reason": fault.reason,
    }
    # The trust and year name it: one trust's fault never silences another's (many trusts
    # share one database and the same partner ids), nor one year's the next's. Not the row
    # id: a request whose email fails is deleted and opened again by the next run, which
    # must not alert the officer again.
    key = "|".join((cfg.trust.id, str(cfg.trust.cycle_year), view.process, view.partner,
                    view.return_id, fault.step, fault.reason))
    idem_key = f"chase-fault:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    return to_officer(cfg, "chase_fault", context, idem_key=idem_key, now=now)


def to_officer(
    cfg: TrustConfig, name: str, context: dict[str, Any], *, idem_key: str, now: datetime
) -> NewEmail:
    """An email of template `name` to the Trust's contact officer (kind `name`)."""
    mail = render_email(name, context)
    return NewEmail(
        idem_key=idem_key,
        kind=name,
        to=[cfg.trust.officer.email],
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        date_header=now,
    )


def rung_context(rung: RungDay) -> dict[str, Any]:
    """Where a rung stands against the deadline, in words the templates use."""
    return {
        "name": rung.name,
        "working_days": abs(rung.working_days),
        "overdue": rung.working_days > 0,
        "today": rung.working_days == 0,
    }


def reminder_context(cfg: TrustConfig, view: RequestView, rung: RungDay,
                     to: Sequence[Person] | None = None) -> dict[str, Any]:
    return common_context(cfg, view, to) | {"rung": rung_context(rung)}


def single_key(key: str, default: Sequence[Person], to: Sequence[Person] | None) -> str:
    """A one-item email's key: the historical one when it goes to whoever the item goes to
    by default, else one naming its people too (a letter to some of a partner's contacts)."""
    if to is None or {person_key(p) for p in to} == {person_key(p) for p in default}:
        return key
    return letter_key(key.split(":", 1)[0], [key], to)


def rung_key(request_id: int, rung: str) -> str:
    """The idempotency key of a rung's email: one per (request, rung), ever."""
    return f"reminder:{request_id}:{rung}"


def reminder_message(
    cfg: TrustConfig, view: RequestView, rung: RungDay, *, now: datetime,
    to: Sequence[Person] | None = None,
) -> NewEmail:
    """A reminder or overdue notice to whoever the request is asked of (or `to`)."""
    mail = render_email("reminder", reminder_context(cfg, view, rung, to))
    return NewEmail(
        idem_key=single_key(rung_key(view.id, rung.name), contacts_for(cfg, view), to),
        kind=f"reminder:{rung.name}",
        to=[p.email for p in to] if to else _contacts(cfg, view),
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        date_header=now,
        contribution_request_id=view.id,
    )


def escalation_message(
    cfg: TrustConfig, view: RequestView, rung: RungDay, *, now: datetime
) -> NewEmail:
    """Escalation to the partner's senior contact, copied to the Trust manager."""
    partner = cfg.partners[view.partner]
    context = reminder_context(cfg, view, rung) | {
        "senior": _person(partner.senior_contact),
        "manager": _person(cfg.trust.manager),
    }
    mail = render_email("escalation", context)
    return NewEmail(
        idem_key=rung_key(view.id, rung.name),
        kind=f"escalation:{rung.name}",
        to=[partner.senior_contact.email],
        cc=[cfg.trust.manager.email],
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        date_header=now,
        contribution_request_id=view.id,
    )


def missing_returns_report(
    session: Session,
    cfg: TrustConfig,
    process: str,
    process_row_id: int,
    missing: Sequence[tuple[RequestView, str | None]],
    *,
    received: int,
    waived: int,
    now: datetime,
) -> OutboxMessage:
    """The officer's list of returns missing at the cut-off (once per process and year)."""
    proc = cfg.processes[process]
    rows = [
        {
            "partner": cfg.partners[v.partner].name if v.partner in cfg.partners else v.partner,
            "ret": next((r.title for r in proc.returns if r.id == v.return_id), v.return_id),
            "last_reminder": last or "none",
        }
        for v, last in missing
    ]
    cutoff = _when(missing[0][0].cutoff_at) if missing else "-"
    context = {
        "officer": _person(cfg.trust.officer),
        "process": {"title": proc.title},
        "cutoff": cutoff,
        "missing": rows,
        "received": received,
        "waived": waived,
    }
    return _queue(
        session,
        to_officer(cfg, "missing_report", context, idem_key=f"missing-report:{process_row_id}",
                   now=now),
    )


def receipt_email(
    session: Session,
    cfg: TrustConfig,
    view: RequestView,
    *,
    version: int,
    sha256: str,
    now: datetime,
) -> OutboxMessage:
    """Thanks for a return: its version and fingerprint, to the partner's contacts."""
    context = common_context(cfg, view) | {
        "version": version,
        "sha256": sha256,
        "received_on": _when(now),
    }
    mail = render_email("receipt", context)
    return _queue(
        session,
        NewEmail(
            idem_key=f"receipt:{view.id}:v{version}",
            kind="receipt",
            to=_contacts(cfg, view),
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            date_header=now,
            contribution_request_id=view.id,
        ),
    )
