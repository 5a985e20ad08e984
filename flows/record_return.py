"""Officers record (or waive) a partner's return from the Prefect UI: `record-return`."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow
from prefect.utilities.annotations import quote

from tasks.chase import connect_database, load_trust_config
from tasks.mail import deliver_outbox
from tasks.returns import record_return_version, waive_one_return
from trustcycle.calendar import clock
from trustcycle.chasing.return_shapes import (
    ReturnPayload,
    kind_problem,
    read_payload,
    stored_payload,
)
from trustcycle.chasing.returns import resolve_owed


@dataclass(frozen=True)
class RecordedReturn:
    """What the officer's run did."""

    process: str
    partner: str
    return_id: str
    status: str
    version: int | None
    sha256: str | None


# The payload is read by `read_payload` (one line naming the field and the rule), not by
# Prefect's parameter validation (a multi-line report): a run form sends it as JSON.
@flow(name="record-return", validate_parameters=False)
def record_return(
    process_id: str,
    partner_id: str,
    return_id: str | None = None,
    payload: ReturnPayload | None = None,
    file_path: str | None = None,
    waive_reason: str | None = None,
    config_dir: str = "config",
    actor: str = "officer (Prefect UI)",
) -> RecordedReturn:
    """Record a new version of a return (a typed payload or a file), or waive it with a
    reason. Exactly one of the three; anything else fails before anything is stored."""
    payload = read_payload(payload)
    given = [name for name, value in (("payload", payload), ("file_path", file_path),
                                      ("waive_reason", waive_reason)) if value]
    if len(given) != 1:
        raise ValueError("give exactly one of payload, file_path or waive_reason"
                         + (f" (got {', '.join(given)})" if given else " (the form was empty)"))
    cfg = load_trust_config(config_dir)
    # Checked before anything is stored: an unknown process, partner or return fails here.
    owed = resolve_owed(cfg, process_id, partner_id, return_id)
    if payload is not None:
        problem = kind_problem(payload.kind, cfg.processes[owed.process].kind.value)
        if problem:
            raise ValueError(problem)
    db = connect_database(None)
    now = clock.now()
    if waive_reason:
        view = waive_one_return(quote(db), quote(cfg), owed, now, reason=waive_reason,
                                actor=actor)
        return RecordedReturn(owed.process, owed.partner, owed.return_id, view.status, None, None)
    recorded = record_return_version(
        quote(db), quote(cfg), owed, now, actor=actor, channel="ui",
        payload=stored_payload(payload) if payload is not None else None, file_path=file_path)
    deliver_outbox(quote(db), officer_email=cfg.trust.officer.email)
    return RecordedReturn(owed.process, owed.partner, owed.return_id, "received",
                          recorded.version, recorded.sha256)
