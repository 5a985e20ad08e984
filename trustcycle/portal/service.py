"""The portal's units of work: read a request for its page, and record a submission.

Recording goes through `trustcycle.chasing.returns.record_return` (the one path that stores a
return, audits it, queues the receipt and stops the chase); this module only adds the
uploaded files, which it stores durably before the database transaction begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload, selectinload

from trustcycle import TIMEZONE
from trustcycle.calendar import clock
from trustcycle.chasing.returns import record_return
from trustcycle.chasing.rules import Owed
from trustcycle.config.loader import TrustConfig
from trustcycle.db import Database
from trustcycle.db.models import ContributionRequest, Process, ReturnVersion
from trustcycle.portal.forms import Ask, PriorityAsk, Seat
from trustcycle.portal.uploads import StoredFile

ACTOR = "portal"
CHANNEL = "portal"
_ATTEMPTS = 3


@dataclass(frozen=True)
class Previous:
    """A version already received, as shown to the partner."""

    version: int
    received: str
    channel: str
    sha256: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class RequestPage:
    """Everything the request page shows about one request."""

    token: str
    status: str
    trust_name: str
    officer_name: str
    officer_email: str
    partner_name: str
    process_title: str
    legal_basis: str
    return_title: str
    return_description: str
    deadline: str
    deadline_passed: bool
    ask: Ask
    previous: list[Previous]


def load_request(session: Session, token: str) -> ContributionRequest | None:
    """The request a token opens, with what its page needs loaded."""
    return session.scalars(
        select(ContributionRequest)
        .where(ContributionRequest.token == token)
        .options(
            joinedload(ContributionRequest.process).joinedload(Process.cycle_year),
            joinedload(ContributionRequest.partner),
            selectinload(ContributionRequest.versions),
        )
    ).one_or_none()


def ask_for(cfg: TrustConfig, request: ContributionRequest) -> Ask:
    """What the form asks this request's partner, from the configuration."""
    return ask_from_config(cfg, request.process.kind, request.partner.config_id)


def ask_from_config(cfg: TrustConfig, kind: str, partner: str) -> Ask:
    """What a form of `kind` asks `partner`: the priorities it leads, the seats it holds."""
    priorities = [
        PriorityAsk(
            pid,
            p.title,
            p.indicator.name if p.indicator else None,
            p.indicator.target if p.indicator else None,
            p.indicator.unit if p.indicator else None,
        )
        for pid, p in cfg.priorities.items()
        if p.lead_partner == partner
    ]
    seats = [
        Seat(
            bid,
            body.name,
            m.person.name,
            m.person.email,
            m.role,
            m.deputy.name if m.deputy else "",
            m.deputy.email if m.deputy else "",
            m.term_end.isoformat() if m.term_end else "",
            index,
        )
        for bid, body in cfg.bodies.items()
        for index, m in enumerate((m for m in body.members if m.partner == partner), start=1)
    ]
    return Ask(kind, priorities, seats)


def _local(when: Any) -> str:
    """An instant as the GOV.UK style writes it in London time: "Thursday 17 June 2010 at 5pm"."""
    at = pendulum.instance(when).in_timezone(TIMEZONE)
    time = at.format("h:mmA" if at.minute else "hA").lower()
    return f"{at.format('dddd D MMMM YYYY')} at {time}"


def request_page(cfg: TrustConfig, request: ContributionRequest) -> RequestPage:
    """The page model of a request (what, why, by when, and what was sent before)."""
    process = request.process
    spec = cfg.processes.get(process.config_id)
    ret = next((r for r in spec.returns if r.id == request.return_id), None) if spec else None
    previous = [
        Previous(v.version, _local(v.received_at), v.channel, v.sha256, v.payload)
        for v in reversed(request.versions)
    ]
    return RequestPage(
        token=request.token,
        status=request.status,
        trust_name=cfg.trust.name,
        officer_name=cfg.trust.officer.name,
        officer_email=cfg.trust.officer.email,
        partner_name=request.partner.name,
        process_title=process.title,
        legal_basis=process.legal_basis,
        return_title=ret.title if ret else request.return_id,
        return_description=ret.description if ret else "",
        deadline=_local(request.deadline_at),
        deadline_passed=clock.now() > request.deadline_at,
        ask=ask_for(cfg, request),
        previous=previous,
    )


def read_page(database: Database, cfg: TrustConfig, token: str) -> RequestPage | None:
    """Load a request's page model in a read-only unit of work."""
    with database.sessions() as session:
        request = load_request(session, token)
        return None if request is None else request_page(cfg, request)


def record_submission(
    database: Database,
    cfg: TrustConfig,
    token: str,
    payload: dict[str, Any],
    files: list[StoredFile],
) -> int:
    """Record a validated submission as a new version; return its version number."""
    payload = {**payload, "files": [f.as_payload() for f in files]}
    for attempt in range(_ATTEMPTS):
        try:
            with database.immediate() as session:
                return _record(session, cfg, token, payload, files)
        except (IntegrityError, OperationalError):
            # Two submissions of one request raced for the same version number (or SQLite
            # was locked past its busy timeout): the loser retries as the next version.
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _record(
    session: Session,
    cfg: TrustConfig,
    token: str,
    payload: dict[str, Any],
    files: list[StoredFile],
) -> int:
    # Lock the request row (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises) so two
    # submissions of one request take consecutive version numbers instead of colliding.
    session.execute(
        select(ContributionRequest.id).where(ContributionRequest.token == token).with_for_update()
    )
    request = load_request(session, token)
    if request is None:
        raise LookupError("request vanished")
    owed = Owed(request.process.config_id, request.partner.config_id, request.return_id)
    recorded = record_return(
        session,
        cfg,
        owed,
        now=clock.now(),
        actor=ACTOR,
        channel=CHANNEL,
        payload=payload,
        year=request.process.cycle_year.year,
    )
    if files:
        # The payload (with each file's sha256) is what record_return fingerprints; the row
        # also points at the main document so a reader can open it directly.
        row = session.scalars(
            select(ReturnVersion).where(
                ReturnVersion.contribution_request_id == request.id,
                ReturnVersion.version == recorded.version,
            )
        ).one()
        row.file_path = str(files[-1].path)
    return recorded.version


def remove_files(files: list[StoredFile]) -> None:
    """Delete files stored for a submission whose database write failed."""
    for f in files:
        Path(f.path).unlink(missing_ok=True)
