"""One flow per statutory process: collect the returns, then draft, sign off and send.

Each is idempotent and catches up to `as_of`: before the cut-off it reports who is still
awaited (the chase does the reminding); from the cut-off it proceeds with the gaps marked,
assembles the draft, asks the officer to sign it off and sends the papers. Run on any day,
it does exactly the steps now due. A revision of a process with `triggers` (the needs
assessment) re-opens the triggered ones (the child poverty strategy, CPA 2010 s23(4)).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from typing import Literal

from prefect import flow
from prefect.states import Completed, State
from prefect.utilities.annotations import quote

from flows.assemble_draft import assemble_draft
from flows.collect_returns import collect_returns
from tasks.chase import connect_database, load_trust_config
from tasks.mail import deliver_outbox
from tasks.processes import (
    preview_draft,
    publish_timeline,
    queue_review_notices,
    read_progress,
)
from trustcycle import clock
from trustcycle.clock import FixedClock, use_clock
from trustcycle.mail import DRY_RUN_DIR
from trustcycle.progress import reviews_triggered

Approval = Literal["ui", "auto"]
MAX_TRIGGER_DEPTH = 2  # the needs assessment re-opens the strategy, which triggers nothing


def run_statutory_process(
    process_id: str,
    as_of: date | None,
    dry_run: bool,
    config_dir: str,
    cycle_year: int | None,
    database_url: str | None,
    approval: Approval,
    depth: int = 0,
) -> State:
    """Collect, then (from the cut-off, or once every return is in) draft and send."""
    cfg = load_trust_config(config_dir)
    db = connect_database(database_url)
    year = cycle_year or cfg.trust.cycle_year
    publish_timeline(quote(cfg), year, clock.today(), process_id)
    if dry_run:
        # Render the draft from today's returns; collect-returns would mark gaps and mail
        # the officer, assemble-draft would store and send: neither runs in a dry run.
        files = preview_draft(quote(db), quote(cfg), process_id, year, str(DRY_RUN_DIR / "drafts"))
        return Completed(name="DryRun", message="draft preview: " + ", ".join(files))
    collected = collect_returns(
        process_id,
        as_of=as_of,
        config_dir=config_dir,
        database_url=database_url,
        return_state=True,
    )
    if collected.name == "AwaitingReturns":
        return collected
    before = read_progress(quote(db), quote(cfg), year)
    sent = assemble_draft(
        process_id,
        year=year,
        config_dir=config_dir,
        database_url=database_url,
        approval=approval,
        as_of=as_of,
        return_state=True,
    )
    after = read_progress(quote(db), quote(cfg), year)
    versions = (
        before[process_id].drafts if process_id in before else 0,
        after[process_id].drafts if process_id in after else 0,
    )
    triggered = reviews_triggered(cfg, process_id, *versions, after)
    if triggered and depth < MAX_TRIGGER_DEPTH:
        queue_review_notices(quote(db), quote(cfg), process_id, versions[1], triggered, clock.now())
        deliver_outbox(quote(db), now=clock.now(), officer_email=cfg.trust.officer.email)
        for pid in triggered:
            run_statutory_process(
                pid, as_of, False, config_dir, year, database_url, approval, depth + 1
            )
    return sent


def _process_flow(name: str, kind: str):  # type: ignore[no-untyped-def]
    @flow(name=name, description=f"The {kind.replace('_', ' ')} process of the cycle year.")
    def process_flow(
        process_id: str = kind,
        as_of: date | None = None,
        dry_run: bool = False,
        config_dir: str = "config",
        cycle_year: int | None = None,
        database_url: str | None = None,
        approval: Approval = "ui",
    ) -> State:
        with use_clock(FixedClock.on(as_of)) if as_of else nullcontext():
            state = run_statutory_process(
                process_id, as_of, dry_run, config_dir, cycle_year, database_url, approval
            )
        return Completed(name=state.name or "Completed", message=state.message)

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
