"""Sending signed-off papers to the receiving body's members and clerk through the outbox,
on the papers day.

LGA 1972 s100B: papers are open to inspection at least 5 clear days before the meeting
(`ProcessDates.papers`), and they go on that day, not before (a draft signed off two
months early waits for it). Papers signed off after the papers day go at once, marked
late: such a report can only be taken as a late item with the chair's agreement
(s100B(4)), so the officer (and the manager) get an alert saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pendulum
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcycle import TIMEZONE
from trustcycle.calendar.ics import meeting_ics, step_ics
from trustcycle.calendar.timeline import ProcessDates, Step, resolve_process
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import Body, Meeting, Notification, Trust
from trustcycle.drafts.context import long_date
from trustcycle.drafts.membership import in_term
from trustcycle.drafts.render import CONTENT_TYPES
from trustcycle.mail.message import Attachment
from trustcycle.mail.render import render_email
from trustcycle.notices import papers_day
from trustcycle.outbox import enqueue
from trustcycle.papers.assemble import papers_copy, process_row


@dataclass(frozen=True)
class PapersResult:
    """What notifying the body did."""

    late: bool
    deadline: str
    recipients: list[str] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    url: str | None = None  # a publication's address


def papers_deadline(dates: ProcessDates) -> pendulum.DateTime:
    """The latest moment the papers may go: 5 clear days before the meeting, or publication."""
    at = dates.papers or dates.publish
    assert at is not None, f"{dates.process} has neither a meeting nor a publication date"
    return at


def recipients(cfg: TrustConfig, pid: str, year: int) -> list[tuple[str, str]]:
    """(name, email) of the receiving body's members in term at the meeting, then its clerk."""
    proc = cfg.processes[pid]
    assert proc.receiving is not None
    body = cfg.bodies[proc.receiving.body]
    at = papers_deadline(resolve_process(cfg, pid, year))
    day = date(at.year, at.month, at.day)
    people = [(m.person.name, m.person.email) for m in body.members if in_term(m, day)]
    if body.clerk is not None:
        people.append((body.clerk.name, body.clerk.email))
    seen: set[str] = set()
    return [(n, e) for n, e in people if not (e in seen or seen.add(e))]


def _event(cfg: TrustConfig, pid: str, dates: ProcessDates, now: datetime,
           year: int) -> Attachment:
    """The meeting (the timeline's own event, same UID) or the publication date."""
    proc = cfg.processes[pid]
    assert proc.receiving is not None
    stamp = pendulum.instance(now)
    if dates.meeting is not None:
        data = meeting_ics(cfg, proc.receiving.body, dates.meeting, year, stamp)
        return Attachment.from_bytes("meeting.ics", "text/calendar", data)
    step = Step(papers_deadline(dates), pid, "publish", proc.receiving.body,
                f"Publication: {proc.title}")
    return Attachment.from_bytes("publication.ics", "text/calendar",
                                 step_ics(cfg, step, year, stamp))


def _context(cfg: TrustConfig, pid: str, dates: ProcessDates, version: int,
             fragment: str, late: bool) -> dict[str, object]:
    proc = cfg.processes[pid]
    assert proc.receiving is not None
    officer = cfg.trust.officer
    return {
        "trust": {"name": cfg.trust.name},
        "officer": {"name": officer.name, "role": officer.role, "email": officer.email},
        "process": {"title": proc.title, "legal_basis": proc.legal_basis},
        "body": {"name": cfg.bodies[proc.receiving.body].name},
        "meeting": (pendulum.instance(dates.meeting).in_timezone(TIMEZONE)
                    .format("dddd D MMMM YYYY [at] HH:mm") if dates.meeting else None),
        "deadline": long_date(papers_deadline(dates).date()),
        "clear_days": proc.receiving.clear_days,
        "version": version,
        "late": late,
        # Our own autoescaped rendering of the stored draft: safe to embed as markup.
        "draft_html": Markup(fragment),
    }


def _fragment(html: bytes) -> str:
    text = html.decode()
    return text.split("<body>", 1)[-1].rsplit("</body>", 1)[0]


def is_late(dates: ProcessDates, now: datetime) -> bool:
    """Sent after the papers (or publication) day, by the wall clock's local day. On the day
    itself, whatever the hour, is on time: the step is the day's."""
    return pendulum.instance(now).in_timezone(TIMEZONE).date() > papers_day(dates)


def receiving_body(session: Session, cfg: TrustConfig, pid: str) -> Body:
    """The database row of the process's receiving body."""
    receiving = cfg.processes[pid].receiving
    assert receiving is not None
    return session.scalars(select(Body).join(Trust).where(
        Trust.config_id == cfg.trust.id, Body.config_id == receiving.body)).one()


def notify(session: Session, pid_row: int, body_id: int, meeting_id: int | None,
           outbox_id: int) -> None:
    """Record (once) that an email of the papers went to the body."""
    if session.scalar(select(Notification.id).where(
            Notification.outbox_message_id == outbox_id)) is None:
        session.add(Notification(process_id=pid_row, body_id=body_id, meeting_id=meeting_id,
                                 outbox_message_id=outbox_id))


def send_papers(
    session: Session, cfg: TrustConfig, pid: str, year: int, *, version: int, now: datetime
) -> PapersResult:
    """Queue the approved version to the body's members and clerk; after the papers day,
    marked late and with an alert to the officer (and the manager). Idempotent."""
    dates = resolve_process(cfg, pid, year)
    deadline = papers_deadline(dates)
    late = is_late(dates, now)
    # The papers' copy: the approved version saying who approved it and when.
    docx = papers_copy(session, cfg, pid, year, version, "docx")
    fragment = _fragment(papers_copy(session, cfg, pid, year, version, "html"))
    context = _context(cfg, pid, dates, version, fragment, late)
    mail = render_email("papers", context)
    attachments = [Attachment.from_bytes(f"{pid}-{year}-v{version}.docx", CONTENT_TYPES["docx"],
                                         docx), _event(cfg, pid, dates, now, year)]
    stem = f"{cfg.trust.id}:{year}:{pid}:v{version}"
    targets = recipients(cfg, pid, year) or [(cfg.trust.officer.name, cfg.trust.officer.email)]
    proc_id = process_row(session, cfg, pid, year)
    body = receiving_body(session, cfg, pid)
    meeting_id = None
    if dates.meeting is not None:
        meeting_id = session.scalar(select(Meeting.id).where(
            Meeting.body_id == body.id, Meeting.starts_at == dates.meeting))
    ids: list[int] = []
    for _name, email in targets:
        row = enqueue(session, idem_key=f"papers:{stem}:{email}", kind="papers", to=[email],
                      subject=mail.subject, text=mail.text, html=mail.html,
                      attachments=attachments, date_header=now)
        ids.append(row.id)
        notify(session, proc_id, body.id, meeting_id, row.id)
    if late:  # LGA 1972 s100B(4): the chair decides on a late item; the officer must know
        alert = render_email("papers_late", context)
        manager = cfg.trust.manager.email
        row = enqueue(session, idem_key=f"papers-late:{stem}", kind="papers_late",
                      to=[cfg.trust.officer.email],
                      cc=[manager] if manager != cfg.trust.officer.email else [],
                      subject=alert.subject, text=alert.text, html=alert.html,
                      attachments=attachments, date_header=now)
        ids.append(row.id)
    session.flush()
    return PapersResult(late, deadline.isoformat(), [e for _, e in targets], ids)
