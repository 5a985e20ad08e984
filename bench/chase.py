"""Benchmark (issue 3): one chase tick over 20,000 open requests against bare SMTP loops.

Builds a trust of 5,000 partners x 4 processes (20,000 open requests, inserted directly in
a SQLite file), all due the same rung on the tick's day, and a loopback aiosmtpd that
discards what it receives, in a process of its own (so the server does not share a GIL
with the tick or the loops; `--in-process-server` runs it in a thread, as it once did).
Then, in the same run:
- the tick: `chase-returns` through Prefect (select, render, queue, deliver over yagmail);
- a bare loop sending the tick's messages, pre-rendered, through one yagmail connection;
- the same through plain smtplib.
Prints the selection time, the tick's time, the loops' times and msgs/s, the tick's
Prefect task runs (constant whatever the number of messages), and last `ratio <tick/yagmail>`.

Run: .venv/bin/python bench/chase.py [--partners 5000] [--processes 4] [--in-process-server]

Measured here (2 cores shared with other work; wall times swing 2x, so the CPU seconds of
this process are printed too): ratio 2.0-2.2 on a calm machine for this tree and for the
tree before the outbox's leases (98abb64) alike, 1.2-1.9 when the machine is loaded (the
bare loop stretches more than the tick); tick CPU 15-17 s vs 16-21 s before. The tick is
CPU-bound in one process: delivery itself runs at 1.4x the bare loop (bench/
chase_delivery_probe.py; about 0.4 ms of Python a message: building the MIME, the commit
that records it, smtplib, against 0.16 ms for the bare loop), and the ladder's rendering
and inserts (5-6 s of CPU) share the process meanwhile. Opening a 5,000-partner trust
~1.7 s, the report read ~1.3 s. Tried and dropped: two or three SMTP connections (slower:
the GIL and SQLite's write lock, 1,278 -> 1,053 -> 973 msg/s).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import yagmail
import yaml
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trustcycle.calendar.clock import FixedClock, use_clock  # noqa: E402
from trustcycle.calendar.timeline import resolve_year  # noqa: E402
from trustcycle.chasing.requests import partner_ids, process_ids  # noqa: E402
from trustcycle.db import Database  # noqa: E402
from trustcycle.db.apply import apply_config  # noqa: E402
from trustcycle.db.models import (  # noqa: E402
    ContributionRequest,
    OutboxMessage,
    new_token,
)
from trustcycle.mail.message import OutgoingMessage  # noqa: E402
from trustcycle.mail.senders import wire_bytes  # noqa: E402
from trustcycle.mail.sink import MailSink  # noqa: E402
from trustcycle.trust import load_config  # noqa: E402

MAIL_FROM = "trust.support@bench.example.gov.uk"
TICK_DAY = date(2026, 5, 8)  # 3 working days before every deadline (Wednesday 13 May)


# The server process: aiosmtpd discarding every message, until its stdin closes.
SERVER = """
import sys
from aiosmtpd.controller import Controller
class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
controller = Controller(Discard(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def free_port() -> int:
    """A loopback port nobody listens on (for the server process to bind)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Discard:
    """aiosmtpd handler that accepts and forgets every message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return "250 OK"


def write_config(directory: Path, partners: int, processes: int) -> Path:
    """A trust with `partners` partners, each asked one return by each of `processes`."""
    directory.mkdir(parents=True)
    person = {"name": "Bench Person", "email": "officer@bench.example.gov.uk"}
    ladder = [{"name": "before_3", "working_days": -3},
              {"name": "on_the_day", "working_days": 0},
              {"name": "escalate_2", "working_days": 2, "escalate": True}]
    files = {
        "trust.yaml": {"trust": {"id": "bench", "name": "Bench Children's Trust",
                                 "local_authority": "Bench Council", "cycle_year": 2026,
                                 "manager": person, "officer": person}},
        "partners.yaml": {"partners": {
            f"p{i:05d}": {"name": f"Partner {i}", "category": "other", "legal_basis": "invited",
                          "contacts": [{"name": f"Contact {i}", "email": f"c{i}@p{i}.example.org"}],
                          "senior_contact": {"name": f"Chief {i}",
                                             "email": f"s{i}@p{i}.example.org"}}
            for i in range(partners)}},
        "bodies.yaml": {"bodies": {"board": {"name": "Board", "kind": "board",
                                             "meetings": {"dates": [date(2026, 6, 9)]}}}},
        "priorities.yaml": {"priorities": {}},
        "calendar.yaml": {"processes": {
            f"process_{k}": {
                "kind": "membership_review", "title": f"Process {k}", "legal_basis": "CA 2004 s10",
                "enabled": True,
                "returns": [{"id": "main", "title": f"Return {k}", "asked_of": {"all": True}}],
                "request": {"date": date(2026, 4, 27)}, "deadline": {"date": date(2026, 5, 13)},
                "cutoff": {"working_days_after": 5, "of": "deadline"}, "ladder": ladder,
                "receiving": {"body": "board", "meeting": {"body": "board",
                                                           "date": date(2026, 6, 9)}},
            } for k in range(processes)}},
    }
    for name, data in files.items():
        (directory / name).write_text(yaml.safe_dump(data), encoding="utf-8")
    return directory


def build_requests(db: Database, config: Path) -> int:
    """Apply the config and insert one open request per (partner, process), opened earlier."""
    cfg = load_config(config)
    opened = FixedClock.on(date(2026, 4, 27)).now()
    with use_clock(FixedClock(opened)), db.sessions.begin() as session:
        apply_config(session, cfg, actor="bench")
    dates = resolve_year(cfg)
    with db.sessions.begin() as session:
        processes, partners = process_ids(session, cfg), partner_ids(session, cfg)
        rows = [{"process_id": processes[pid], "partner_id": partner, "return_id": "main",
                 "deadline_at": dates[pid].deadline, "cutoff_at": dates[pid].cutoff,
                 "opened_at": opened, "status": "open", "token": new_token()}
                for pid in processes for partner in partners.values()]
        for start in range(0, len(rows), 2000):
            session.execute(insert(ContributionRequest), rows[start:start + 2000])
    return len(rows)


def wire_messages(db: Database) -> list[tuple[list[str], bytes]]:
    """The tick's messages as the server received them, pre-rendered for the bare loops."""
    out = []
    with db.sessions() as session:
        for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            msg = OutgoingMessage(row.id, row.message_id, row.kind, row.to_addrs, row.subject,
                                  row.body_text, row.body_html, row.date_header or row.created_at,
                                  row.cc_addrs, row.attachments)
            out.append((msg.recipients, wire_bytes(msg, MAIL_FROM)))
    return out


def bare_yagmail(port: int, messages: list[tuple[list[str], bytes]]) -> tuple[float, float]:
    """Send every pre-rendered message through one yagmail connection: wall and CPU s."""
    cpu = time.process_time()
    started = time.perf_counter()
    yag = yagmail.SMTP(user=MAIL_FROM, host="127.0.0.1", port=port, smtp_starttls=False,
                       smtp_ssl=False, smtp_skip_login=True, soft_email_validation=False)
    yag.login()
    for rcpts, data in messages:
        yag.smtp.sendmail(MAIL_FROM, rcpts, data)
    yag.close()
    return time.perf_counter() - started, time.process_time() - cpu


def bare_smtplib(port: int, messages: list[tuple[list[str], bytes]]) -> float:
    """Send every pre-rendered message through one plain smtplib connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for rcpts, data in messages:
            smtp.sendmail(MAIL_FROM, rcpts, data)
    return time.perf_counter() - started


async def _count_task_runs(flow_run_id: Any) -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        return len(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--in-process-server", action="store_true",
                        help="run aiosmtpd in a thread of this process (shares its GIL)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trustcycle-bench-"))
    config = write_config(work / "config", args.partners, args.processes)
    url = f"sqlite:///{work / 'bench.db'}"
    db = Database.from_url(url)
    count = build_requests(db, config)
    if args.in_process_server:
        server = MailSink(work / "mail", handler=Discard())
        server.start()
        try:
            run(server.port, work, config, url, db, count, args)
        finally:
            server.stop()
        return
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stdout.readline().startswith(b"ready")
        run(port, work, config, url, db, count, args)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def run(port: int, work: Path, config: Path, url: str, db: Database, count: int,
        args: argparse.Namespace) -> None:
    """The tick through Prefect, then the bare loops, then the figures."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from flows.chase_returns import chase_returns

    os.environ.update({"TRUSTCYCLE_SMTP_HOST": "127.0.0.1", "TRUSTCYCLE_SMTP_PORT": str(port),
                       "TRUSTCYCLE_MAIL_FROM": MAIL_FROM, "TRUSTCYCLE_SMTP_STARTTLS": "false"})
    where = "in this process" if args.in_process_server else "in its own process"
    print(f"open requests: {count} ({args.partners} partners x {args.processes} processes); "
          f"SMTP server {where}")
    os.environ["TRUSTCYCLE_DATABASE_URL"] = url
    # The flow's parameters changed over time (database_url and inbox_dir went): pass the
    # ones it still takes, so the figure stays comparable across versions.
    accepted = inspect.signature(chase_returns.fn).parameters
    extra = {k: v for k, v in {"database_url": url, "inbox_dir": str(work / "inbox")}.items()
             if k in accepted}
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), prefect_test_harness():
        cpu = time.process_time()
        started = time.perf_counter()
        state = chase_returns(as_of=TICK_DAY, config_dir=str(config), return_state=True,
                              **extra)
        tick = time.perf_counter() - started
        tick_cpu = time.process_time() - cpu
        summary = state.result()
        task_runs = asyncio.run(_count_task_runs(state.state_details.flow_run_id))
    messages = wire_messages(db)
    yag, yag_cpu = bare_yagmail(port, messages)
    plain = bare_smtplib(port, messages)
    n = summary.delivered
    print(f"selection: {summary.selection_seconds:.3f} s for {count} open requests")
    print(f"tick: {tick:.2f} s, {summary.rungs_queued} rungs queued, {n} delivered, "
          f"{n / tick:.0f} msgs/s")
    print(f"prefect task runs in the tick: {task_runs} (constant: no task run per message)")
    print(f"bare yagmail loop: {yag:.2f} s, {len(messages) / yag:.0f} msgs/s")
    print(f"bare smtplib loop: {plain:.2f} s, {len(messages) / plain:.0f} msgs/s")
    # CPU seconds of this process (the server's are its own): steadier than wall time on a
    # shared machine, where other work stretches both loops unevenly.
    print(f"cpu: tick {tick_cpu:.2f} s, bare yagmail {yag_cpu:.2f} s, "
          f"cpu ratio {tick_cpu / yag_cpu:.2f}")
    print(f"ratio {tick / yag:.2f}")


if __name__ == "__main__":
    main()
