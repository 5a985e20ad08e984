"""The Prefect task around delivery: one task run per tick, the sink default, the secret."""

from __future__ import annotations

import email
from pathlib import Path

import pendulum
import pytest
from prefect import flow, task
from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from tasks.mail import SECRET_BLOCK, deliver_outbox, smtp_password
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.db import Database
from trustcycle.mail.settings import SmtpSettings
from trustcycle.outbox import DeliveryReport, enqueue

NOW = pendulum.datetime(2010, 11, 17, 9, 0, tz="Europe/London")

pytestmark = pytest.mark.usefixtures("prefect_harness")


def queue(db: Database, count: int) -> None:
    with db.sessions.begin() as session:
        for i in range(count):
            enqueue(
                session,
                idem_key=f"k{i}",
                kind="reminder",
                to=[f"p{i}@example.org"],
                subject=f"Reminder {i}",
                text="Dear partner,\n",
                html="<p>Dear partner,</p>",
                date_header=NOW,
            )


@flow
def one_tick(url: str) -> tuple[DeliveryReport, str]:
    from prefect.runtime import flow_run

    return deliver_outbox(url, now=NOW), str(flow_run.id)


@task
def sentinel() -> None:
    """A task run recorded after everything the test's flow sent."""


@flow
def sentinel_flow() -> str:
    from prefect.runtime import flow_run

    sentinel()
    return str(flow_run.id)


def task_runs_of(flow_run_id: str, within: float = 30.0) -> int:
    """How many task runs the server recorded for a finished flow run.

    Task runs are recorded from events, after the flow returns. A sentinel flow runs after
    it; its events leave this process after the first flow's (one events worker, in
    order) and the server's recorder consumes them in order, so once the sentinel's task
    run is recorded, every task run of the first flow is too: no fixed wait, no undercount.
    """
    import asyncio
    import time

    marker = sentinel_flow()

    async def count() -> int:
        deadline = time.monotonic() + within
        async with get_client() as client:

            async def runs_of(run_id: str) -> int:
                return len(
                    await client.read_task_runs(
                        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
                    )
                )

            while not await runs_of(marker):
                assert time.monotonic() < deadline, f"no task run recorded in {within:.0f} s"
                await asyncio.sleep(0.05)
            return await runs_of(flow_run_id)

    return asyncio.run(count())


def test_a_tick_is_one_task_run_however_many_messages(
    sqlite_url: str, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    db = Database.from_url(sqlite_url)
    queue(db, 25)
    report, run_id = one_tick(sqlite_url)
    assert report.sent == 25 and len(smtp_server.messages) == 25
    assert task_runs_of(run_id) == 1
    db.dispose()


def test_with_no_smtp_host_the_embedded_sink_writes_eml_files(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD"):
        monkeypatch.delenv(f"TRUSTCYCLE_SMTP_{name}", raising=False)
    monkeypatch.setenv("TRUSTCYCLE_MAIL_SINK_DIR", str(tmp_path / "mail"))
    db = Database.from_url(sqlite_url)
    queue(db, 3)
    report = deliver_outbox.fn(db, now=NOW)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert report.sent == 3 and len(files) == 3
    ids = {email.message_from_bytes(f.read_bytes())["Message-ID"] for f in files}
    assert ids == set(report.sent_message_ids)
    db.dispose()


def test_the_smtp_password_comes_from_the_secret_block_else_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SMTP_HOST", "smtp.example.gov.uk")
    monkeypatch.setenv("TRUSTCYCLE_MAIL_FROM", "trust@example.gov.uk")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_USER", "trust")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_STARTTLS", "true")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_PASSWORD", "from-env")
    assert smtp_password(SmtpSettings()) == "from-env"
    Secret(value="from-block").save(SECRET_BLOCK, overwrite=True)
    try:
        assert smtp_password(SmtpSettings()) == "from-block"
    finally:
        Secret.delete(SECRET_BLOCK)  # type: ignore[call-arg]
