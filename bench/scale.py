"""Benchmark: one chase day of many trusts across the cluster, with 1 and with 2 workers.

Writes `--trusts` trusts (default 20) of `--partners` partners (default 50) in a trusts
folder, each with one child poverty strategy whose requests go out on the chase day. For
each worker count (1, then 2) it starts the project's own cluster (`scripts/cluster.sh`:
a Prefect server on PostgreSQL, a process work pool, N workers each in a directory of its
own, each running `--worker-limit` flow runs at a time, like a machine with that many
slots; `trustcycle deploy` of every trust), and, for each size in `--sizes` (default 5 and
the full count), on a fresh trustcycle database, starts `chase-returns/<trust-id>` of that
many trusts at once and waits for every run to end. Mail goes to an aiosmtpd sink in this
process, counted per trust (each trust's partners have a domain of their own): every
partner must get its request exactly once.

    .venv/bin/python bench/scale.py [--trusts 20] [--partners 50] [--sizes 5,20]
                                    [--worker-limit 1]

Prints, per run, each trust's seconds (its flow run's Running to Completed, and from the
start of the day to its end), the day's time (the first run started to the last ended),
how the time grows with the number of trusts, and last `ratio <time with 1 worker / time
with 2 workers>` at the full count. Each flow run is a fresh Python process on its worker,
so most of a small trust's day is the process's start; on this 2-core machine, the honest
ceiling of the ratio is about 2.

Measured here (2 cores shared with other work, load about 11): 1 worker 5 trusts 180 s,
20 trusts 636 s; 2 workers 91 s and 349 s; `ratio 1.82`; 1,000 messages, each once. About
32 s a trust per worker, of which the chase itself (`Running`) is 4-10 s; the cluster up
with 20 trusts deployed in 160-265 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.portal import PROCESS, write_config  # noqa: E402
from trustcycle.calendar import clock  # noqa: E402
from trustcycle.calendar.timeline import resolve_year  # noqa: E402
from trustcycle.db import Database  # noqa: E402
from trustcycle.mail.sink import MailSink  # noqa: E402
from trustcycle.trust import load_config  # noqa: E402

PG = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class CountingHandler:
    """aiosmtpd handler: counts each message per recipient domain, and each Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.domains: Counter[str] = Counter()
        self.ids: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Count the message."""
        message_id = str(message_from_bytes(envelope.content)["Message-ID"])
        with self.lock:
            self.ids[message_id] += 1
            for rcpt in envelope.rcpt_tos:
                self.domains[rcpt.rsplit("@", 1)[-1]] += 1
        return "250 OK"

    def reset(self) -> None:
        """Forget what was counted."""
        with self.lock:
            self.domains.clear()
            self.ids.clear()


@dataclass
class Day:
    """One chase day of `trusts` trusts on `workers` workers."""

    workers: int
    trusts: int
    seconds: float
    per_trust: dict[str, tuple[float, float]]  # trust: (running seconds, done after)
    states: Counter[str]
    mail: Counter[str]
    doubled: int


def write_trusts(folder: Path, count: int, partners: int) -> date:
    """`count` trusts under `folder`; returns the chase day (their requests' day)."""
    day = clock.today()
    while day.weekday() >= 5:
        day = day.add(days=1)
    for n in range(count):
        write_config(folder / f"t{n:02d}", partners, f"t{n:02d}", day.strftime("%m-%d"))
    cfg = load_config(folder / "t00")
    request = resolve_year(cfg)[PROCESS].request
    assert request is not None
    return request.date()


def cluster(command: str, env: dict[str, str]) -> None:
    """`scripts/cluster.sh COMMAND` with `env`; its output is kept in the cluster's folder."""
    log = Path(env["CLUSTER_DIR"]) / "cluster-sh.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        done = subprocess.run(
            ["scripts/cluster.sh", command], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    if done.returncode:
        raise SystemExit(f"scripts/cluster.sh {command} failed: see {log}")


def sourced(env_file: Path) -> dict[str, str]:
    """The `export K=V` lines of the cluster's env file."""
    values = {}
    for line in env_file.read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key] = value.strip("'")
    return values


def fresh_app_database(url: str) -> None:
    """Drop and recreate the trusts' database (no request opened), then migrate it."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    Database.from_url(url).dispose()


def drop_cluster_databases(name: str) -> None:
    """The two databases the cluster made."""
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for suffix in ("prefect", "app"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_{suffix}" WITH (FORCE)'))
    admin.dispose()


def chase_day(ids: list[str], day: date, timeout: float) -> tuple[float, dict[str, Any]]:
    """Start `chase-returns/<id>` for each trust at once; wait until every run has ended.
    Returns (seconds from the start to the last end, the runs by trust)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.deployments import run_deployment

    started = time.monotonic()
    runs: dict[str, UUID] = {}
    for trust in ids:
        run = run_deployment(
            f"chase-returns/{trust}", parameters={"as_of": day.isoformat()}, timeout=0
        )
        runs[trust] = run.id
    by_id = {v: k for k, v in runs.items()}
    deadline = started + timeout
    with get_client(sync_client=True) as client:
        while True:
            found = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=list(runs.values())))
            )
            states = {by_id[r.id]: r for r in found}
            if len(states) == len(ids) and all(
                r.state_type is not None and r.state_type.value in TERMINAL for r in states.values()
            ):
                return time.monotonic() - started, states
            if time.monotonic() > deadline:
                raise SystemExit(f"runs not ended after {timeout:.0f}s")
            time.sleep(0.5)


def one_day(workers: int, ids: list[str], day: date, handler: CountingHandler, app_url: str) -> Day:
    """A chase day of `ids` on the running cluster, on a fresh database."""
    fresh_app_database(app_url)
    handler.reset()
    seconds, runs = chase_day(ids, day, timeout=1800)
    time.sleep(1)  # the last message's 250 reached the counter before its run ended
    first = min(r.start_time for r in runs.values() if r.start_time)
    per_trust = {
        trust: (
            (r.end_time - r.start_time).total_seconds() if r.start_time and r.end_time else -1,
            (r.end_time - first).total_seconds() if r.end_time else -1,
        )
        for trust, r in sorted(runs.items())
    }
    with handler.lock:
        mail = Counter({d.split(".")[0]: n for d, n in handler.domains.items()})
        doubled = sum(1 for n in handler.ids.values() if n > 1)
    states = Counter(r.state_type.value for r in runs.values() if r.state_type)
    return Day(workers, len(ids), seconds, per_trust, states, mail, doubled)


def run_cluster(
    workers: int, args: argparse.Namespace, trusts: Path, day: date, sink: MailSink
) -> list[Day]:
    """Start the cluster with `workers` workers, run each size's chase day, stop it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    name = f"tcscale_{os.getpid()}_w{workers}"
    env = {
        **os.environ,
        "CLUSTER_DIR": str(trusts.parent / f"cluster-w{workers}"),
        "CLUSTER_NAME": name,
        "CLUSTER_PORT": "0",
        "CLUSTER_WORKERS": str(workers),
        "CLUSTER_WORKER_LIMIT": str(args.worker_limit),
        "CLUSTER_TRUSTS": str(trusts),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "TRUSTCYCLE_SMTP_HOST": sink.host,
        "TRUSTCYCLE_SMTP_PORT": str(sink.port),
        "TRUSTCYCLE_MAIL_FROM": "Trust <trust@council.example>",
    }
    for key in ("TRUSTCYCLE_PORTAL_SECRET", "TRUSTCYCLE_SMTP_MAX_PER_SECOND"):
        env.pop(key, None)
    days = []
    started = time.monotonic()
    try:
        cluster("start", env)
        print(f"cluster with {workers} worker(s) up in {time.monotonic() - started:.0f}s")
        values = sourced(Path(env["CLUSTER_DIR"]) / "env")
        with temporary_settings({PREFECT_API_URL: values["PREFECT_API_URL"]}):
            for size in args.sizes:
                ids = [f"t{n:02d}" for n in range(size)]
                days.append(
                    one_day(workers, ids, day, sink.handler, values["TRUSTCYCLE_DATABASE_URL"])
                )
                report(days[-1], args.partners)
    finally:
        cluster("stop", env)
        drop_cluster_databases(name)
    return days


def report(day: Day, partners: int) -> None:
    """One day's figures."""
    head = f"workers {day.workers}  trusts {day.trusts}: day {day.seconds:.1f}s"
    print(f"{head}  runs {dict(day.states)}")
    for trust, (running, done) in day.per_trust.items():
        print(f"  {trust}: running {running:.1f}s  done after {done:.1f}s  mail {day.mail[trust]}")
    short = [t for t in day.per_trust if day.mail[t] != partners]
    print(
        f"  mail {sum(day.mail.values())} (expected {day.trusts * partners}), "
        f"trusts short {short or 'none'}, doubled {day.doubled}"
    )


def main() -> int:
    """Run the benchmark; exit 1 if any trust's mail was short or doubled."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=20)
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--sizes", default=None, help="trust counts to run (default 5,TRUSTS)")
    parser.add_argument("--worker-limit", type=int, default=1, help="flow runs per worker")
    args = parser.parse_args()
    args.sizes = sorted({int(s) for s in (args.sizes or f"5,{args.trusts}").split(",")})
    if max(args.sizes) > args.trusts:
        raise SystemExit("--sizes: no size over --trusts")
    tmp = Path(tempfile.mkdtemp(prefix="trustcycle-scale-"))
    try:
        trusts = tmp / "trusts"
        day = write_trusts(trusts, args.trusts, args.partners)
        print(f"{args.trusts} trusts of {args.partners} partners, chase day {day}")
        with MailSink(tmp / "sink", handler=CountingHandler()) as sink:
            days = [d for w in (1, 2) for d in run_cluster(w, args, trusts, day, sink)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    time_of = {(d.workers, d.trusts): d.seconds for d in days}
    for workers in (1, 2):
        growth = "  ".join(f"{n} trusts {time_of[workers, n]:.1f}s" for n in args.sizes)
        print(f"growth with {workers} worker(s): {growth}")
    bad = [d for d in days if d.doubled or any(d.mail[t] != args.partners for t in d.per_trust)]
    full = args.sizes[-1]
    print(f"ratio {time_of[1, full] / time_of[2, full]:.2f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
