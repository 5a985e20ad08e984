"""Many trusts on one Prefect server: every trust's deployments on a process work pool.

`trustcycle deploy --pool NAME --trusts DIR` registers, for each `DIR/<trust-id>/`, the
deployments `plan(per_trust=True)` describes (`chase-returns/<trust-id>`, ...), tagged
with the trust's id, on the pool. Workers (`prefect worker start --pool NAME`) run them
on any machine that has trustcycle installed (the code: a package, an image) and reaches
the configuration one of two ways:

- `--repository URL` (git): each flow run clones the trusts repository into its own
  temporary directory first (Prefect's `git_clone` pull step), so a trust committed and
  deployed is run by workers already running, with no restart and no shared disk;
- otherwise the trusts directory itself, at the same absolute path on every machine (a
  shared or synchronised disk), as the flow run's working directory.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from deployments.build import plan, schedule_years, to_deployment
from trustcycle.calendar import clock
from trustcycle.config import ConfigError
from trustcycle.trust import load_config

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

TRUST_FILE = "trust.yaml"
APPLY_AT_ONCE = 8


@dataclass(frozen=True)
class Deployed:
    """One trust's deployments as registered: `flow/deployment` names and ids."""

    trust_id: str
    names: tuple[str, ...]
    ids: tuple[UUID, ...]


def trust_dirs(trusts: Path) -> list[Path]:
    """Each trust's configuration folder under `trusts` (one holding a trust.yaml), by name.

    A folder must be named after its trust's id: the deployments find their configuration
    as `<trust-id>` relative to the trusts directory (or its clone)."""
    if not trusts.is_dir():
        raise ConfigError.one(trusts, "--trusts",
                              "not a directory of trusts (one folder per trust)")
    found = sorted(d for d in trusts.iterdir() if (d / TRUST_FILE).is_file())
    if not found:
        raise ConfigError.one(trusts, "--trusts",
                              f"no trust folder (a folder holding {TRUST_FILE})")
    return found


def deploy_trusts(
    trusts: Path, pool: str, repository: str | None = None, branch: str | None = None,
    year: int | None = None,
) -> list[Deployed]:
    """Validate every trust first (one bad trust registers nothing), then register each
    trust's deployments on `pool`. Re-running updates them in place (same names)."""
    from prefect.runner.storage import GitRepository

    trusts = trusts.resolve()
    configs = []
    for directory in trust_dirs(trusts):
        cfg = load_config(directory)
        if cfg.trust.id != directory.name:
            raise ConfigError.one(directory / TRUST_FILE, "trust.id", f"{cfg.trust.id!r} must "
                                  f"be the folder's name ({directory.name!r})")
        configs.append(cfg)
    batch: list[tuple[str, RunnerDeployment]] = []
    for cfg in configs:
        years = [year] if year is not None else schedule_years(cfg, clock.today())
        for p in plan(cfg, year, config_dir=cfg.trust.id, years=years, per_trust=True):
            deployment = to_deployment(p)
            if repository:
                deployment.storage = GitRepository(url=repository, branch=branch)
            else:
                deployment.job_variables = {"working_dir": str(trusts)}
            batch.append((cfg.trust.id, deployment))
    ids = asyncio.run(_apply_all([d for _, d in batch], pool))
    return [
        Deployed(cfg.trust.id,
                 tuple(f"{d.flow_name}/{d.name}" for t, d in batch if t == cfg.trust.id),
                 tuple(i for (t, _), i in zip(batch, ids, strict=True) if t == cfg.trust.id))
        for cfg in configs
    ]


async def _apply_all(deployments: list[RunnerDeployment], pool: str) -> list[UUID]:
    """Register the deployments a few at a time (one by one, 20 trusts take minutes)."""
    slots = asyncio.Semaphore(APPLY_AT_ONCE)

    async def one(deployment: RunnerDeployment) -> UUID:
        async with slots:
            return await deployment.aapply(work_pool_name=pool)

    return list(await asyncio.gather(*(one(d) for d in deployments)))

RETRY_CRASHED = "trustcycle: retry crashed runs"
CRASH_SILENT = "trustcycle: crash runs whose heartbeats stopped"


def ensure_automations(heartbeat_seconds: int | None = None) -> list[str]:
    """The server-side automations that make a lost worker cost a retry, not a lost day;
    created once by name (a second call changes nothing).

    - a trustcycle run that ends Crashed is put back to Scheduled ("AwaitingRetry") at once,
      for any worker of its pool to run again. Killing a worker takes its flow run down
      with it (the run's stdout is the worker's pipe: the next write breaks it and the
      engine reports Crashed), so this alone covers a worker killed or restarted;
    - with `heartbeat_seconds` (the workers' PREFECT_FLOWS_HEARTBEAT_FREQUENCY, at least
      30), a run whose heartbeats stop for 2.5 times that (the machine is gone, nothing is
      left to report a crash) is marked Crashed, and so retried.

    Trap: a run that crashes every time is retried every time; its state history says so."""
    from datetime import timedelta

    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    ours = ResourceSpecification({"prefect.resource.id": "prefect.tag.trustcycle"})
    runs = ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"})
    wanted = {
        RETRY_CRASHED: Automation(
            name=RETRY_CRASHED,
            description="A crashed trustcycle run is scheduled again for any worker.",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Crashed"}, match=runs, match_related=ours,
                posture=Posture.Reactive, threshold=1, for_each={"prefect.resource.id"},
            ),
            actions=[ChangeFlowRunState(state=StateType.SCHEDULED, name="AwaitingRetry",
                                        message="Crashed: scheduled again", force=True)],
        ),
    }
    if heartbeat_seconds is not None:
        wanted[CRASH_SILENT] = Automation(
            name=CRASH_SILENT,
            description="A trustcycle run with no heartbeat for too long is marked Crashed.",
            trigger=EventTrigger(
                after={"prefect.flow-run.heartbeat"},
                expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed",
                        "prefect.flow-run.Failed", "prefect.flow-run.Cancelled",
                        "prefect.flow-run.Crashed", "prefect.flow-run.Paused",
                        "prefect.flow-run.Suspended"},
                match=runs, match_related=ours, for_each={"prefect.resource.id"},
                posture=Posture.Proactive, threshold=1,
                within=timedelta(seconds=heartbeat_seconds * 5 // 2),
            ),
            actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                        message="No heartbeat: the machine running it is gone")],
        )
    created = []
    for name, automation in wanted.items():
        try:
            Automation.read(name=name)
        except ValueError:
            automation.create()
            created.append(name)
    return created
