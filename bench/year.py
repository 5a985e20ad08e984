"""Benchmark: the whole simulated year for the default trust against one empty Prefect flow
run started the same way (a fresh process on Prefect's local ephemeral server), in the same
run. Last line: `ratio <year/empty>`.

    .venv/bin/python bench/year.py [--config config] [--year 2026]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMPTY_FLOW = """
from prefect import flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

@flow(name="empty")
def empty() -> None:
    pass

with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
    empty()
"""


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="config")
    parser.add_argument("--year", default="2026")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # Same settings for both: a fresh Prefect home, so each starts its own local server.
        env = {**os.environ, "PREFECT_HOME": str(Path(tmp) / "prefect"),
               "PREFECT_LOGGING_LEVEL": "WARNING"}
        sys.path.insert(0, str(ROOT))
        from trustcycle.cli.simulate_cmd import SERVER_BATCHING

        env.update({k: v for k, v in SERVER_BATCHING.items() if k not in env})
        empty = _timed([sys.executable, "-c", EMPTY_FLOW], env)
        year = _timed(
            [sys.executable, "-m", "trustcycle", "--config", args.config, "simulate",
             "--year", args.year, "--out", str(Path(tmp) / "out"), "--no-progress"],
            env,
        )
        empty_again = _timed([sys.executable, "-c", EMPTY_FLOW], env)
    baseline = min(empty, empty_again)
    print(f"empty flow run (fresh process, local server): {empty:.2f} s, {empty_again:.2f} s")
    print(f"simulated year ({args.config}, {args.year}): {year:.2f} s")
    print(f"ratio {year / baseline:.2f}")


if __name__ == "__main__":
    main()
