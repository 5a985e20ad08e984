"""One flow per statutory process: collect the returns, then draft, sign off and send.

Each is idempotent and catches up to `as_of` (the planning day; what it records carries
the wall clock): before the cut-off it reports who is still awaited (the chase does the
reminding); from the cut-off it proceeds with the gaps marked and hands the draft to
sign-off, a run of the `assemble-draft` deployment that waits for the officer in the
Prefect UI. Approved papers go on the papers day (LGA 1972 s100B), sent by whichever run
comes first that day (the cycle driver or the process's papers step; keyed, so once), or
at once, marked late with the officer alerted, when approved after it; a published
document is published on its day. Run on any day, it does exactly the steps now due,
and a second run finds the sign-off already waiting. A revision of a process with
`triggers` (the needs assessment) re-opens the triggered ones (the child poverty
strategy, CPA 2010 s23(5)).

A failure is a FAILED run; waiting is a named state that never says "Failed".
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from prefect import flow
from prefect.exceptions import MissingResult
from prefect.states import Completed, State
from prefect.utilities.annotations import quote

from flows.assemble_draft import assemble_draft, papers_when_due
from flows.collect_returns import collect_returns
from tasks.chase import connect_database, load_trust_config
from tasks.processes import (
    approved_for_papers,
    draft_is_current,
    preview_process,
    publish_timeline,
)
from tasks.signoff import start_signoff_run
from trustcycle.calendar import clock
from trustcycle.config.years import cycle_year_of
from trustcycle.settings import run_settings

MAX_TRIGGER_DEPTH = 2  # the needs assessment re-opens the strategy, which triggers nothing


def own_state(state: State) -> State:
    """A subflow's end state as this run's own: the same type (a failure stays FAILED,
    waiting stays a named COMPLETED) and name. Returned as it is, Prefect would collapse an
    upstream state to a plain "Completed" or "Failed"."""
    try:
        # A failure's data is its exception: the run's result raises it, as Prefect's own.
        data = state.result(raise_on_failure=False)
    except MissingResult:
        data = None
    return State(type=state.type, name=state.name, message=state.message, data=data)


def run_statutory_process(
    process_id: str,
    as_of: date | None,
    dry_run: bool,
    config_dir: str,
    cycle_year: int | None,
    depth: int = 0,
) -> State:
    """Collect, then (from the cut-off, or once every return is in) hand over to sign-off."""
    cfg = load_trust_config(config_dir)
    if process_id not in cfg.processes:
        raise ValueError(f"{config_dir}: no process {process_id!r} (one of "
                         f"{', '.join(cfg.processes)})")
    day = clock.planning_day(as_of)
    year = cycle_year or cycle_year_of(cfg, day)
    publish_timeline(config_dir, year, day, process_id)
    if dry_run:
        # Collect-returns would mark gaps and mail the officer, sign-off would store a
        # version: neither runs in a dry run. The previews show what they would do.
        files = preview_process(config_dir, process_id, year)
        return Completed(name="DryRun", data=files, message="nothing stored or sent; previews: "
                                                + ", ".join(files))
    collected = collect_returns(process_id, as_of=day, config_dir=config_dir,
                                cycle_year=year, return_state=True)
    if not collected.is_completed() or collected.name == "AwaitingReturns":
        return own_state(collected)
    db = connect_database(None)
    if draft_is_current(quote(db), quote(cfg), process_id, year):
        return Completed(name="PapersAlreadySent", data={"process": process_id, "year": year},
                         message="papers sent; no return has changed since")
    approved = approved_for_papers(quote(db), quote(cfg), process_id, year)
    if approved is not None:  # signed off already: the papers go on their day
        return papers_when_due(config_dir, cfg, db, process_id, year, approved, day)
    if run_settings().signoff == "auto":
        return _signed_off_here(process_id, as_of, config_dir, year, depth)
    run = start_signoff_run(cfg.trust.id, process_id, year, config_dir)
    verb = "started" if run.started else "already waiting"
    return Completed(name="AwaitingSignOff", data=asdict(run),
                     message=f"sign-off {verb}: run {run.name} ({run.state}) {run.link}")


def _signed_off_here(process_id: str, as_of: date | None, config_dir: str, year: int,
                     depth: int) -> State:
    """The simulator's way (TRUSTCYCLE_SIGNOFF=auto): draft, approve and send in this run."""
    sent = assemble_draft(process_id, config_dir=config_dir, cycle_year=year,
                          return_state=True)
    if not sent.is_completed():
        return own_state(sent)
    data: Any = sent.result()
    triggered = data.get("triggered", []) if isinstance(data, dict) else []
    if depth < MAX_TRIGGER_DEPTH:
        for pid in triggered:
            state = run_statutory_process(pid, as_of, False, config_dir, year, depth + 1)
            if not state.is_completed():
                return state
    return own_state(sent)


def _process_flow(name: str, kind: str):  # type: ignore[no-untyped-def]
    @flow(name=name, description=f"The {kind.replace('_', ' ')} process of the cycle year.")
    def process_flow(
        process_id: str = kind,
        as_of: date | None = None,
        dry_run: bool = False,
        config_dir: str = "config",
        cycle_year: int | None = None,
    ) -> State:
        # The state the step ended in, as it is: a failure stays red.
        return run_statutory_process(process_id, as_of, dry_run, config_dir, cycle_year)

    process_flow.__name__ = kind
    return process_flow


membership_review = _process_flow("membership-review", "membership_review")
cypp_annual_review = _process_flow("cypp-annual-review", "cypp_annual_review")
joint_needs_analysis = _process_flow("joint-needs-analysis", "joint_needs_analysis")
child_poverty_strategy = _process_flow("child-poverty-strategy", "child_poverty_strategy")

PROCESS_FLOWS = {
    "membership_review": membership_review,
    "cypp_annual_review": cypp_annual_review,
    "joint_needs_analysis": joint_needs_analysis,
    "child_poverty_strategy": child_poverty_strategy,
}
