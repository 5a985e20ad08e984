"""Assemble a statutory paper, have the contact officer sign it off, and send it to the
receiving body by the papers deadline (LGA 1972 s100B: 5 clear days before the meeting).

Sign-off without holding a process: run from a deployment, the flow *suspends* (no
process, no worker slot held) with a `SignOff` form in the Prefect UI. When the officer
submits it, Prefect reschedules the run and the flow runs again from the top: the draft
tasks return their persisted results (unless a return changed meanwhile), each earlier
round's `suspend_flow_run` returns the decision already given (one pause key per round),
and the flow carries on from the first round not yet answered. "Request changes" audits
the comment and asks again about the draft rebuilt from the latest returns; an approval
of a version that is no longer the latest is asked again too.

Outside a deployment (tests, the simulated year) `approval="auto"` approves at once, and
`decisions=[...]` supplies the officer's answers round by round.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from typing import Literal

from prefect import flow, get_run_logger
from prefect.context import FlowRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.states import Completed, State

from tasks.drafts import (
    DraftSummary,
    assemble_version,
    fingerprint_inputs,
    publish_draft_artifacts,
    trust_config,
)
from tasks.mail import deliver_outbox
from tasks.notify import queue_papers, record_signoff
from trustcycle import clock
from trustcycle.clock import FixedClock, use_clock
from trustcycle.papers_mail import papers_deadline
from trustcycle.timeline import resolve_process

MAX_ROUNDS = 20
# The form stays open until the meeting (or publication), and at least a day: after the
# papers deadline an approval still lets the officer put it to the chair as a late item.
MIN_TIMEOUT_SECONDS = 24 * 3600


class SignOff(RunInput):
    """The contact officer's decision on a draft, as a form in the Prefect UI."""

    decision: Literal["approve", "request_changes"] = "approve"
    comment: str = ""
    officer: str = ""
    version: int = 0  # the draft version the officer read (pre-filled; 0: whichever)


def _run_id() -> str:
    ctx = FlowRunContext.get()
    return str(ctx.flow_run.id) if ctx and ctx.flow_run else "local"


def _ask(draft: DraftSummary, round_no: int, officer: str, timeout: int) -> SignOff:
    """Suspend the run until the officer answers this round's form in the Prefect UI."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None or ctx.flow_run.deployment_id is None:
        raise RuntimeError(
            "sign-off in the Prefect UI needs a run of the assemble-draft deployment; "
            "outside one pass approval='auto' or decisions=[...]")
    return suspend_flow_run(
        wait_for_input=SignOff.with_initial_data(
            description=f"Sign off draft v{draft.version} of {draft.process} {draft.year} "
                        f"(round {round_no}; {draft.missing} returns missing). Approve, or "
                        "request changes with a comment.",
            officer=officer, version=draft.version),
        timeout=timeout,
        key=f"signoff-{round_no}",
    )


@flow(name="assemble-draft", persist_result=True)
def assemble_draft(
    process: str,
    year: int | None = None,
    config_dir: str = "config",
    database_url: str | None = None,
    approval: Literal["ui", "auto"] = "ui",
    decisions: list[SignOff] | None = None,
    as_of: date | None = None,
) -> State:
    """Build the draft, get it signed off, and send the papers to the receiving body."""
    with use_clock(FixedClock.on(as_of)) if as_of else nullcontext():
        cfg = trust_config(config_dir)
        year = cfg.trust.cycle_year if year is None else year
        dates = resolve_process(cfg, process, year)
        answer_by = dates.meeting or papers_deadline(dates)
        given = list(decisions or [])
        run_id = _run_id()
        for round_no in range(1, MAX_ROUNDS + 1):
            now = clock.now()
            fingerprint = fingerprint_inputs(config_dir, database_url, process, year)
            draft = assemble_version(config_dir, database_url, process, year, fingerprint, now)
            publish_draft_artifacts(draft, round_no)
            if round_no <= len(given):
                answer = given[round_no - 1]
            elif approval == "auto":
                answer = SignOff(decision="approve", officer="auto", version=draft.version,
                                 comment="approved automatically (simulation)")
            else:
                timeout = max(MIN_TIMEOUT_SECONDS, int((answer_by - now).total_seconds()))
                answer = _ask(draft, round_no, cfg.trust.officer.email, timeout)
            read = answer.version or draft.version  # the version the officer read
            stale = answer.decision == "approve" and read != draft.version
            comment = (f"approved v{read}, but v{draft.version} is now the latest: asked again"
                       if stale else answer.comment)
            record_signoff(config_dir, database_url, process, year, read,
                           "request_changes" if stale else answer.decision,
                           answer.officer or "unknown", comment, f"{run_id}:{round_no}",
                           clock.now())
            if answer.decision == "approve" and not stale:
                break
            get_run_logger().info("Round %s: changes requested on v%s: %s", round_no,
                                  draft.version, answer.comment)
        else:
            return Completed(name="SignOffAbandoned",
                             message=f"no approval after {MAX_ROUNDS} rounds")
        now = clock.now()
        sent = queue_papers(config_dir, database_url, process, year, draft.version, now)
        deliver_outbox(database_url, now=now, officer_email=cfg.trust.officer.email)
        if sent["late"]:
            return Completed(
                name="PapersDeadlineMissed", data=sent,
                message=f"v{draft.version} approved after the papers deadline "
                        f"{sent['deadline']}: officer alerted, papers not sent")
        return Completed(name="PapersSent", data=sent,
                         message=f"v{draft.version} sent to {len(sent['recipients'])} "
                                 f"recipients by {sent['deadline']}")
