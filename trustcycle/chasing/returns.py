"""Recording, waiving and listing partners' returns, and sweeping the inbox folder.

Every return is a new `ReturnVersion` (never an overwrite) with the sha256 of its bytes,
an audit row, and a receipt email through the outbox. An unknown process, partner or
return raises `RequestError` before anything is stored.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcycle.calendar.timeline import resolve_year
from trustcycle.chasing.emails import receipt_email
from trustcycle.chasing.progress import papers_sent_at
from trustcycle.chasing.requests import (
    RequestError,
    RequestView,
    local_day,
    new_request,
    partner_ids,
    process_ids,
    view_of,
)
from trustcycle.chasing.rules import Owed
from trustcycle.config.asked import partners_asked
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import (
    AuditLog,
    ContributionRequest,
    Partner,
    Process,
    RequestStatus,
    ReturnVersion,
)
from trustcycle.notices import late_return_notice
from trustcycle.outbox import enqueue_many

PROCESSED = "processed"


@dataclass(frozen=True)
class Recorded:
    """A return version just stored."""

    request: RequestView
    version: int
    sha256: str
    outbox_id: int | None


def resolve_owed(cfg: TrustConfig, process: str, partner: str, return_id: str | None) -> Owed:
    """Check the process, partner and return by name; default the return when only one."""
    proc = cfg.processes.get(process)
    if proc is None or not proc.returns:
        raise RequestError(f"unknown process {process!r}")
    if partner not in cfg.partners:
        raise RequestError(f"unknown partner {partner!r}")
    ids = [r.id for r in proc.returns]
    if return_id is None:
        if len(ids) != 1:
            raise RequestError(f"process {process!r} asks several returns; give one of {ids}")
        return_id = ids[0]
    if return_id not in ids:
        raise RequestError(f"process {process!r} asks no return {return_id!r}")
    spec = next(r for r in proc.returns if r.id == return_id)
    if partner not in partners_asked(cfg, spec):
        raise RequestError(f"partner {partner!r} is not asked for {process}/{return_id}")
    return Owed(process, partner, return_id)


def find_or_open(session: Session, cfg: TrustConfig, owed: Owed, *, now: datetime,
                 year: int | None = None) -> ContributionRequest:
    """The request for `owed`; one is opened silently if the partner answers before it."""
    processes, partners = process_ids(session, cfg, year), partner_ids(session, cfg)
    if owed.process not in processes:
        raise RequestError(f"process {owed.process!r} is not in cycle year {year or 'current'}")
    if owed.partner not in partners:
        raise RequestError(f"unknown partner {owed.partner!r}")
    row = session.scalars(
        select(ContributionRequest).where(
            ContributionRequest.process_id == processes[owed.process],
            ContributionRequest.partner_id == partners[owed.partner],
            ContributionRequest.return_id == owed.return_id,
        )
    ).one_or_none()
    if row is not None:
        return row
    dates = resolve_year(cfg, year)
    if owed.process not in dates:
        raise RequestError(f"process {owed.process!r} is not active in that cycle year")
    view = new_request(session, owed, dates[owed.process], processes, partners, now=now)
    return session.get_one(ContributionRequest, view.id)


def read_payload(file_path: Path | None, payload: dict[str, Any] | None) -> tuple[bytes, dict]:
    """The bytes fingerprinted and the JSON stored: a file's, or the payload's canonical form."""
    if (file_path is None) == (payload is None):
        raise RequestError("give exactly one of a file or a JSON payload")
    if payload is not None:
        if not isinstance(payload, dict):
            raise RequestError("the JSON payload must be an object")
        return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode(), payload
    assert file_path is not None
    if not file_path.is_file():
        raise RequestError(f"no such file {str(file_path)!r}")
    data = file_path.read_bytes()
    if file_path.suffix.lower() == ".json":
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise RequestError(f"{file_path.name}: not valid JSON ({exc})") from None
        return data, parsed if isinstance(parsed, dict) else {"data": parsed}
    return data, {"filename": file_path.name, "bytes": len(data)}


def record_return(
    session: Session,
    cfg: TrustConfig,
    owed: Owed,
    *,
    now: datetime,
    actor: str,
    channel: str,
    payload: dict[str, Any] | None = None,
    file_path: Path | None = None,
    store: Path = Path("var/returns"),
    year: int | None = None,
) -> Recorded:
    """Store a new version of a return, mark its request received, audit it, queue a receipt."""

    data, stored = read_payload(file_path, payload)
    digest = hashlib.sha256(data).hexdigest()
    request = find_or_open(session, cfg, owed, now=now, year=year)
    version = 1 + (session.scalar(
        select(func.max(ReturnVersion.version))
        .where(ReturnVersion.contribution_request_id == request.id)
    ) or 0)
    kept: str | None = None
    if file_path is not None:
        # Content-addressed copy: the partner's file may be edited or moved later.
        store.mkdir(parents=True, exist_ok=True)
        target = store / f"{digest}{file_path.suffix.lower()}"
        if not target.exists():
            shutil.copyfile(file_path, target)
        kept = str(target)
    session.add(ReturnVersion(
        contribution_request_id=request.id, version=version, received_at=now, channel=channel,
        file_path=kept, sha256=digest, payload=stored, recorded_by=actor,
    ))
    previous = request.status
    request.status = RequestStatus.received.value
    session.add(AuditLog(
        at=now, actor=actor, action="return.recorded", entity="contribution_request",
        entity_id=str(request.id),
        detail={"version": version, "sha256": digest, "channel": channel,
                "status": [previous, request.status],
                "file": file_path.name if file_path else None},
    ))
    session.flush()
    view = view_of(request, owed.process, owed.partner)
    message = receipt_email(session, cfg, view, version=version, sha256=digest, now=now)
    if version == 1:  # a first return after the papers went: the papers lack it
        alert_if_after_papers(session, cfg, owed, now=now, year=year)
    return Recorded(view, version, digest, message.id if message else None)


def alert_if_after_papers(session: Session, cfg: TrustConfig, owed: Owed, *, now: datetime,
                          year: int | None) -> None:
    """Queue the officer's alert (once per return) when the process's papers have gone."""
    sent = papers_sent_at(session, cfg, year).get(owed.process)
    if sent is None or now <= sent:
        return
    cycle = year if year is not None else cfg.trust.cycle_year
    enqueue_many(session, [late_return_notice(
        cfg, owed.process, owed.partner, owed.return_id, cycle, local_day(now),
        local_day(sent), now=now)])


def waive_return(session: Session, cfg: TrustConfig, owed: Owed, *, reason: str,
                 now: datetime, actor: str, year: int | None = None) -> RequestView:
    """Waive a return (with a reason): it is chased no more and not counted missing."""
    reason = reason.strip()
    if not reason:
        raise RequestError("a waiver needs a reason")
    request = find_or_open(session, cfg, owed, now=now, year=year)
    previous = request.status
    request.status = RequestStatus.waived.value
    request.waived_reason = reason
    session.add(AuditLog(
        at=now, actor=actor, action="return.waived", entity="contribution_request",
        entity_id=str(request.id), detail={"reason": reason, "status": [previous, "waived"]},
    ))
    session.flush()
    return view_of(request, owed.process, owed.partner)


@dataclass(frozen=True)
class ReturnRow:
    """One line of `trustcycle returns list`."""

    process: str
    partner: str
    return_id: str
    status: str
    versions: int
    latest_sha256: str | None


def list_requests(session: Session, cfg: TrustConfig, process: str | None = None,
                  year: int | None = None) -> list[ReturnRow]:
    """Every request of the cycle year (optionally one process), with its latest version."""
    processes = process_ids(session, cfg, year)
    if process is not None and process not in processes:
        raise RequestError(f"unknown process {process!r}")
    wanted = [processes[process]] if process else list(processes.values())
    latest = (
        select(ReturnVersion.contribution_request_id.label("rid"),
               func.max(ReturnVersion.version).label("v"))
        .group_by(ReturnVersion.contribution_request_id).subquery()
    )
    query = (
        select(Process.config_id, Partner.config_id, ContributionRequest.return_id,
               ContributionRequest.status, latest.c.v, ReturnVersion.sha256)
        .join(Process, ContributionRequest.process_id == Process.id)
        .join(Partner, ContributionRequest.partner_id == Partner.id)
        .outerjoin(latest, latest.c.rid == ContributionRequest.id)
        .outerjoin(ReturnVersion, (ReturnVersion.contribution_request_id == ContributionRequest.id)
                   & (ReturnVersion.version == latest.c.v))
        .where(ContributionRequest.process_id.in_(wanted))
        .order_by(Process.config_id, Partner.config_id, ContributionRequest.return_id)
    )
    return [ReturnRow(p, q, r, s, v or 0, h) for p, q, r, s, v, h in session.execute(query)]


# --- the inbox folder: var/inbox/<process>/<partner>/ ------------------------------------


@dataclass(frozen=True)
class InboxFile:
    """A file waiting in the inbox, and the return it answers (or why it cannot be read)."""

    path: Path
    owed: Owed | None
    problem: str | None = None


def scan_inbox(cfg: TrustConfig, inbox: Path) -> list[InboxFile]:
    """Files waiting under `inbox/<process>/<partner>/`; the return is the file name's stem
    prefix when a process asks several (e.g. `needs_data.xlsx`)."""
    found: list[InboxFile] = []
    if not inbox.is_dir():
        return found
    for path in sorted(inbox.glob("*/*/*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        process, partner = path.parent.parent.name, path.parent.name
        proc = cfg.processes.get(process)
        ids = [r.id for r in proc.returns] if proc else []
        return_id = next((r for r in ids if path.stem.startswith(r)), None)
        if return_id is None and len(ids) == 1:
            return_id = ids[0]
        try:
            found.append(InboxFile(path, resolve_owed(cfg, process, partner, return_id)))
        except RequestError as exc:
            found.append(InboxFile(path, None, str(exc)))
    return found


def move_processed(path: Path) -> Path:
    """Move a recorded inbox file into the `processed/` subfolder, never overwriting."""
    folder = path.parent / PROCESSED
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    path.rename(target)
    return target


@dataclass(frozen=True)
class SweepReport:
    """What one sweep of the inbox did."""

    recorded: list[Recorded]
    duplicates: list[Path]
    problems: list[tuple[Path, str]]


def already_recorded(session: Session, cfg: TrustConfig, owed: Owed, digest: str) -> bool:
    """True when the request's latest version has these bytes (a crash between the commit
    and the move to `processed/` must not make a second version)."""
    processes, partners = process_ids(session, cfg), partner_ids(session, cfg)
    latest = session.scalar(
        select(ReturnVersion.sha256)
        .join(ContributionRequest)
        .where(ContributionRequest.process_id == processes.get(owed.process, -1),
               ContributionRequest.partner_id == partners.get(owed.partner, -1),
               ContributionRequest.return_id == owed.return_id)
        .order_by(ReturnVersion.version.desc()).limit(1)
    )
    return latest == digest


def sweep_inbox(sessions: Any, cfg: TrustConfig, inbox: Path, *, now: datetime,
                actor: str = "inbox", store: Path = Path("var/returns")) -> SweepReport:
    """Record each new inbox file as a new version (one unit of work each), then move it."""
    recorded: list[Recorded] = []
    duplicates: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for item in scan_inbox(cfg, inbox):
        if item.owed is None:
            problems.append((item.path, item.problem or "unreadable"))
            continue
        digest = hashlib.sha256(item.path.read_bytes()).hexdigest()
        try:
            with sessions.begin() as session:
                if already_recorded(session, cfg, item.owed, digest):
                    duplicates.append(item.path)
                else:
                    recorded.append(record_return(
                        session, cfg, item.owed, now=now, actor=actor, channel="inbox",
                        file_path=item.path, store=store))
        except RequestError as exc:
            problems.append((item.path, str(exc)))
            continue
        move_processed(item.path)
    return SweepReport(recorded, duplicates, problems)
