"""Benchmark: N partners submit their returns through the portal at once, against a bare
FastAPI + SQLAlchemy endpoint doing the same insert and file write, in the same run.

Starts `trustcycle portal --workers W` (uvicorn) on loopback in a subprocess against a fresh
database, opens one child poverty strategy request per partner, then releases every partner
at the same instant; each opens its signed link and posts its measures and a small PDF with
httpx (async), as a browser would. Afterwards the database is checked: every partner's
return must be stored exactly once, with its own text and its file, and receipted once.
The baseline (`bench/bare_portal.py`) is served with the same uvicorn settings (workers,
host, no access log) and driven by the same clients: GET a page with a form, POST the form
with the file (the portal's durable file write, one row inserted, one commit), GET the
thank-you page. The two run one after the other, baseline first, on the same database.

    .venv/bin/python bench/portal.py [--partners 200] [--workers 1|2] [--database-url URL]

`--database-url postgresql+psycopg2://...` names a PostgreSQL server: a fresh database is
made on it for the run and dropped after. The last line is
`lost <n> p99_ms <x> ratio <portal/bare throughput>` (aim >= 0.5); the exit status is 1 if
any return was lost or doubled, at the portal or the baseline.
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
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bare_portal import bare_stored, create_table  # noqa: E402
from trustcycle.calendar import clock  # noqa: E402
from trustcycle.chasing.returns import find_or_open  # noqa: E402
from trustcycle.chasing.rules import Owed  # noqa: E402
from trustcycle.db import Database  # noqa: E402
from trustcycle.db.apply import apply_config  # noqa: E402
from trustcycle.db.models import ContributionRequest, OutboxMessage, ReturnVersion  # noqa: E402
from trustcycle.portal import portal_link  # noqa: E402
from trustcycle.portal.client import Submission, asubmit_via_portal  # noqa: E402
from trustcycle.trust import load_config  # noqa: E402

PROCESS, RETURN = "child_poverty_strategy", "measures"
SECRET = "bench-portal-secret-0123456789abcdefghijkl"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def write_config(
    directory: Path, partners: int, trust_id: str = "bench", request: str = "04-01"
) -> None:
    """A trust with `partners` partners (mail at `<trust_id>.example`) and one child poverty
    strategy in the current cycle, its requests going out on `request` (MM-DD)."""
    today = clock.today()
    year = today.year if (today.month, today.day) >= (4, 1) else today.year - 1
    person = {"name": "Trust Officer", "role": "Officer", "email": f"officer@{trust_id}.example"}
    domain = f"{trust_id}.example"
    files = {
        "trust.yaml": {
            "trust": {
                "id": trust_id,
                "name": f"{trust_id.title()} Children's Trust",
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
                    "contacts": [{"name": f"Contact {i:03d}", "email": f"c{i:03d}@{domain}"}],
                    "senior_contact": {"name": f"Senior {i:03d}", "email": f"s{i:03d}@{domain}"},
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
                    "request": {"date": request},
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


def start_portal(
    config_dir: Path, url: str, port: int, uploads: Path, workers: int = 1
) -> subprocess.Popen[bytes]:
    """`trustcycle portal --workers N` in a subprocess; returns once it answers on loopback."""
    env = {**os.environ, "TRUSTCYCLE_DATABASE_URL": url, "TRUSTCYCLE_PORTAL_SECRET": SECRET}
    command = [
        *(sys.executable, "-m", "trustcycle.cli", "--config", str(config_dir), "portal"),
        *("--port", str(port), "--upload-dir", str(uploads), "--workers", str(workers)),
    ]
    return settled(wait_until_up(subprocess.Popen(command, env=env, cwd=ROOT), port), workers)


def start_bare(url: str, port: int, uploads: Path, workers: int) -> subprocess.Popen[bytes]:
    """The baseline, served by uvicorn with the portal's settings."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BARE_DATABASE_URL": url}
    env["BARE_UPLOAD_DIR"] = str(uploads)
    command = [sys.executable, "-m", "bench.bare_portal", "--port", str(port)]
    command += ["--workers", str(workers)]
    return settled(wait_until_up(subprocess.Popen(command, env=env, cwd=ROOT), port), workers)


def settled(process: subprocess.Popen[bytes], workers: int) -> subprocess.Popen[bytes]:
    """`process` once its `workers` uvicorn processes exist and have gone idle: the first
    answer comes from one of them while the others may still be importing."""
    if workers == 1:
        return process
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = children.read_text().split()
        before = sum(cpu_ticks(pid) for pid in pids)
        time.sleep(0.5)
        if len(pids) >= workers and sum(cpu_ticks(pid) for pid in pids) - before <= 2:
            return process
    return process


def cpu_ticks(pid: str) -> int:
    """User and system CPU ticks of a process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])


def wait_until_up(process: subprocess.Popen[bytes], port: int) -> subprocess.Popen[bytes]:
    """`process` once its server answers on `port`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server (and its workers) and wait for it."""
    process.terminate()
    process.wait(30)


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


def measure(
    links: dict[str, str], server: subprocess.Popen[bytes]
) -> tuple[float, dict[str, tuple[float, Submission]]]:
    """Run every partner against `server`, then stop it."""
    try:
        return asyncio.run(run_all(links))
    finally:
        stop(server)


def p99_ms(outcomes: dict[str, tuple[float, Submission]]) -> tuple[float, float, float]:
    """(p50, p99, max) latency in ms."""
    latencies = sorted(seconds * 1000 for seconds, _ in outcomes.values())
    p99 = latencies[min(len(latencies) - 1, int(round(0.99 * len(latencies))) - 1)]
    return statistics.median(latencies), p99, latencies[-1]


def fresh_database(server_url: str | None, root: Path) -> tuple[str, str | None]:
    """(url, name to drop): a SQLite file in `root`, or a new database on a PostgreSQL server."""
    if server_url is None:
        return f"sqlite:///{root / 'portal.db'}", None
    name = f"trustcycle_bench_{os.getpid()}_{int(time.time())}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False), name


def drop_database(server_url: str, name: str) -> None:
    """Drop the run's PostgreSQL database."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    """Run the baseline and the portal and print their figures; exit 1 on any lost or
    doubled return."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes for both")
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL server (default: SQLite)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trustcycle-bench-") as tmp:
        root = Path(tmp)
        url, dropped = fresh_database(args.database_url, root)
        try:
            figures = run(root, url, args.partners, args.workers)
        finally:
            if dropped and args.database_url:
                drop_database(args.database_url, dropped)
    return figures


def run(root: Path, url: str, partners: int, workers: int) -> int:
    """The baseline then the portal on database `url`; prints the figures."""
    port = free_port()
    write_config(root / "config", partners)
    database = Database.from_url(url)
    create_table(database.engine)
    links = open_requests(database, root / "config", f"http://127.0.0.1:{port}")
    bare_wall, bare = measure(links, start_bare(url, port, root / "bare-uploads", workers))
    server = start_portal(root / "config", url, port, root / "uploads", workers)
    wall, outcomes = measure(links, server)
    failed = [p for p, (_, result) in outcomes.items() if not result.ok]
    lost, doubled = check_stored(database, links)
    tokens = {link.split("/r/")[1].split("?")[0]: PDF + p.encode() for p, link in links.items()}
    bare_lost, bare_doubled = bare_stored(database.engine, tokens)
    database.dispose()
    kind = make_url(url).get_backend_name()
    print(f"database {kind}  workers {workers}  partners {len(links)}")
    for name, seconds, results in (("bare", bare_wall, bare), ("portal", wall, outcomes)):
        p50, p99, most = p99_ms(results)
        print(
            f"{name:6}  wall {seconds:.2f}s  throughput {len(links) / seconds:.1f}/s  "
            f"p50 {p50:.0f} ms  p99 {p99:.0f} ms  max {most:.0f} ms"
        )
    print(f"portal failed {len(failed)} doubled {doubled}")
    print(f"bare lost {bare_lost} doubled {bare_doubled}")
    _, p99, _ = p99_ms(outcomes)
    print(f"lost {lost} p99_ms {p99:.0f} ratio {bare_wall / wall:.2f}")
    return 1 if lost or doubled or failed or bare_lost or bare_doubled else 0


if __name__ == "__main__":
    sys.exit(main())
