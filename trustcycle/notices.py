"""Emails to the contact officer about the cycle itself: a draft awaiting sign-off (and the
reminder before the papers day), and a step done late by a catch-up run.

Pure builders: configuration and plain data in, a `NewEmail` under a deterministic
idempotency key out (a resumed or repeated run queues each one once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pendulum

from trustcycle import TIMEZONE
from trustcycle.calendar.timeline import ProcessDates
from trustcycle.config.loader import TrustConfig
from trustcycle.drafts.render import CONTENT_TYPES
from trustcycle.mail.message import Attachment
from trustcycle.mail.render import render_email
from trustcycle.outbox import NewEmail

_STEP_WORDS = {
    "request": "requests for returns",
    "papers": "papers",
    "publish": "publication",
    "cutoff": "cut-off",
}


def long_day(day: date) -> str:
    """`Monday 8 June 2026`."""
    return pendulum.date(day.year, day.month, day.day).format("dddd D MMMM YYYY")


def _officer(cfg: TrustConfig) -> dict[str, str]:
    return {"name": cfg.trust.officer.name, "email": cfg.trust.officer.email}


def _cc(cfg: TrustConfig) -> list[str]:
    manager = cfg.trust.manager.email
    return [manager] if manager != cfg.trust.officer.email else []


def late_step_notice(cfg: TrustConfig, process: str, step: str, due: date, done: date,
                     what: str, *, now: datetime) -> NewEmail:
    """Tell the officer (and the manager) that a step ran late, and what it did."""
    proc = cfg.processes[process]
    mail = render_email("late_step", {
        "officer": _officer(cfg),
        "process": {"title": proc.title},
        "step": _STEP_WORDS.get(step, step),
        "due": long_day(due),
        "done": long_day(done),
        "what": what,
    })
    return NewEmail(
        idem_key=f"late-step:{cfg.trust.id}:{process}:{step}:{due.isoformat()}",
        kind="late_step", to=[cfg.trust.officer.email], cc=_cc(cfg),
        subject=mail.subject, text=mail.text, html=mail.html, date_header=now)


@dataclass(frozen=True)
class SignOffWait:
    """A draft waiting for the officer in a suspended Prefect run."""

    process: str
    year: int
    version: int
    missing: int | None
    run_id: str
    link: str


def papers_day(dates: ProcessDates) -> pendulum.Date:
    """The day the papers (or the publication) are due."""
    at = dates.papers or dates.publish
    assert at is not None, f"{dates.process} has neither papers nor a publication day"
    return pendulum.instance(at).in_timezone(TIMEZONE).date()


def signoff_request(cfg: TrustConfig, wait: SignOffWait, dates: ProcessDates, docx: bytes,
                    *, now: datetime, days_left: int | None = None) -> NewEmail:
    """The officer's request to sign a draft off (or, with `days_left`, the reminder), the
    draft attached and the direct link to the waiting run."""
    proc = cfg.processes[wait.process]
    assert proc.receiving is not None
    reminder = days_left is not None
    meeting = (pendulum.instance(dates.meeting).in_timezone(TIMEZONE)
               .format("dddd D MMMM YYYY [at] HH:mm") if dates.meeting else None)
    mail = render_email("signoff_request", {
        "officer": _officer(cfg),
        "process": {"title": proc.title},
        "version": wait.version,
        "body": cfg.bodies[proc.receiving.body].name,
        "meeting": meeting,
        "papers_day": long_day(papers_day(dates)),
        "missing": wait.missing,
        "link": wait.link,
        "reminder": reminder,
        "days_left": days_left or 0,
    })
    stem = f"{cfg.trust.id}:{wait.year}:{wait.process}:v{wait.version}:{wait.run_id}"
    name = f"{wait.process}-{wait.year}-v{wait.version}-draft.docx"
    return NewEmail(
        idem_key=f"signoff-{'reminder' if reminder else 'request'}:{stem}",
        kind="signoff_reminder" if reminder else "signoff_request",
        to=[cfg.trust.officer.email], cc=_cc(cfg) if reminder else [],
        subject=mail.subject, text=mail.text, html=mail.html, date_header=now,
        attachments=[Attachment.from_bytes(name, CONTENT_TYPES["docx"], docx)])


def late_return_notice(cfg: TrustConfig, process: str, partner: str, return_id: str,
                       year: int, received: date, papers_sent: date, *,
                       now: datetime) -> NewEmail:
    """Tell the officer a return came after the papers went, and how to send an addendum
    (one email per return, whatever versions follow)."""
    proc = cfg.processes[process]
    assert proc.receiving is not None
    title = next((r.title for r in proc.returns if r.id == return_id), return_id)
    mail = render_email("late_return", {
        "officer": _officer(cfg),
        "process": {"id": process, "title": proc.title},
        "partner": cfg.partners[partner].name if partner in cfg.partners else partner,
        "return_title": title,
        "body": cfg.bodies[proc.receiving.body].name,
        "received": long_day(received),
        "papers_sent": long_day(papers_sent),
        "year": year,
    })
    return NewEmail(
        idem_key=f"late-return:{cfg.trust.id}:{year}:{process}:{partner}:{return_id}",
        kind="late_return", to=[cfg.trust.officer.email], cc=[],
        subject=mail.subject, text=mail.text, html=mail.html, date_header=now)
