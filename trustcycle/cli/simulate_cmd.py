"""`trustcycle simulate`: a whole cycle year on a virtual clock, through the real flows.

The embedded default: a fresh SQLite file under DIR, a loopback SMTP sink writing
DIR/mail/*.eml, and Prefect's local ephemeral server. Scripted partners (scenario.yaml)
answer through the same recording path as an officer or the portal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from pathlib import Path

from trustcycle.cli import UserError


def _prepare_config(source: Path, out: Path, year: int, scenario: Path | None) -> Path:
    """A copy of the configuration pinned to the simulated year (and scenario)."""
    target = out / "config"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("examples"))
    trust = target / "trust.yaml"
    text, n = re.subn(r"(?m)^(\s*cycle_year:\s*)\d{4}", rf"\g<1>{year}", trust.read_text())
    if n != 1:
        raise UserError(f"{source / 'trust.yaml'}: trust.cycle_year: not found")
    trust.write_text(text)
    if scenario is not None:
        shutil.copyfile(scenario, target / "scenario.yaml")
    return target


# Measured here: with Prefect's defaults (write every task-run event on its own) the local
# server's SQLite file is locked often enough that the client backs off 2 s on HTTP 503 on
# most simulated days (103 s a year); batching the recorders' writes gives 33-47 s.
# Trap: a flush still takes the write lock while the client creates a flow run (the server
# reads, then inserts: SQLite refuses that upgrade at once, busy_timeout or not), so a
# flush every 2 s still cost 2-5 back-offs of 2 s a year. Every 10 s leaves ~3 flushes in
# the year's run and none of those back-offs; the last batch is written when the server
# stops (a few hundred rows, well inside the 5 s Prefect gives it).
SERVER_BATCHING = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "1000",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "1000",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "10",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "1000",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_READ_BATCH_SIZE": "1000",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "10",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def prefect_environment(quiet: bool) -> None:
    """Settings are read when Prefect is imported: set them before the flows are imported."""
    for key, value in SERVER_BATCHING.items():
        os.environ.setdefault(key, value)
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _simulate(args: argparse.Namespace) -> int:
    from trustcycle.trust import load_config

    out = Path(args.out).resolve()
    load_config(args.config)  # fail on a bad configuration before touching DIR
    cfg_source = load_config(args.config, scenario=Path(args.scenario) if args.scenario else None)
    year = args.year or cfg_source.trust.cycle_year
    for sub in ("mail", "drafts", "returns", "inbox", "uploads"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "trustcycle.db").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    config_dir = _prepare_config(
        Path(args.config), out, year, Path(args.scenario) if args.scenario else None
    )
    prefect_environment(quiet=not args.verbose)
    from trustcycle.cli.simulator import run_simulation

    result = run_simulation(config_dir, out, year, progress=not args.no_progress)
    (out / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
    print(result.report)
    print(
        f"\nwrote {out / 'summary.json'}, {result.summary['emails']} emails in {out / 'mail'}, "
        f"drafts in {out / 'drafts'}"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("simulate", help="simulate a whole cycle year through the real flows")
    cmd.add_argument("--year", type=int, default=None, help="cycle year (default: configured)")
    cmd.add_argument("--scenario", default=None, help="scripted partners (default: config's)")
    cmd.add_argument("--out", required=True, help="output directory")
    cmd.add_argument("--no-progress", action="store_true", help="no progress bar")
    cmd.add_argument("--verbose", action="store_true", help="keep Prefect's logs")
    cmd.set_defaults(handler=_simulate)
