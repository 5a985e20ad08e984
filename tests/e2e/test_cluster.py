"""Many trusts on Prefect's distributed parts, as `scripts/cluster.sh` starts them.

PostgreSQL holds Prefect's database and trustcycle's (every trust's); a Prefect server
runs on it; two `prefect worker start` processes, each in its own directory, run the
trusts' deployments (`trustcycle deploy`), reaching the configuration as a git clone of
the trusts' repository made by each flow run. Mail goes to an aiosmtpd server on loopback
and is counted by Message-ID. The tests run in order on one cluster: a working day of
three trusts, a worker killed in the middle of a chase, a fourth trust added while the
workers run.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import URL, create_engine, select, text

from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage, OutboxStatus

pytestmark = [pytest.mark.postgres, pytest.mark.cluster, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
TRUSTS = ("north", "south", "east")
FOURTH = "west"
REQUEST_DAY = "2026-04-13"  # the default calendar's membership review requests (cycle 2026)
LATER_DAY = "2026-05-13"  # the CYPP review's requests and the membership review's reminders
EMAIL = re.compile(r"([\w.+-]+)@([\w-]+\.)")


def add_trust(trusts: Path, trust_id: str) -> None:
    """The default trust under another id, every address moved to `<id>.` so its mail is
    told apart at the sink (partner ids stay the same in every trust); committed."""
    target = trusts / trust_id
    shutil.copytree(ROOT / "config", target, ignore=shutil.ignore_patterns("examples"))
    for path in target.glob("*.yaml"):
        content = EMAIL.sub(rf"\1@{trust_id}.\2", path.read_text())
        if path.name == "trust.yaml":
            content = re.sub(r"(?m)^  id: \w+$", f"  id: {trust_id}", content)
        path.write_text(content)
    git = ["git", "-C", str(trusts), "-c", "user.name=cluster", "-c", "user.email=c@example"]
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-qm", f"add {trust_id}"], check=True, capture_output=True)


@dataclass
class Cluster:
    """The running cluster: its directory, the env file's settings, the sink."""

    directory: Path
    env: dict[str, str]
    trusts: Path
    sink: SmtpTestServer

    @property
    def api(self) -> str:
        return self.env["PREFECT_API_URL"]

    def pid(self, name: str) -> int:
        return int((self.directory / f"{name}.pid").read_text())

    @contextmanager
    def client(self) -> Iterator[SyncPrefectClient]:
        """A Prefect client of the cluster's API (not the session's test harness)."""
        with temporary_settings({PREFECT_API_URL: self.api}), \
                get_client(sync_client=True) as client:
            yield client

    def run(self, deployment: str, as_of: str) -> UUID:
        """A run of `flow/deployment` for `as_of`, started as an officer or a schedule would."""
        with self.client() as client:
            found = client.read_deployment_by_name(deployment)
            run = client.create_flow_run_from_deployment(found.id, parameters={"as_of": as_of})
        return run.id

    def wait(self, ids: list[UUID], timeout: float = 300) -> list[FlowRun]:
        """The runs once all have ended (polling the API), or the test fails saying where.
        Crashed is not an end here: the cluster's automation schedules the run again."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while True:
                runs = [client.read_flow_run(i) for i in ids]
                if all(r.state is not None and r.state.is_final() and not r.state.is_crashed()
                       for r in runs):
                    return runs
                assert time.monotonic() < deadline, [(r.name, r.state_name) for r in runs]
                time.sleep(1)

    def workers_of(self, run: FlowRun) -> list[str]:
        """The workers that started the run, in order, from their own logs (a worker that
        lost the race to submit it logs no "submitted to infrastructure")."""
        started = [
            (line[:12], log.stem)
            for log in self.directory.glob("worker-*.log")
            for line in log.read_text().splitlines()
            if f"Flow run '{run.name}' submitted to infrastructure" in line
        ]
        return [worker for _, worker in sorted(started)]

    def worker_running(self, run_id: UUID) -> str:
        """The worker whose child process runs the flow run now (its parent process)."""
        with self.client() as client:
            pid = int(str(client.read_flow_run(run_id).infrastructure_pid).rpartition(":")[2])
        status = Path(f"/proc/{pid}/status").read_text()
        parent = int(re.search(r"^PPid:\s+(\d+)$", status, re.MULTILINE).group(1))  # type: ignore[union-attr]
        (worker,) = (p.stem for p in self.directory.glob("worker-*.pid")
                     if int(p.read_text()) == parent)
        return worker

    def deploy(self) -> None:
        """`trustcycle deploy` of every trust folder, as the operator runs it."""
        subprocess.run(
            [str(ROOT / ".venv/bin/trustcycle"), "deploy", "--pool", self.env["CLUSTER_POOL"],
             "--trusts", str(self.trusts), "--repository", f"file://{self.trusts}"],
            env={**os.environ, **self.env}, check=True, capture_output=True, timeout=300)

    def sent(self) -> dict[str, list[str]]:
        """Message-ID -> recipients of every outbox row recorded as sent."""
        db = Database.from_url(self.env["TRUSTCYCLE_DATABASE_URL"], migrate_schema=False)
        try:
            with db.sessions() as session:
                rows = session.execute(select(OutboxMessage.message_id, OutboxMessage.to_addrs)
                                       .where(OutboxMessage.status == OutboxStatus.sent.value))
                return {mid: list(to) for mid, to in rows}
        finally:
            db.dispose()


def _script(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts/cluster.sh"), command], env=env, text=True,
                          capture_output=True, timeout=600)


def _drop(admin: URL, names: list[str]) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="module")
def cluster(pg_server: URL, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """scripts/cluster.sh with three trusts, two workers and the sink; stopped by pid files."""
    base = tmp_path_factory.mktemp("cluster")
    trusts = base / "trusts"
    trusts.mkdir()
    subprocess.run(["git", "init", "-q", str(trusts)], check=True)
    for trust in TRUSTS:
        add_trust(trusts, trust)
    sink = SmtpTestServer(base / "sink")
    sink.start()
    name = f"tc_cluster_{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "TRUSTCYCLE_"))}
    env.update({
        "CLUSTER_DIR": str(base / "run"), "CLUSTER_NAME": name, "CLUSTER_PORT": "0",
        "CLUSTER_PG": admin_url(pg_server), "CLUSTER_WORKERS": "2",
        "CLUSTER_WORKER_LIMIT": "2", "CLUSTER_TRUSTS": str(trusts),
        "CLUSTER_REPOSITORY": f"file://{trusts}",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "TRUSTCYCLE_SMTP_HOST": sink.host, "TRUSTCYCLE_SMTP_PORT": str(sink.port),
        "TRUSTCYCLE_SMTP_STARTTLS": "false", "TRUSTCYCLE_SMTP_SSL": "false",
        "TRUSTCYCLE_MAIL_FROM": "Trust Support <support@trusts.example.gov.uk>",
    })
    started = _script(env, "start")
    directory = base / "run"
    try:
        assert started.returncode == 0, started.stdout + started.stderr + _logs(directory)
        settings = dict(re.findall(r"^export (\w+)='?([^'\n]*)'?$",
                                   (directory / "env").read_text(), re.MULTILINE))
        yield Cluster(directory, settings, trusts, sink)
    finally:
        stopped = _script(env, "stop")
        sink.stop()
        _drop(pg_server, [f"{name}_prefect", f"{name}_app"])
    assert stopped.returncode == 0, stopped.stderr
    assert not list(directory.glob("*.pid"))


def admin_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _logs(directory: Path) -> str:
    return "".join(f"\n--- {p.name}\n{p.read_text()[-3000:]}" for p in directory.glob("*.log"))


def mail_of(trust: str) -> Callable[[list[str]], bool]:
    return lambda recipients: any(f"@{trust}." in r for r in recipients)


def assert_each_sent_message_arrived_once(cluster: Cluster) -> dict[str, list[str]]:
    sent = cluster.sent()
    arrived = Counter(cluster.sink.message_ids())
    assert [mid for mid, n in arrived.items() if n > 1] == []
    assert set(arrived) == set(sent)
    return sent


def test_a_working_day_of_three_trusts_is_run_by_both_workers_and_each_mail_arrives_once(
    cluster: Cluster,
) -> None:
    ids = [cluster.run(f"chase-returns/{trust}", REQUEST_DAY) for trust in TRUSTS]
    runs = cluster.wait(ids)
    assert [r.state_name for r in runs] == ["Completed"] * 3
    assert {w for r in runs for w in cluster.workers_of(r)} == {"worker-1", "worker-2"}
    sent = assert_each_sent_message_arrived_once(cluster)
    for trust in TRUSTS:
        of_trust = [mid for mid, to in sent.items() if mail_of(trust)(to)]
        assert len(of_trust) > 0, trust
    # Every message is one trust's: the three trusts' requests never mix.
    assert sum(sum(mail_of(t)(to) for t in TRUSTS) for to in sent.values()) == len(sent)


def test_a_worker_killed_in_the_middle_of_a_chase_crashes_its_run_which_another_worker_retries(
    cluster: Cluster,
) -> None:
    before = len(cluster.sink.messages)
    cluster.sink.slow(1.0)  # delivery takes seconds: time to kill the worker inside it
    try:
        run_id = cluster.run(f"chase-returns/{TRUSTS[0]}", LATER_DAY)
        deadline = time.monotonic() + 300
        while len(cluster.sink.messages) == before:
            assert time.monotonic() < deadline, "the chase sent nothing"
            time.sleep(0.2)
        victim = cluster.worker_running(run_id)
        os.kill(cluster.pid(victim), signal.SIGKILL)
        (run,) = cluster.wait([run_id])
    finally:
        cluster.sink.slow(0)
    with cluster.client() as client:
        states = [s.name for s in client.read_flow_run_states(run_id)]
    assert run.state_name == "Completed"
    assert states.index("Crashed") < states.index("AwaitingRetry") < len(states) - 1
    survivor = ({"worker-1", "worker-2"} - {victim}).pop()
    assert cluster.workers_of(run) == [victim, survivor]
    sent = assert_each_sent_message_arrived_once(cluster)
    assert len(sent) > before


def test_a_fourth_trust_added_and_deployed_is_run_by_the_workers_already_running(
    cluster: Cluster,
) -> None:
    running = {p.stem: int(p.read_text()) for p in cluster.directory.glob("worker-*.pid")}
    alive = {name: pid for name, pid in running.items() if _alive(pid)}
    assert alive
    add_trust(cluster.trusts, FOURTH)
    cluster.deploy()
    (run,) = cluster.wait([cluster.run(f"chase-returns/{FOURTH}", REQUEST_DAY)])
    assert run.state_name == "Completed"
    assert set(cluster.workers_of(run)) <= set(alive)
    assert all(_alive(pid) for pid in alive.values())
    sent = assert_each_sent_message_arrived_once(cluster)
    assert any(mail_of(FOURTH)(to) for to in sent.values())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
