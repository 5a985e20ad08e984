"""Prefect tasks of the draft: fingerprint the inputs, build and store a version, and
leave the officer's preview in the UI. Each takes plain values (paths, URLs, ids) so its
inputs hash into a cache key and its result persists across a suspended run's resume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import INPUTS, NO_CACHE, RUN_ID, TASK_SOURCE

from tasks.chase import _retry_on_db_errors, read_config, shared_database
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.drafts.inputs import inputs_sha256
from trustcycle.papers.assemble import build_and_store, load_inputs


@dataclass(frozen=True)
class DraftSummary:
    """A stored draft version, as the flow passes it on (small and picklable)."""

    process: str
    year: int
    version: int
    returns_sha256: str
    markdown: str
    created: bool
    returns: list[dict[str, str]] = field(default_factory=list)
    title: str = ""  # the process's title, as officers read it

    @property
    def missing(self) -> int:
        return sum(1 for r in self.returns if r.get("Status") == "Missing")


def database(url: str | None) -> Database:
    """One migrated `Database` per URL per process (engines are pooled, not per task)."""
    return shared_database(url)


def trust_config(config_dir: str) -> TrustConfig:
    """The validated configuration, parsed again when a file changed (an officer's edit
    applies to the next run)."""
    return read_config(config_dir)


@task(name="fingerprint-draft-inputs", retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=_retry_on_db_errors,
      cache_policy=NO_CACHE)
def fingerprint_inputs(config_dir: str, database_url: str | None, process: str,
                       year: int) -> str:
    """The sha256 of the returns and attendance the draft would read now."""
    cfg = trust_config(config_dir)
    with database(database_url).sessions.begin() as session:
        return inputs_sha256(load_inputs(session, cfg, process, year))


# Keyed on the inputs' fingerprint, not on the instant: a resumed run reuses the version it
# built before suspending unless a return (or attendance) changed meanwhile.
@task(name="assemble-draft-version", retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=_retry_on_db_errors,
      persist_result=True, cache_policy=(INPUTS - "now") + TASK_SOURCE + RUN_ID)
def assemble_version(config_dir: str, database_url: str | None, process: str, year: int,
                     fingerprint: str, now: datetime) -> DraftSummary:
    """Build the draft in every format and store it as a new version if it changed."""
    cfg = trust_config(config_dir)
    with use_clock(FixedClock(now)), database(database_url).sessions.begin() as session:
        d = build_and_store(session, cfg, process, year, now=now)
    return DraftSummary(d.process, d.year, d.version, d.returns_sha256, d.markdown, d.created,
                        d.returns, cfg.processes[process].title)


@task(name="publish-draft-artifacts", retries=2, retry_delay_seconds=[2, 10],
      persist_result=True, cache_policy=INPUTS + TASK_SOURCE + RUN_ID)
def publish_draft_artifacts(draft: DraftSummary, round_no: int) -> str:
    """A markdown preview of the draft and a table of the returns used and missing."""
    key = f"draft-{draft.process.replace('_', '-')}-{draft.year}"
    create_markdown_artifact(
        key=key, markdown=draft.markdown,
        description=f"Draft version {draft.version} of the {draft.title or draft.process} "
                    f"{draft.year}-{(draft.year + 1) % 100:02d} (sign-off round {round_no})")
    create_table_artifact(
        key=f"{key}-returns", table=[{k: v or "none" for k, v in row.items()}
                                     for row in draft.returns],
        description=f"Returns used and missing in draft version {draft.version} of the "
                    f"{draft.title or draft.process}: {draft.missing} missing")
    return key
