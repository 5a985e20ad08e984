"""A report's route after its first meeting, and the forward plan before a key decision.

The first meeting on a route is the receiving meeting: its papers are `papers.mail`'s. Each
later meeting (Executive, then Health and Wellbeing Board; or then Board, then Cabinet)
has its own papers day (`StopDates.papers`, its own clear days before it): on that day the
approved version goes to that body's members and clerk, once per version and person.

SI 2012/2089 reg 9: a key decision is on the forward plan at least 28 clear days before
the meeting that takes it. On that day the body's clerk (democratic services, who keep the
plan) gets one notice, copied to the contact officer; without a clerk, the officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pendulum
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcycle import TIMEZONE
from trustcycle.calendar.ics import meeting_ics
from trustcycle.calendar.timeline import FORWARD_PLAN_CLEAR_DAYS, ProcessDates, StopDates
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import Body, Draft, DraftStatus, Meeting, Trust
from trustcycle.drafts.context import long_date
from trustcycle.drafts.membership import in_term
from trustcycle.drafts.render import CONTENT_TYPES
from trustcycle.mail.message import Attachment
from trustcycle.mail.render import render_email
from trustcycle.outbox import enqueue
from trustcycle.papers.assemble import papers_copy, process_row
from trustcycle.papers.mail import notify


@dataclass(frozen=True)
class RouteSent:
    """What one pass queued: forward-plan notices and later meetings' papers, as outbox ids."""

    forward_plan: list[int]
    papers: list[int]


def _local_day(now: datetime) -> date:
    return pendulum.instance(now).in_timezone(TIMEZONE).date()


def forward_plan_due(dates: ProcessDates, today: date) -> list[StopDates]:
    """Key decisions whose forward-plan day has come and whose meeting has not yet."""
    return [s for s in dates.stops if s.forward_plan is not None
            and s.forward_plan.date() <= today < s.meeting.date()]


def later_papers_due(dates: ProcessDates, today: date) -> list[StopDates]:
    """Meetings after the first whose papers day has come and whose meeting has not yet."""
    return [s for s in dates.stops[1:] if s.papers.date() <= today < s.meeting.date()]


def _meeting_words(stop: StopDates) -> str:
    return pendulum.instance(stop.meeting).in_timezone(TIMEZONE).format(
        "dddd D MMMM YYYY [at] HH:mm")


def send_forward_plan_notice(session: Session, cfg: TrustConfig, pid: str, year: int,
                             stop: StopDates, *, now: datetime) -> int:
    """Queue the notice of a key decision for the forward plan, once (keyed by meeting)."""
    proc, body = cfg.processes[pid], cfg.bodies[stop.body]
    officer = cfg.trust.officer
    clerk = body.clerk or officer
    assert stop.forward_plan is not None
    mail = render_email("forward_plan", {
        "trust": {"name": cfg.trust.name},
        "clerk": {"name": clerk.name},
        "officer": {"name": officer.name, "role": officer.role, "email": officer.email},
        "process": {"title": proc.title, "legal_basis": proc.legal_basis},
        "body": {"name": body.name},
        "meeting": _meeting_words(stop),
        "notice_day": long_date(stop.forward_plan.date()),
        "clear_days": FORWARD_PLAN_CLEAR_DAYS,
    })
    row = enqueue(
        session, idem_key=f"forward-plan:{cfg.trust.id}:{year}:{pid}:{stop.body}:"
        f"{stop.meeting.date().isoformat()}", kind="forward_plan", to=[clerk.email],
        cc=[officer.email] if officer.email != clerk.email else [],
        subject=mail.subject, text=mail.text, html=mail.html, date_header=now)
    return row.id


def approved(session: Session, cfg: TrustConfig, pid: str, year: int) -> int | None:
    """The latest approved version of the process's draft, if any."""
    return session.scalar(select(func.max(Draft.version)).where(
        Draft.process_id == process_row(session, cfg, pid, year), Draft.format == "md",
        Draft.status == DraftStatus.approved.value))


def stop_recipients(cfg: TrustConfig, stop: StopDates) -> list[str]:
    """The body's members in term on the papers day, then its clerk; each once."""
    body = cfg.bodies[stop.body]
    day = stop.papers.date()
    people = [m.person.email for m in body.members if in_term(m, day)]
    people += [body.clerk.email] if body.clerk is not None else []
    return list(dict.fromkeys(people)) or [cfg.trust.officer.email]


def send_stop_papers(session: Session, cfg: TrustConfig, pid: str, year: int,
                     stop: StopDates, *, version: int, now: datetime) -> list[int]:
    """Queue the approved version to a later meeting's body; once per version and person,
    each a notification of the process to that body and meeting. After its papers day:
    marked late, and the officer (and the manager) alerted once (LGA 1972 s100B(4))."""
    proc, body = cfg.processes[pid], cfg.bodies[stop.body]
    late = _local_day(now) > stop.papers.date()
    html = papers_copy(session, cfg, pid, year, version, "html").decode()
    officer = cfg.trust.officer
    context = {
        "trust": {"name": cfg.trust.name},
        "officer": {"name": officer.name, "role": officer.role, "email": officer.email},
        "process": {"title": proc.title, "legal_basis": proc.legal_basis},
        "body": {"name": body.name},
        "meeting": _meeting_words(stop),
        "deadline": long_date(stop.papers.date()),
        "clear_days": stop.clear_days,
        "version": version,
        "late": late,
        # Our own autoescaped rendering of the stored draft: safe to embed as markup.
        "draft_html": Markup(html.split("<body>", 1)[-1].rsplit("</body>", 1)[0]),
    }
    mail = render_email("papers", context)
    attachments = [
        Attachment.from_bytes(f"{pid}-{year}-v{version}.docx", CONTENT_TYPES["docx"],
                              papers_copy(session, cfg, pid, year, version, "docx")),
        Attachment.from_bytes("meeting.ics", "text/calendar", meeting_ics(
            cfg, stop.body, stop.meeting, year, pendulum.instance(now))),
    ]
    proc_row = process_row(session, cfg, pid, year)
    body_id = session.scalars(select(Body.id).join(Trust).where(
        Trust.config_id == cfg.trust.id, Body.config_id == stop.body)).one()
    meeting_id = session.scalar(select(Meeting.id).where(
        Meeting.body_id == body_id, Meeting.starts_at == stop.meeting))
    ids = []
    for email in stop_recipients(cfg, stop):
        row = enqueue(session, idem_key=f"papers:{cfg.trust.id}:{year}:{pid}:v{version}:"
                      f"{stop.body}:{email}", kind="papers", to=[email], subject=mail.subject,
                      text=mail.text, html=mail.html, attachments=attachments, date_header=now)
        ids.append(row.id)
        notify(session, proc_row, body_id, meeting_id, row.id)
    if late:  # LGA 1972 s100B(4): the chair decides on a late item; the officer must know
        alert = render_email("papers_late", context)
        manager = cfg.trust.manager.email
        ids.append(enqueue(
            session, idem_key=f"papers-late:{cfg.trust.id}:{year}:{pid}:v{version}:{stop.body}",
            kind="papers_late", to=[officer.email],
            cc=[manager] if manager != officer.email else [], subject=alert.subject,
            text=alert.text, html=alert.html, attachments=attachments, date_header=now).id)
    session.flush()
    return ids


def send_route_steps(session: Session, cfg: TrustConfig, year: int,
                     resolved: dict[str, ProcessDates], *, today: date,
                     now: datetime) -> RouteSent:
    """Every forward-plan notice and later meeting's papers due on `today` (or missed on
    an earlier day, before the meeting): idempotent, so a second run queues nothing."""
    sent = RouteSent([], [])
    for pid, dates in resolved.items():
        for stop in forward_plan_due(dates, today):
            sent.forward_plan.append(
                send_forward_plan_notice(session, cfg, pid, year, stop, now=now))
        due = later_papers_due(dates, today)
        version = approved(session, cfg, pid, year) if due else None
        for stop in due if version is not None else []:
            sent.papers.extend(
                send_stop_papers(session, cfg, pid, year, stop, version=version, now=now))
    return sent
