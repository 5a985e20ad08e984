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

from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from deployments.build import plan, schedule_years, to_deployment
from trustcycle.calendar import clock
from trustcycle.config import ConfigError
from trustcycle.trust import load_config

TRUST_FILE = "trust.yaml"


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
        raise ConfigError(f"{trusts}: not a directory of trusts (one folder per trust)")
    found = sorted(d for d in trusts.iterdir() if (d / TRUST_FILE).is_file())
    if not found:
        raise ConfigError(f"{trusts}: no trust folder (a folder holding {TRUST_FILE})")
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
            raise ConfigError(f"{directory / TRUST_FILE}: trust.id: {cfg.trust.id!r} must be "
                              f"the folder's name ({directory.name!r})")
        configs.append(cfg)
    deployed = []
    for cfg in configs:
        years = [year] if year is not None else schedule_years(cfg, clock.today())
        names, ids = [], []
        for p in plan(cfg, year, config_dir=cfg.trust.id, years=years, per_trust=True):
            deployment = to_deployment(p)
            if repository:
                deployment.storage = GitRepository(url=repository, branch=branch)
            else:
                deployment.job_variables = {"working_dir": str(trusts)}
            ids.append(deployment.apply(work_pool_name=pool))
            names.append(f"{deployment.flow_name}/{deployment.name}")
        deployed.append(Deployed(cfg.trust.id, tuple(names), tuple(ids)))
    return deployed
