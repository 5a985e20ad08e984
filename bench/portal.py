"""Benchmark: N partners submit their returns through the portal at once.

Starts `trustcycle portal` (uvicorn) on loopback in a subprocess against a fresh database,
opens one child poverty strategy request per partner, then releases every partner at the
same instant; each opens its signed link and posts its measures and a small PDF with httpx
(async), as a browser would. Afterwards the database is checked: every partner's return
must be stored exactly once, with its own text and its file, and receipted once.

    .venv/bin/python bench/portal.py [--partners 200] [--database-url URL]

The last line is `lost <n> p99_ms <x>`; the exit status is 1 if any return was lost or
doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import yaml
from sqlalchemy import func, select

from trustcycle.calendar import clock
from trustcycle.chasing.returns import find_or_open
from trustcycle.chasing.rules import Owed
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import ContributionRequest, OutboxMessage, ReturnVersion
from trustcycle.portal import portal_link
from trustcycle.portal.client import Submission, asubmit_via_portal
from trustcycle.trust import load_config

PROCESS, RETURN = "child_poverty_strategy", "measures"
SECRET = "bench-portal-secret-0123456789abcdefghijkl"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def write_config(directory: Path, partners: int) -> None:
    """A trust with `partners` partners and one child poverty strategy in the current cycle."""
    today = clock.today()
    year = today.year if (today.month, today.day) >= (4, 1) else today.year - 1
    person = {"name": "Trust Officer", "role": "Officer", "email": "officer@trust.example"}
    files = {
        "trust.yaml": {
            "trust": {
                "id": "bench",
                "name": "Bench Children's Trust",
                "local_authority": "Bench Council",
                "cycle_year": year,
                "cycle_start": "04-01",
                "manager": person,
                "officer": person,
            }
        },
        "partners.yaml": {
            "partners": {
                f"partner_{i:03d}": {
                    "name": f"Partner {i:03d}",
                    "category": "other",
                    "legal_basis": "invited",
                    "contacts": [{"name": f"Contact {i:03d}", "email": f"c{i:03d}@p.example"}],
                    "senior_contact": {"name": f"Senior {i:03d}", "email": f"s{i:03d}@p.example"},
                }
                for i in range(partners)
            }
        },
        "bodies.yaml": {"bodies": {"public": {"name": "The public", "kind": "public"}}},
        "priorities.yaml": {"priorities": {}},
        "calendar.yaml": {
            "processes": {
                PROCESS: {
                    "kind": PROCESS,
                    "title": "Child Poverty Strategy",
                    "enabled": True,
                    "legal_basis": "Child Poverty Act 2010 s23 (joint child poverty strategy)",
                    "returns": [{"id": RETURN, "title": "Measures", "asked_of": {"all": True}}],
                    "request": {"date": "04-01"},
                    "deadline": {"date": "03-10"},
                    "cutoff": {"working_days_after": 3, "of": "deadline"},
                    "receiving": {"body": "public", "publish": {"date": "03-31"}},
                }
            }
        },
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def open_requests(database: Database, config_dir: Path, base_url: str) -> dict[str, str]:
    """Apply the configuration and open one request per partner: {partner: signed link}."""
    cfg = load_config(config_dir)
    links: dict[str, str] = {}
    with database.sessions.begin() as session:
        apply_config(session, cfg, actor="bench")
        for partner in cfg.partners:
            row = find_or_open(session, cfg, Owed(PROCESS, partner, RETURN), now=clock.now())
            session.flush()
            session.refresh(row)
            links[partner] = portal_link(base_url, row, SECRET.encode())
    return links


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_portal(config_dir: Path, url: str, port: int, uploads: Path) -> subprocess.Popen[bytes]:
    """`trustcycle portal` in a subprocess; returns once it answers on loopback."""
    env = {**os.environ, "TRUSTCYCLE_DATABASE_URL": url, "TRUSTCYCLE_PORTAL_SECRET": SECRET}
    command = [
        sys.executable,
        "-m",
        "trustcycle.cli",
        "--config",
        str(config_dir),
        "portal",
        "--port",
        str(port),
        "--upload-dir",
        str(uploads),
    ]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the portal did not start")


async def one_partner(partner: str, link: str, go: asyncio.Event) -> tuple[float, Submission]:
    """One partner's whole submission (open the link, post, see the thank-you page)."""
    async with httpx.AsyncClient(timeout=120) as client:
        await go.wait()
        started = time.perf_counter()
        result = await asubmit_via_portal(
            client,
            link,
            {"m-1-measure": f"Measure from {partner}", "m-1-lead": partner, "m-1-by": "March"},
            {"document": (f"{partner}.pdf", PDF + partner.encode())},
        )
        return time.perf_counter() - started, result


async def run_all(links: dict[str, str]) -> tuple[float, dict[str, tuple[float, Submission]]]:
    """Release every partner at once; return the wall time and each partner's outcome."""
    go = asyncio.Event()
    tasks = {p: asyncio.create_task(one_partner(p, link, go)) for p, link in links.items()}
    await asyncio.sleep(0.5)  # every client is created and waiting
    started = time.perf_counter()
    go.set()
    outcomes = {p: await task for p, task in tasks.items()}
    return time.perf_counter() - started, outcomes


def check_stored(database: Database, links: dict[str, str]) -> tuple[int, int]:
    """(lost, doubled): partners whose return is not stored exactly once with its own text."""
    token_of = {link.split("/r/")[1].split("?")[0]: p for p, link in links.items()}
    with database.sessions() as session:
        rows = session.execute(
            select(
                ContributionRequest.token,
                ContributionRequest.status,
                ReturnVersion.payload,
                ReturnVersion.file_path,
            ).outerjoin(ReturnVersion)
        ).all()
        receipts = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "receipt")
        )
    versions = Counter(token for token, _, payload, _ in rows if payload is not None)
    good = {
        token
        for token, status, payload, path in rows
        if payload is not None
        and status == "received"
        and path
        and Path(path).is_file()
        and payload["measures"][0]["measure"] == f"Measure from {token_of[token]}"
        and Path(path).read_bytes() == PDF + token_of[token].encode()
    }
    print(f"stored versions {sum(versions.values())}  receipts queued {receipts}")
    lost = sum(1 for token in token_of if token not in good)
    doubled = sum(1 for n in versions.values() if n > 1)
    return lost, doubled


def main() -> int:
    """Run the benchmark and print its figures; exit 1 on any lost or doubled return."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trustcycle-bench-") as tmp:
        root = Path(tmp)
        url = args.database_url or f"sqlite:///{root / 'portal.db'}"
        port = free_port()
        write_config(root / "config", args.partners)
        database = Database.from_url(url)
        links = open_requests(database, root / "config", f"http://127.0.0.1:{port}")
        server = start_portal(root / "config", url, port, root / "uploads")
        try:
            wall, outcomes = asyncio.run(run_all(links))
        finally:
            server.terminate()
            server.wait(10)
        latencies = sorted(seconds * 1000 for seconds, _ in outcomes.values())
        failed = [p for p, (_, result) in outcomes.items() if not result.ok]
        lost, doubled = check_stored(database, links)
        database.dispose()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(round(0.99 * len(latencies))) - 1)]
    print(f"partners {len(links)}  submitted ok {len(links) - len(failed)}  failed {len(failed)}")
    print(f"wall {wall:.2f}s  throughput {len(links) / wall:.1f} submissions/s")
    print(
        f"latency per submission (GET form + POST + thank-you page): "
        f"p50 {p50:.0f} ms  p99 {p99:.0f} ms  max {latencies[-1]:.0f} ms"
    )
    print(f"doubled {doubled}")
    print(f"lost {lost} p99_ms {p99:.0f}")
    return 1 if lost or doubled or failed else 0


if __name__ == "__main__":
    sys.exit(main())
