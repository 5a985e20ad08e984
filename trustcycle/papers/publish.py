"""Publication on its day: a process received by the public (the child poverty strategy,
CPA 2010 s23) is published, not sent to a meeting.

On the publication day (or at sign-off, when that comes later) the approved version is
written to the public folder (`TRUSTCYCLE_PUBLIC_DIR`, default `var/public`) as HTML and
DOCX, its address (`TRUSTCYCLE_PUBLIC_URL` + the file's path) is recorded in the audit log,
and the receiving body's members and clerk (if it has any) and the contact officer are
emailed the address. Exactly once: the files are content-addressed by version (rewriting
them writes the same bytes), the audit row and every email are keyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcycle.calendar.dates import long_date
from trustcycle.calendar.timeline import resolve_process
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import AuditLog
from trustcycle.mail.render import render_email
from trustcycle.outbox import enqueue
from trustcycle.papers.assemble import papers_copy, process_row
from trustcycle.papers.mail import (
    PapersResult,
    is_late,
    notify,
    papers_deadline,
    receiving_body,
    recipients,
    send_papers,
)

PUBLISHED_FORMATS = ("html", "docx")  # PDF needs LibreOffice, which a server may not have
ACTION = "papers.published"


class PublicSettings(BaseSettings):
    """Where published documents go and the address the public reaches them at."""

    model_config = SettingsConfigDict(env_prefix="TRUSTCYCLE_", extra="ignore")

    public_dir: str = Field("var/public", description="the folder the web server publishes")
    public_url: str = Field(
        "", description="the address of that folder on the web (https://...); empty: a "
        "file:// address of the folder itself, for a rehearsal")


@dataclass(frozen=True)
class Published:
    """Where one version of a document was published."""

    files: dict[str, Path]
    urls: dict[str, str]


def published_path(cfg: TrustConfig, pid: str, year: int, version: int, fmt: str) -> str:
    """The file's path under the public folder (and under the public address)."""
    return f"{cfg.trust.id}/{year}/{pid}-v{version}.{fmt}"


def write_public(session: Session, cfg: TrustConfig, pid: str, year: int, version: int,
                 settings: PublicSettings) -> Published:
    """Write the approved version's HTML and DOCX to the public folder; their addresses."""
    root = Path(settings.public_dir).resolve()
    base = settings.public_url.rstrip("/") or root.as_uri()
    files, urls = {}, {}
    for fmt in PUBLISHED_FORMATS:
        rel = published_path(cfg, pid, year, version, fmt)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        data = papers_copy(session, cfg, pid, year, version, fmt)
        if not target.exists() or target.read_bytes() != data:
            partial = target.with_suffix(target.suffix + ".part")
            partial.write_bytes(data)
            partial.replace(target)  # never a half-written file at the public address
        files[fmt], urls[fmt] = target, f"{base}/{rel}"
    return Published(files, urls)


def publish(session: Session, cfg: TrustConfig, pid: str, year: int, *, version: int,
            now: datetime, settings: PublicSettings | None = None) -> PapersResult:
    """Publish the approved version: files, the audited address, the emails. Idempotent."""
    settings = settings or PublicSettings()
    dates = resolve_process(cfg, pid, year)
    late = is_late(dates, now)
    out = write_public(session, cfg, pid, year, version, settings)
    proc_id = process_row(session, cfg, pid, year)
    entity_id = f"{proc_id}:v{version}"
    if session.scalar(select(AuditLog.id).where(AuditLog.action == ACTION,
                                                AuditLog.entity_id == entity_id)) is None:
        session.add(AuditLog(at=now, actor="trustcycle", action=ACTION, entity="draft",
                             entity_id=entity_id,
                             detail={"process": pid, "year": year, "version": version,
                                     "url": out.urls["html"], "urls": out.urls, "late": late}))
    officer = cfg.trust.officer
    proc = cfg.processes[pid]
    targets = [*recipients(cfg, pid, year), (officer.name, officer.email)]
    seen: set[str] = set()
    body = receiving_body(session, cfg, pid)
    ids: list[int] = []
    for name, email in targets:
        if email in seen:
            continue
        seen.add(email)
        mail = render_email("publication", {
            "name": name, "trust": {"name": cfg.trust.name},
            "officer": {"name": officer.name, "role": officer.role, "email": officer.email},
            "process": {"title": proc.title, "legal_basis": proc.legal_basis},
            "version": version, "late": late,
            "deadline": long_date(papers_deadline(dates).date()),
            "links": [out.urls[f] for f in PUBLISHED_FORMATS],
        })
        row = enqueue(session, idem_key=f"published:{cfg.trust.id}:{year}:{pid}:v{version}:"
                                        f"{email}",
                      kind="publication", to=[email], subject=mail.subject, text=mail.text,
                      html=mail.html, date_header=now)
        ids.append(row.id)
        notify(session, proc_id, body.id, None, row.id)
    session.flush()
    return PapersResult(late, papers_deadline(dates).isoformat(), sorted(seen), ids,
                        url=out.urls["html"])


def send_or_publish(session: Session, cfg: TrustConfig, pid: str, year: int, *, version: int,
                    now: datetime) -> PapersResult:
    """The papers to a meeting's body, or the publication of a published document."""
    if resolve_process(cfg, pid, year).meeting is None:
        return publish(session, cfg, pid, year, version=version, now=now)
    return send_papers(session, cfg, pid, year, version=version, now=now)
