"""One flow per statutory process: collect the returns, then draft, sign off and send.

Each is idempotent and catches up to `as_of`: before the cut-off it reports who is still
awaited (the chase does the reminding); from the cut-off it proceeds with the gaps marked,
assembles the draft, asks the officer to sign it off and sends the papers. Run on any day,
it does exactly the steps now due.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from prefect import flow
from prefect.states import Completed, State

from flows.assemble_draft import assemble_draft
from flows.collect_returns import collect_returns

Approval = Literal["ui", "auto"]


def run_statutory_process(
    process_id: str,
    as_of: date | None,
    dry_run: bool,
    config_dir: str,
    cycle_year: int | None,
    database_url: str | None,
    approval: Approval,
) -> State:
    """Collect, then (from the cut-off, or once every return is in) draft and send."""
    collected = collect_returns(
        process_id,
        as_of=as_of,
        config_dir=config_dir,
        database_url=database_url,
        return_state=True,
    )
    if collected.name == "AwaitingReturns" or dry_run:
        return collected
    return assemble_draft(
        process_id,
        year=cycle_year,
        config_dir=config_dir,
        database_url=database_url,
        approval=approval,
        as_of=as_of,
        return_state=True,
    )


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
