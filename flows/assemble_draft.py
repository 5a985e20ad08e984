"""Assemble a statutory paper, have the contact officer sign it off, and send it to the
receiving body by the papers deadline (LGA 1972 s100B: 5 clear days before the meeting).

Sign-off without holding a process: this flow runs from its deployment (every path that
reaches sign-off starts it with `run_deployment`, see `tasks/signoff.py`), emails the
officer the draft and the link to the run, and *suspends* (no process, no worker slot held)
with a `SignOff` form in the Prefect UI. When the officer submits it, Prefect reschedules
the run and the flow runs again from the top: the draft tasks return their persisted
results (unless a return changed meanwhile), each earlier round's `suspend_flow_run`
returns the decision already given (one pause key per round), and the flow carries on
from the first round not yet answered. "Request changes" audits the comment and asks again
about the draft rebuilt from the latest returns; an approval of a version that is no
longer the latest is asked again too; an answer with no name, or a change request with
no comment, is asked again with the reason.

`TRUSTCYCLE_SIGNOFF=auto` (the simulator) approves at once; tests script the officer's
answers with `scripted_signoff(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.context import FlowRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.states import Completed, State
from prefect.utilities.annotations import quote
from pydantic import Field

from tasks.chase import connect_database
from tasks.drafts import (
    DraftSummary,
    assemble_version,
    fingerprint_inputs,
    publish_draft_artifacts,
    trust_config,
)
from tasks.mail import deliver_outbox
from tasks.notify import queue_papers, record_signoff
from tasks.processes import (
    preview_process,
    queue_addendum,
    queue_review_notices,
    read_progress,
)
from tasks.signoff import queue_signoff_request, run_link, start_signoff_run
from trustcycle.calendar import clock
from trustcycle.calendar.timeline import resolve_process
from trustcycle.chasing.progress import reviews_triggered
from trustcycle.config import TrustConfig
from trustcycle.config.years import cycle_year_of
from trustcycle.db import Database
from trustcycle.notices import SignOffWait, papers_day
from trustcycle.papers.mail import papers_deadline
from trustcycle.papers.signoff import answer_problem
from trustcycle.settings import run_settings

MAX_ROUNDS = 20
# The form stays open until the meeting (or publication), and at least a day: after the
# papers deadline an approval still lets the officer put it to the chair as a late item.
MIN_TIMEOUT_SECONDS = 24 * 3600


class SignOff(RunInput):
    """The contact officer's decision on a draft, as a form in the Prefect UI."""

    # No default: Resume then Submit must not approve a draft nobody read.
    decision: Literal["approve", "request_changes"] = Field(
        description="Approve sends the papers to the receiving body; request changes "
        "rebuilds the draft from the latest returns and asks you again.")
    officer: str = Field(
        min_length=2, max_length=200,
        description="Your name: recorded in the audit log and printed on the papers.")
    comment: str = Field(
        "", max_length=5000, description="What should change (required to request changes).")
    version: int = Field(0, description="The draft version you read (filled in for you).")


_scripted: ContextVar[list[SignOff] | None] = ContextVar("trustcycle_signoff", default=None)


@contextmanager
def scripted_signoff(*answers: SignOff) -> Iterator[None]:
    """Tests: the officer's answers, round by round, instead of the Prefect UI's form."""
    token = _scripted.set(list(answers))
    try:
        yield
    finally:
        _scripted.reset(token)


def _run_id() -> str:
    ctx = FlowRunContext.get()
    return str(ctx.flow_run.id) if ctx and ctx.flow_run else "local"


def _ask(draft: DraftSummary, round_no: int, officer: str, timeout: int,
         problem: str | None) -> SignOff:
    """Suspend the run until the officer answers this round's form in the Prefect UI."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None or ctx.flow_run.deployment_id is None:
        raise RuntimeError(
            "sign-off in the Prefect UI needs a run of the assemble-draft deployment "
            "(trustcycle serve starts one); the simulator sets TRUSTCYCLE_SIGNOFF=auto")
    again = f"Your last answer could not be taken: {problem}. " if problem else ""
    return suspend_flow_run(
        wait_for_input=SignOff.with_initial_data(
            description=f"{again}Sign off draft v{draft.version} of {draft.process} "
                        f"{draft.year} (round {round_no}; {draft.missing} returns missing). "
                        "Approve, or request changes with a comment.",
            version=draft.version),
        timeout=timeout,
        key=f"signoff-{round_no}",
    )


def _answer(draft: DraftSummary, round_no: int, officer: str, timeout: int,
            problem: str | None) -> SignOff:
    scripted = _scripted.get()
    if scripted is not None:
        if not scripted:
            raise RuntimeError(f"no scripted sign-off answer for round {round_no}")
        return scripted.pop(0)
    if run_settings().signoff == "auto":
        return SignOff(decision="approve", officer="auto (TRUSTCYCLE_SIGNOFF=auto)",
                       version=draft.version, comment="approved automatically (simulation)")
    return _ask(draft, round_no, officer, timeout, problem)


@flow(name="assemble-draft", persist_result=True)
def assemble_draft(
    process_id: str,
    dry_run: bool = False,
    config_dir: str = "config",
    cycle_year: int | None = None,
    addendum: bool = False,
) -> State:
    """Build the draft, get it signed off, and send the papers to the receiving body; with
    `addendum`, send the papers' addendum of the returns received since they went."""
    cfg = trust_config(config_dir)
    if process_id not in cfg.processes:
        raise ValueError(f"{config_dir}: no process {process_id!r} (one of "
                         f"{', '.join(cfg.processes)})")
    year = cycle_year or cycle_year_of(cfg, clock.today())
    if dry_run:
        files = preview_process(config_dir, process_id, year)
        return Completed(name="DryRun", data=files, message="nothing stored or sent; previews: "
                                                + ", ".join(files))
    db = connect_database(None)
    if addendum:
        sent = queue_addendum(config_dir, process_id, year, clock.now())
        if not sent["returns"]:
            return Completed(name="NothingToAdd", data=sent,
                             message="no return received since the papers went is unlisted")
        deliver_outbox(quote(db), officer_email=cfg.trust.officer.email)
        return Completed(name="AddendumSent", data=sent,
                         message=f"addendum {sent['number']} listing {len(sent['returns'])} "
                                 f"returns sent to {len(sent['recipients'])} recipients")
    dates = resolve_process(cfg, process_id, year)
    answer_by = dates.meeting or papers_deadline(dates)
    run_id = _run_id()
    problem: str | None = None
    round_no, approved = 0, None
    while round_no < MAX_ROUNDS and approved is None:
        round_no += 1
        fingerprint = fingerprint_inputs(config_dir, None, process_id, year)
        draft = assemble_version(config_dir, None, process_id, year, fingerprint, clock.now())
        publish_draft_artifacts(draft, round_no)
        if _scripted.get() is None and run_settings().signoff == "ui":
            wait = SignOffWait(process_id, year, draft.version, draft.missing, run_id,
                               run_link(run_id))
            queue_signoff_request(config_dir, wait, clock.now())
            deliver_outbox(quote(db), officer_email=cfg.trust.officer.email)
        timeout = max(MIN_TIMEOUT_SECONDS, int((answer_by - clock.now()).total_seconds()))
        answer = _answer(draft, round_no, cfg.trust.officer.email, timeout, problem)
        problem = answer_problem(answer.decision, answer.officer, answer.comment)
        if problem is not None:
            get_run_logger().warning("Round %s: answer not taken: %s", round_no, problem)
            continue
        read = answer.version or draft.version  # the version the officer read
        stale = answer.decision == "approve" and read != draft.version
        comment = (f"approved v{read}, but v{draft.version} is now the latest: asked again"
                   if stale else answer.comment)
        record_signoff(config_dir, None, process_id, year, read,
                       "request_changes" if stale else answer.decision,
                       answer.officer.strip(), comment, f"{run_id}:{round_no}", clock.now())
        if answer.decision == "approve" and not stale:
            approved = draft
        else:
            get_run_logger().info("Round %s: changes requested on v%s: %s", round_no,
                                  draft.version, answer.comment)
    if approved is None:
        return Completed(name="SignOffAbandoned", data={"rounds": MAX_ROUNDS},
                         message=f"no approval after {MAX_ROUNDS} rounds")
    return _send(config_dir, cfg, db, process_id, year, approved)


def _send(config_dir: str, cfg: TrustConfig, db: Database, process_id: str, year: int,
          draft: DraftSummary) -> State:
    """After approval: re-open what a revision triggers, and send the papers if their day
    has come (else they wait for it: the cycle driver and the papers-day step send them)."""
    before = draft.version - 1 if draft.created else draft.version
    triggered = reviews_triggered(cfg, process_id, before, draft.version,
                                  read_progress(quote(db), quote(cfg), year))
    if triggered:
        queue_review_notices(quote(db), quote(cfg), process_id, draft.version, triggered,
                             clock.now())
        deliver_outbox(quote(db), officer_email=cfg.trust.officer.email)
        if _scripted.get() is None and run_settings().signoff == "ui":
            for pid in triggered:  # CPA 2010 s23(5): each re-opened process asks again
                start_signoff_run(cfg.trust.id, pid, year, config_dir)
    return papers_when_due(config_dir, cfg, db, process_id, year, draft.version,
                           clock.today(), triggered)


def papers_when_due(config_dir: str, cfg: TrustConfig, db: Database, process_id: str,
                    year: int, version: int, today: date,
                    triggered: Sequence[str] = ()) -> State:
    """Send the approved version's papers (or publish it) when the papers day has come by
    `today`; before it, wait. After it they go at once, marked late, and the officer is
    alerted (LGA 1972 s100B(4)). Exactly once: every email and row is keyed."""
    dates = resolve_process(cfg, process_id, year)
    day = papers_day(dates)
    published = dates.meeting is None
    info: dict[str, Any] = {"process": process_id, "year": year, "version": version,
                            "papers_day": day.isoformat(), "late": False, "recipients": [],
                            "triggered": list(triggered)}
    if today < day:
        what = "publication" if published else "papers"
        return Completed(name="AwaitingPapersDay", data=info,
                         message=f"v{version} approved; the {what} go on {day}")
    sent = queue_papers(config_dir, None, process_id, year, version, clock.now())
    deliver_outbox(quote(db), officer_email=cfg.trust.officer.email)
    info.update(sent)
    name = ("Published" if published else "PapersSent") + ("Late" if sent["late"] else "")
    where = sent["url"] if published else f"{len(sent['recipients'])} recipients"
    late = f", after the {day} papers day: officer alerted" if sent["late"] else ""
    return Completed(name=name, data=info, message=f"v{version} sent to {where}{late}")
