"""The step that needs the returns: re-check on schedule while any are missing, then proceed.

Before the cut-off, with returns missing, the run ends at once in the named state
`AwaitingReturns` and (from a deployment) schedules its own re-check for the next working
day at 09:00 Europe/London: nothing is held open for days. At the cut-off it ends
`ProceedingWithGaps`, the gaps marked and the officer told which returns are missing.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from prefect import flow, runtime
from prefect.states import Completed, State
from prefect.utilities.annotations import quote

from flows.chase_returns import table_rows
from tasks.chase import open_trust, publish_artifacts, read_request_table
from tasks.mail import deliver_outbox
from tasks.returns import ReceivedReturn, close_collection, read_received, schedule_recheck
from trustcycle import clock
from trustcycle.clock import FixedClock, use_clock
from trustcycle.requests import local_day
from trustcycle.timeline import resolve_year
from trustcycle.workdays import add_working_days, at_local


@dataclass
class CollectionResult:
    """What the drafts step needs: the returns in hand and the gaps, by partner."""

    process: str
    as_of: date
    status: Literal["complete", "awaiting", "gaps"]
    received: list[ReceivedReturn] = field(default_factory=list)
    waived: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    outstanding: list[tuple[str, str]] = field(default_factory=list)
    recheck_at: datetime | None = None
    recheck_flow_run_id: str | None = None


def next_recheck(today: date) -> datetime:
    """09:00 Europe/London on the next working day (the chase's own hour)."""
    return at_local(add_working_days(today, 1), 9)  # type: ignore[arg-type]


def own_deployment() -> str | None:
    """"flow-name/deployment-name" when this run came from a deployment, else None."""
    name = runtime.deployment.name
    return f"{runtime.flow_run.flow_name}/{name}" if name else None


@flow(name="collect-returns")
def collect_returns(
    process_id: str,
    as_of: date | None = None,
    config_dir: str = "config",
    database_url: str | None = None,
    recheck_deployment: str | None = None,
) -> State:
    """Gather a process's returns; wait (by rescheduling) or proceed with the gaps marked."""
    with use_clock(FixedClock.on(as_of)) if as_of else nullcontext():
        now = clock.now()
        cfg, db = open_trust(config_dir, database_url, now)
        dates = resolve_year(cfg)[process_id]
        assert dates.cutoff is not None
        today = now.date()
        result = CollectionResult(process_id, today, "awaiting")
        if today >= local_day(dates.cutoff):
            if close_collection(quote(db), quote(cfg), process_id, now) is not None:
                deliver_outbox(quote(db), now=now, officer_email=cfg.trust.officer.email)
        rows = read_request_table(quote(db), quote(cfg), today, process_id)
        result.received = read_received(quote(db), quote(cfg), process_id)
        result.waived = [(r.partner, r.return_id) for r in rows if r.status == "waived"]
        result.missing = [(r.partner, r.return_id) for r in rows if r.status == "missing"]
        result.outstanding = [(r.partner, r.return_id) for r in rows if r.status == "open"]
        publish_artifacts(quote(table_rows(rows)), _markdown(result),
                          f"Returns for {process_id} as of {today}", key="collect")
        if today >= local_day(dates.cutoff):
            result.status = "gaps" if result.missing else "complete"
            if result.missing:
                return Completed(name="ProceedingWithGaps", data=result,
                                 message="Missing: " + _who(result.missing))
            return Completed(name="ReturnsComplete", data=result, message="All returns in")
        if rows and not result.outstanding:
            result.status = "complete"
            return Completed(name="ReturnsComplete", data=result, message="All returns in")
        deployment = recheck_deployment or own_deployment()
        result.recheck_at = next_recheck(today)
        if deployment is not None:
            params = {"process_id": process_id, "config_dir": config_dir,
                      "database_url": database_url, "recheck_deployment": recheck_deployment,
                      "as_of": result.recheck_at.date().isoformat() if as_of else None}
            result.recheck_flow_run_id = schedule_recheck(deployment, result.recheck_at, params)
        waiting = _who(result.outstanding) if rows else "requests not yet opened"
        return Completed(name="AwaitingReturns", data=result,
                         message=f"Awaiting returns from: {waiting}; re-check "
                                 f"{result.recheck_at.isoformat()}")


def _who(items: list[tuple[str, str]]) -> str:
    return ", ".join(f"{partner} ({ret})" for partner, ret in items)


def _markdown(r: CollectionResult) -> str:
    return (f"# Returns for {r.process} as of {r.as_of}\n\n"
            f"- received: {len(r.received)}\n- waived: {len(r.waived)}\n"
            f"- outstanding: {_who(r.outstanding) or 'none'}\n"
            f"- missing at the cut-off: {_who(r.missing) or 'none'}\n")
