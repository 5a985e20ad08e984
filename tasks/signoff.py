"""Prefect tasks of sign-off: start (once) the run that waits for the officer, tell the
officer it waits, and remind them before the papers day.

Sign-off needs a run of the `assemble-draft` deployment: only a deployment's run can
suspend (no process held) and be resumed from the Prefect UI's form. So every path that
reaches sign-off (the cycle driver, a process's scheduled step, an officer's run) starts
that deployment with `run_deployment` rather than calling the flow as a subflow, and finds
the run already waiting instead of starting a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from prefect import runtime, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.settings import get_current_settings

from tasks.chase import read_config, shared_database
from trustcycle.calendar.timeline import resolve_process
from trustcycle.calendar.workdays import for_trust
from trustcycle.chasing.progress import progress
from trustcycle.notices import SignOffWait, papers_day, signoff_request
from trustcycle.outbox import enqueue_many
from trustcycle.papers.assemble import draft_content
from trustcycle.papers.signoff import reminder_due, signoff_tags

WAITING = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED]


@dataclass(frozen=True)
class SignOffRun:
    """The run of `assemble-draft` that holds (or will hold) a process's sign-off."""

    id: str
    name: str
    state: str
    link: str
    started: bool  # False: it was already there


def run_link(run_id: str) -> str:
    """The run's page in the Prefect UI (`PREFECT_UI_URL`, else the API's host)."""
    settings = get_current_settings()
    base = settings.ui_url or (settings.api.url or "http://127.0.0.1:4200/api").removesuffix(
        "/api")
    return f"{base.rstrip('/')}/runs/flow-run/{run_id}"


def _waiting_runs(tags: list[str]) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=tags),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=WAITING))))


def _count_runs(tags: list[str]) -> int:
    with get_client(sync_client=True) as client:
        return client.count_flow_runs(flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=tags)))


def assemble_deployment(trust: str) -> str:
    """`assemble-draft/<trust>` when this run came from one of the trust's own deployments
    (`trustcycle deploy`: many trusts on one server), else `assemble-draft/assemble-draft`."""
    from deployments.build import sibling_deployment

    return sibling_deployment("assemble-draft", trust, runtime.deployment.name)


@task(name="start-signoff", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def start_signoff_run(trust: str, process: str, year: int, config_dir: str) -> SignOffRun:
    """The process's waiting sign-off run, or a new run of the assemble-draft deployment."""
    tags = signoff_tags(trust, process, year)
    found = _waiting_runs(tags)
    if found:
        run = found[0]
        return SignOffRun(str(run.id), run.name, run.state_name or "", run_link(str(run.id)),
                          started=False)
    # Two starters at once (the cycle driver and an officer's run) get the same key, so
    # Prefect creates one run; the count makes a new key once the last run has ended.
    key = f"signoff:{trust}:{year}:{process}:{_count_runs(tags)}"
    run = run_deployment(name=assemble_deployment(trust), timeout=0, as_subflow=False, tags=tags,
                         idempotency_key=key,
                         parameters={"process_id": process, "cycle_year": year,
                                     "config_dir": config_dir})
    return SignOffRun(str(run.id), run.name, run.state_name or "", run_link(str(run.id)),
                      started=True)


@task(name="notify-signoff", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def queue_signoff_request(config_dir: str, wait: SignOffWait, now: datetime) -> int:
    """Queue (once per run and version) the officer's email: the draft and the link."""
    cfg = read_config(config_dir)
    db = shared_database()
    dates = resolve_process(cfg, wait.process, wait.year)
    with db.sessions.begin() as session:
        docx = draft_content(session, cfg, wait.process, wait.year, wait.version, "docx")
        ids = enqueue_many(session, [signoff_request(cfg, wait, dates, docx, now=now)])
    return next(iter(ids.values()))


@task(name="remind-signoff", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def remind_waiting_signoffs(config_dir: str, year: int, today: date,
                            now: datetime) -> list[str]:
    """Remind the officer of each draft still waiting when its papers day is near."""
    cfg = read_config(config_dir)
    db = shared_database()
    reminded = []
    for run in _waiting_runs(["trustcycle", cfg.trust.id, "signoff", f"cycle-year:{year}"]):
        if run.state_type is not StateType.PAUSED:
            continue  # not yet waiting for the officer
        process = next((t.split(":", 1)[1] for t in run.tags if t.startswith("process:")), "")
        if process not in cfg.processes:
            continue
        dates = resolve_process(cfg, process, year)
        left = reminder_due(today, papers_day(dates), for_trust(cfg))
        if left is None:
            continue
        with db.sessions.begin() as session:
            version = progress(session, cfg, year)[process].drafts
            if version < 1:
                continue
            docx = draft_content(session, cfg, process, year, version, "docx")
            wait = SignOffWait(process, year, version, None, str(run.id), run_link(str(run.id)))
            enqueue_many(session, [signoff_request(cfg, wait, dates, docx, now=now,
                                                   days_left=left)])
        reminded.append(process)
    return reminded
