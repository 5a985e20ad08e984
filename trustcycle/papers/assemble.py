"""Drafts in the database: load the returns a draft uses, build and store it (versioned,
with the sha256 of those returns), and record the officer's sign-off in the audit log.

Building is idempotent: when the latest stored version renders to the same Markdown (dated
the day it was written), no new version is made, so a re-run (or a resumed flow) reuses
it. Each version is stored as Markdown, HTML, DOCX and the `Report` itself (JSON), so the
papers sent after sign-off are the approved version re-rendered with "Approved by NAME on
DATE" in place of "Draft for sign-off". Every function takes the session of the caller's
unit of work.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcycle.chasing.progress import progress, return_timings
from trustcycle.chasing.requests import local_day, process_ids
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import (
    Attendance,
    AuditLog,
    Body,
    ContributionRequest,
    Draft,
    DraftStatus,
    Meeting,
    Partner,
    ReturnVersion,
    Trust,
)
from trustcycle.drafts.context import approved, build_report, needs_process
from trustcycle.drafts.document import Report, report_from_json, report_to_json
from trustcycle.drafts.inputs import AttendanceRecord, DraftInputs, ReturnRecord, inputs_sha256
from trustcycle.drafts.render import FORMATS, render

ACTOR = "trustcycle"
STORED = (*FORMATS, "json")  # "json": the Report, for the approved papers' copy
AUTO_APPROVER = "auto"  # the simulator's sign-off
Decision = str  # "approve" | "request_changes"


class PapersError(ValueError):
    """A draft cannot be built or signed off as asked."""


@dataclass(frozen=True)
class StoredDraft:
    """One stored version of a draft, as the flow and the CLI see it."""

    process: str
    year: int
    version: int
    returns_sha256: str
    markdown_sha256: str
    markdown: str
    created: bool
    returns: list[dict[str, str]] = field(default_factory=list)


def process_row(session: Session, cfg: TrustConfig, pid: str, year: int) -> int:
    """The id of the process's row for the cycle year (the config must have been applied)."""
    rows = process_ids(session, cfg, year)
    if pid not in rows:
        raise PapersError(f"process {pid!r} is not in cycle year {year}: apply the config")
    return rows[pid]


def load_returns(session: Session, cfg: TrustConfig, pid: str, year: int) -> list[ReturnRecord]:
    """The latest version of every return requested by the process (or none, if missing)."""
    latest = (
        select(ReturnVersion.contribution_request_id, func.max(ReturnVersion.version).label("v"))
        .group_by(ReturnVersion.contribution_request_id)
        .subquery()
    )
    query = (
        select(ContributionRequest, Partner.config_id, ReturnVersion)
        .join(Partner, ContributionRequest.partner_id == Partner.id)
        .outerjoin(latest, latest.c.contribution_request_id == ContributionRequest.id)
        .outerjoin(ReturnVersion, (ReturnVersion.contribution_request_id
                                   == ContributionRequest.id) & (ReturnVersion.version
                                                                 == latest.c.v))
        .where(ContributionRequest.process_id == process_row(session, cfg, pid, year))
    )
    timing = {(t.partner, t.return_id): t.category
              for t in return_timings(session, cfg, year).get(pid, [])}
    out = []
    for req, partner, ver in session.execute(query):
        out.append(ReturnRecord(
            process=pid, partner=partner, return_id=req.return_id,
            status=req.status if ver is None or req.status != "open" else "received",
            version=ver.version if ver else None,
            received_on=local_day(ver.received_at).isoformat() if ver else None,
            sha256=ver.sha256 if ver else None,
            payload=dict(ver.payload) if ver else None,
            waived_reason=req.waived_reason,
            timing=timing.get((partner, req.return_id)),
        ))
    return out


def load_attendance(session: Session, cfg: TrustConfig) -> list[AttendanceRecord]:
    """Every attendance record of the trust's bodies."""
    query = (
        select(Body.config_id, Meeting.starts_at, Attendance.person_email, Attendance.status)
        .join(Meeting, Attendance.meeting_id == Meeting.id)
        .join(Body, Meeting.body_id == Body.id)
        .join(Trust, Body.trust_id == Trust.id)
        .where(Trust.config_id == cfg.trust.id)
    )
    return [AttendanceRecord(body, local_day(at), email.lower(), status)
            for body, at, email, status in session.execute(query)]


def load_inputs(session: Session, cfg: TrustConfig, pid: str, year: int) -> DraftInputs:
    """Everything the draft of `pid` reads from the database."""
    related: list[ReturnRecord] = []
    if cfg.processes[pid].kind.value == "child_poverty_strategy":
        needs = needs_process(cfg, pid)
        if needs is not None and needs in process_ids(session, cfg, year):
            related = load_returns(session, cfg, needs, year)
    return DraftInputs(returns=tuple(load_returns(session, cfg, pid, year)),
                       attendance=tuple(load_attendance(session, cfg)), related=tuple(related))


def returns_rows(report: Report) -> list[dict[str, str]]:
    """The report's returns table as rows of {header: cell} (for a table artifact)."""
    return [dict(zip(report.returns.headers, row, strict=True)) for row in report.returns.rows]


def build_and_store(
    session: Session, cfg: TrustConfig, pid: str, year: int, *, now: datetime
) -> StoredDraft:
    """Build the draft from the stored returns; store a new version only if it changed."""
    inputs = load_inputs(session, cfg, pid, year)
    template = cfg.processes[pid].draft_template or cfg.processes[pid].kind.value
    proc_id = process_row(session, cfg, pid, year)
    latest = session.scalars(
        select(Draft).where(Draft.process_id == proc_id, Draft.format == "md")
        .order_by(Draft.version.desc()).limit(1)
    ).first()
    if latest is not None:  # unchanged since it was written: the same version, same date
        report = build_report(cfg, pid, year, inputs, written=local_day(latest.created_at))
        markdown = render(report, "md", template)
        md_sha = hashlib.sha256(markdown).hexdigest()
        if latest.sha256 == md_sha:
            return StoredDraft(pid, year, latest.version, latest.returns_sha256, md_sha,
                               markdown.decode(), False, returns_rows(report))
    report = build_report(cfg, pid, year, inputs, written=local_day(now))
    markdown = render(report, "md", template)
    md_sha = hashlib.sha256(markdown).hexdigest()
    version = (latest.version if latest else 0) + 1
    for old in session.scalars(select(Draft).where(
            Draft.process_id == proc_id, Draft.status == DraftStatus.draft.value)):
        old.status = DraftStatus.superseded.value
    for fmt in STORED:
        content = (markdown if fmt == "md" else report_to_json(report) if fmt == "json"
                   else render(report, fmt, template))
        session.add(Draft(process_id=proc_id, version=version, format=fmt, content=content,
                          sha256=hashlib.sha256(content).hexdigest(),
                          returns_sha256=report.fingerprint, created_at=now,
                          status=DraftStatus.draft.value))
    session.add(AuditLog(at=now, actor=ACTOR, action="draft.built", entity="draft",
                         entity_id=f"{proc_id}:v{version}",
                         detail={"process": pid, "year": year, "version": version,
                                 "returns_sha256": report.fingerprint, "md_sha256": md_sha,
                                 "inputs_sha256": inputs_sha256(inputs)}))
    session.flush()
    return StoredDraft(pid, year, version, report.fingerprint, md_sha, markdown.decode(), True,
                       returns_rows(report))


def draft_content(session: Session, cfg: TrustConfig, pid: str, year: int, version: int,
                  fmt: str) -> bytes:
    """The stored bytes of one version of a draft in one format."""
    row = session.scalars(select(Draft).where(
        Draft.process_id == process_row(session, cfg, pid, year), Draft.version == version,
        Draft.format == fmt)).one_or_none()
    if row is None:
        raise PapersError(f"no {fmt} draft version {version} of {pid} for {year}")
    return row.content


def approver_name(cfg: TrustConfig, who: str) -> str:
    """The name to print for whoever approved: a configured person's name for their email."""
    officer = cfg.trust.officer
    if who == AUTO_APPROVER:
        return f"{officer.name} (automatic approval in the simulation)"
    people = [cfg.trust.officer, cfg.trust.manager,
              *(c for p in cfg.partners.values() for c in (*p.contacts, p.senior_contact)),
              *(m.person for b in cfg.bodies.values() for m in b.members)]
    return next((p.name for p in people if p.email == who.strip().lower()), who)


def papers_copy(session: Session, cfg: TrustConfig, pid: str, year: int, version: int,
                fmt: str) -> bytes:
    """The approved version as the papers send it: "Approved by NAME on DATE"; a version
    not (yet) approved, or stored before reports were kept, is sent as stored."""
    rows = {row.format: row for row in session.scalars(select(Draft).where(
        Draft.process_id == process_row(session, cfg, pid, year), Draft.version == version))}
    stored = rows.get("json")
    if stored is None or stored.approved_by is None or stored.approved_at is None:
        return draft_content(session, cfg, pid, year, version, fmt)
    report = approved(report_from_json(stored.content), approver_name(cfg, stored.approved_by),
                      local_day(stored.approved_at))
    template = cfg.processes[pid].draft_template or report.kind
    return render(report, fmt, template)


def record_decision(
    session: Session, cfg: TrustConfig, pid: str, year: int, *, version: int,
    decision: Decision, officer: str, comment: str, at: datetime, key: str,
) -> bool:
    """Audit the officer's decision on a version (once per `key`); approval marks it
    approved. Returns False when this decision was already recorded."""
    if decision not in ("approve", "request_changes"):
        raise PapersError(f"unknown decision {decision!r}")
    proc_id = process_row(session, cfg, pid, year)
    entity_id = f"{proc_id}:v{version}"
    action = "draft.approved" if decision == "approve" else "draft.changes_requested"
    # Idempotent per key whatever version a replay rebuilt: a resumed run replays its
    # earlier rounds' decisions, which must be recorded once.
    seen = session.scalars(select(AuditLog).where(
        AuditLog.entity == "draft", AuditLog.entity_id.startswith(f"{proc_id}:"),
        AuditLog.action == action))
    if any(row.detail.get("key") == key for row in seen):
        return False
    rows = list(session.scalars(select(Draft).where(Draft.process_id == proc_id,
                                                    Draft.version == version)))
    if not rows:
        raise PapersError(f"no draft version {version} of {pid} for {year}")
    if decision == "approve":
        for row in rows:
            row.status = DraftStatus.approved.value
            row.approved_by = officer
            row.approved_at = at
    detail: dict[str, Any] = {"process": pid, "year": year, "version": version,
                              "comment": comment, "key": key}
    session.add(AuditLog(at=at, actor=officer, action=action, entity="draft",
                         entity_id=entity_id, detail=detail))
    session.flush()
    return True


def papers_current(session: Session, cfg: TrustConfig, pid: str, year: int) -> bool:
    """True when papers have gone and nothing the draft reads has changed since the
    version they were built from (so there is nothing to sign off again)."""
    if not progress(session, cfg, year)[pid].notified:
        return False
    proc_id = process_row(session, cfg, pid, year)
    built = session.scalars(
        select(AuditLog).where(AuditLog.action == "draft.built",
                               AuditLog.entity_id.startswith(f"{proc_id}:v"))
        .order_by(AuditLog.id.desc()).limit(1)
    ).first()
    if built is None:
        return False
    return built.detail.get("inputs_sha256") == inputs_sha256(load_inputs(session, cfg, pid, year))


def approved_version(session: Session, cfg: TrustConfig, pid: str, year: int) -> int | None:
    """The latest version when it is approved and what it read is unchanged since: the
    papers to send on their day. None when the latest is not approved, or is stale."""
    proc_id = process_row(session, cfg, pid, year)
    latest = session.scalars(
        select(Draft).where(Draft.process_id == proc_id, Draft.format == "md")
        .order_by(Draft.version.desc()).limit(1)).first()
    if latest is None or latest.status != DraftStatus.approved.value:
        return None
    built = session.scalars(
        select(AuditLog).where(AuditLog.action == "draft.built",
                               AuditLog.entity_id == f"{proc_id}:v{latest.version}")
        .order_by(AuditLog.id.desc()).limit(1)).first()
    if built is None or built.detail.get("inputs_sha256") != inputs_sha256(
            load_inputs(session, cfg, pid, year)):
        return None
    return latest.version
