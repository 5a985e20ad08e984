"""An addendum to papers already sent: the returns received after the papers went.

The officer is alerted of each such return (`notices.late_return_notice`) and sends the
addendum when ready (the `addendum` box of an assemble-draft run). Each addendum lists the
late-after-papers returns no earlier addendum listed, goes to the body's members and clerk
(the officer when the body has none), and is audited with what it listed; an addendum with
nothing new is not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcycle import TIMEZONE
from trustcycle.calendar.dates import long_date
from trustcycle.calendar.punctuality import LATE_AFTER_PAPERS
from trustcycle.calendar.timeline import resolve_process
from trustcycle.chasing.progress import papers_sent_at, return_timings
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import AuditLog, ContributionRequest, Partner, ReturnVersion
from trustcycle.mail.render import render_email
from trustcycle.outbox import enqueue
from trustcycle.papers.assemble import PapersError, process_row
from trustcycle.papers.mail import recipients

ACTION = "papers.addendum"


@dataclass(frozen=True)
class Addendum:
    """What one addendum listed and where it went (nothing when there was nothing new)."""

    number: int
    returns: list[str] = field(default_factory=list)  # "partner/return"
    recipients: list[str] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)


def _local(at: datetime) -> str:
    return long_date(pendulum.instance(at).in_timezone(TIMEZONE).date())


def send_addendum(session: Session, cfg: TrustConfig, pid: str, year: int, *,
                  now: datetime) -> Addendum:
    """Queue an addendum listing the late-after-papers returns not yet listed."""
    sent = papers_sent_at(session, cfg, year).get(pid)
    if sent is None:
        raise PapersError(f"the papers of {pid} for {year} have not gone: nothing to add to")
    proc_id = process_row(session, cfg, pid, year)
    earlier = [row.detail for row in session.scalars(select(AuditLog).where(
        AuditLog.action == ACTION, AuditLog.entity == "process",
        AuditLog.entity_id == str(proc_id)))]
    listed = {key for detail in earlier for key in detail.get("returns", [])}
    late = [t for t in return_timings(session, cfg, year).get(pid, [])
            if t.category == LATE_AFTER_PAPERS and f"{t.partner}/{t.return_id}" not in listed]
    number = len(earlier) + 1
    if not late:
        return Addendum(number - 1)
    titles = {r.id: r.title for r in cfg.processes[pid].returns}
    rows = []
    for t in late:
        version, sha = session.execute(
            select(func.max(ReturnVersion.version), func.max(ReturnVersion.sha256))
            .join(ContributionRequest)
            .join(Partner, ContributionRequest.partner_id == Partner.id)
            .where(ContributionRequest.process_id == proc_id, Partner.config_id == t.partner,
                   ContributionRequest.return_id == t.return_id)).one()
        assert t.first_received_at is not None
        rows.append({"partner": cfg.partners[t.partner].name if t.partner in cfg.partners
                     else t.partner, "title": titles.get(t.return_id, t.return_id),
                     "received": _local(t.first_received_at), "version": version,
                     "sha256": (sha or "")[:12]})
    proc = cfg.processes[pid]
    assert proc.receiving is not None
    dates = resolve_process(cfg, pid, year)
    officer = cfg.trust.officer
    mail = render_email("addendum", {
        "body": {"name": cfg.bodies[proc.receiving.body].name},
        "meeting": (pendulum.instance(dates.meeting).in_timezone(TIMEZONE)
                    .format("dddd D MMMM YYYY [at] HH:mm") if dates.meeting else None),
        "process": {"title": proc.title}, "papers_sent": _local(sent), "rows": rows,
        "officer": {"name": officer.name, "role": officer.role, "email": officer.email},
    })
    targets = [e for _, e in recipients(cfg, pid, year)] or [officer.email]
    ids = [enqueue(session, idem_key=f"addendum:{cfg.trust.id}:{year}:{pid}:{number}:{email}",
                   kind="addendum", to=[email], subject=mail.subject, text=mail.text,
                   html=mail.html, date_header=now).id
           for email in targets]
    keys = [f"{t.partner}/{t.return_id}" for t in late]
    session.add(AuditLog(at=now, actor="trustcycle", action=ACTION, entity="process",
                         entity_id=str(proc_id),
                         detail={"process": pid, "year": year, "number": number,
                                 "returns": keys}))
    session.flush()
    return Addendum(number, keys, targets, ids)
