"""Officers record (or waive) a partner's return from the Prefect UI: `record-return`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect import flow
from prefect.utilities.annotations import quote

from tasks.chase import connect_database, load_trust_config
from tasks.mail import deliver_outbox
from tasks.returns import record_return_version, waive_one_return
from trustcycle import clock
from trustcycle.returns import resolve_owed


@dataclass(frozen=True)
class RecordedReturn:
    """What the officer's run did."""

    process: str
    partner: str
    return_id: str
    status: str
    version: int | None
    sha256: str | None


@flow(name="record-return")
def record_return(
    process_id: str,
    partner_id: str,
    return_id: str | None = None,
    payload: dict[str, Any] | None = None,
    file_path: str | None = None,
    waive_reason: str | None = None,
    config_dir: str = "config",
    database_url: str | None = None,
    actor: str = "officer (Prefect UI)",
) -> RecordedReturn:
    """Record a new version of a return (JSON payload or file), or waive it with a reason."""
    cfg = load_trust_config(config_dir)
    # Checked before anything is stored: an unknown process, partner or return fails here.
    owed = resolve_owed(cfg, process_id, partner_id, return_id)
    db = connect_database(database_url)
    now = clock.now()
    if waive_reason is not None:
        view = waive_one_return(quote(db), quote(cfg), owed, now, reason=waive_reason,
                                actor=actor)
        return RecordedReturn(owed.process, owed.partner, owed.return_id, view.status, None, None)
    recorded = record_return_version(quote(db), quote(cfg), owed, now, actor=actor, channel="ui",
                                     payload=payload, file_path=file_path)
    deliver_outbox(quote(db), now=now, officer_email=cfg.trust.officer.email)
    return RecordedReturn(owed.process, owed.partner, owed.return_id, "received",
                          recorded.version, recorded.sha256)
