"""The step that needs the returns: re-check on schedule while any are missing, then proceed.

Before the cut-off, with returns missing, the run ends at once in the named state
`AwaitingReturns` and (from a deployment) schedules its own re-check for the next working
day at 09:00 Europe/London: nothing is held open for days. At the cut-off it ends
`ProceedingWithGaps`, the gaps marked and the officer told which returns are missing.
"""

from __future__ import annotations

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
from trustcycle.calendar import clock
from trustcycle.calendar.timeline import resolve_year
from trustcycle.calendar.workdays import WorkingDays, at_local, for_trust
from trustcycle.chasing.requests import local_day
from trustcycle.config import TrustConfig


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


def next_recheck(today: date, days: WorkingDays) -> datetime:
    """09:00 Europe/London on the next working day (the chase's own hour)."""
    return at_local(days.add_working_days(today, 1), 9)  # type: ignore[arg-type]


def own_deployment() -> str | None:
    """"flow-name/deployment-name" when this run came from a deployment, else None."""
    name = runtime.deployment.name
    return f"{runtime.flow_run.flow_name}/{name}" if name else None


@flow(name="collect-returns")
def collect_returns(
    process_id: str,
    as_of: date | None = None,
    config_dir: str = "config",
    cycle_year: int | None = None,
) -> State:
    """Gather a process's returns; wait (by rescheduling) or proceed with the gaps marked."""
    now = clock.now()  # the wall clock: what is recorded carries it
    today = clock.planning_day(as_of)  # which steps are due
    cfg, db = open_trust(config_dir, None, now, cycle_year, today)
    year = cfg.trust.cycle_year
    dates = resolve_year(cfg, year).get(process_id)
    if dates is None or dates.cutoff is None:
        raise ValueError(f"{process_id!r} is not a process with returns in {year}")
    result = CollectionResult(process_id, today, "awaiting")
    closed = today >= local_day(dates.cutoff)
    if closed and close_collection(quote(db), quote(cfg), process_id, now, today) is not None:
        deliver_outbox(quote(db), officer_email=cfg.trust.officer.email)
    rows = read_request_table(quote(db), quote(cfg), today, process_id)
    result.received = read_received(quote(db), quote(cfg), process_id)
    result.waived = [(r.partner, r.return_id) for r in rows if r.status == "waived"]
    result.missing = [(r.partner, r.return_id) for r in rows if r.status == "missing"]
    result.outstanding = [(r.partner, r.return_id) for r in rows if r.status == "open"]
    publish_artifacts(quote(table_rows(cfg, rows)), _markdown(cfg, result),
                      f"Returns for {cfg.processes[process_id].title} as of {today}",
                      key="collect")
    if closed:
        result.status = "gaps" if result.missing or result.outstanding else "complete"
        gaps = result.missing + result.outstanding
        if gaps:
            return Completed(name="ProceedingWithGaps", data=result,
                             message="Missing: " + _who(cfg, gaps))
        return Completed(name="ReturnsComplete", data=result, message="All returns in")
    if rows and not result.outstanding:
        result.status = "complete"
        return Completed(name="ReturnsComplete", data=result, message="All returns in")
    deployment = own_deployment()
    result.recheck_at = next_recheck(today, for_trust(cfg))
    if deployment is not None and as_of is None:
        params = {"process_id": process_id, "config_dir": config_dir, "cycle_year": year}
        result.recheck_flow_run_id = schedule_recheck(deployment, result.recheck_at, params)
    waiting = _who(cfg, result.outstanding) if rows else "requests not yet opened"
    return Completed(name="AwaitingReturns", data=result,
                     message=f"Awaiting returns from: {waiting}; re-check "
                             f"{result.recheck_at.isoformat()}")


def _who(cfg: TrustConfig, items: list[tuple[str, str]]) -> str:
    def name(partner: str) -> str:
        return cfg.partners[partner].name if partner in cfg.partners else partner
    return ", ".join(f"{name(partner)} ({ret})" for partner, ret in items)


def _markdown(cfg: TrustConfig, r: CollectionResult) -> str:
    return (f"# Returns for {cfg.processes[r.process].title} as of {r.as_of}\n\n"
            f"- received: {len(r.received)}\n- waived: {len(r.waived)}\n"
            f"- outstanding: {_who(cfg, r.outstanding) or 'none'}\n"
            f"- missing at the cut-off: {_who(cfg, r.missing) or 'none'}\n")
