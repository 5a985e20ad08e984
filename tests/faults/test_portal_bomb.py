"""The portal under hostile uploads, served for real by uvicorn on loopback: a 1 GB
decompression bomb is refused from the ZIP's central directory, a workbook too heavy to
read is cut off by its worker process's bounds, and other partners are answered all along.
No wall-clock limits: times are compared with a baseline measured in the same run."""

from __future__ import annotations

import contextvars
import io
import os
import socket
import statistics
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import openpyxl
import pytest
import uvicorn
from sqlalchemy import func, select

from tests.faults.portal_files import bomb_workbook, wide_row_workbook
from tests.integration.portal_support import DURING_CYCLE, SECRET, Portal, build_portal
from trustcycle.calendar.clock import use_clock
from trustcycle.db import Database
from trustcycle.db.models import ReturnVersion
from trustcycle.portal import create_app
from trustcycle.portal.client import Submission, submit_via_portal
from trustcycle.portal.table_worker import TableReader
from trustcycle.portal.tables import TableError

NEEDS = ("joint_needs_analysis", "police")
FORM = {"commentary": "Figures for the whole county."}
T = TypeVar("T")
WORKER_TIMEOUT = 1.0  # seconds a worker may spend on one workbook in these tests


def _indicators(padding: int = 0) -> bytes:
    """A valid workbook of indicators, with `padding` bytes of picture that it stores as is
    (so it can be as large on the wire as a bomb)."""
    book = openpyxl.Workbook()
    book.active.append(["indicator", "period", "source", "value", "comparator"])
    book.active.append(["Children in low income families (%)", "2008", "HMRC", 8.1, 21.3])
    out = io.BytesIO()
    book.save(out)
    if padding:
        with zipfile.ZipFile(out, "a") as archive:
            archive.writestr("xl/media/image1.png", os.urandom(padding), zipfile.ZIP_STORED)
    return out.getvalue()


@dataclass(frozen=True)
class Live:
    """The portal behind uvicorn, and a client for it."""

    portal: Portal
    client: httpx.Client
    base: str

    def submit(self, workbook: bytes) -> tuple[Submission, float]:
        started = time.perf_counter()
        result = submit_via_portal(
            self.client, self.portal.links[NEEDS], FORM, {"indicators": ("needs.xlsx", workbook)}
        )
        return result, time.perf_counter() - started

    def versions(self) -> int:
        with self.portal.database.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(ReturnVersion)) or 0)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    database = Database.from_url(f"sqlite:///{tmp_path / 'portal.db'}")
    reader = TableReader(workers=1, timeout=WORKER_TIMEOUT)
    with use_clock(DURING_CYCLE):
        portal = build_portal(database, tmp_path, base_url=base)
        app = create_app(database, portal.cfg, SECRET, portal.upload_dir, table_reader=reader)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        context = contextvars.copy_context()  # the server thread reads the fixed clock
    thread = threading.Thread(
        target=context.run, args=(server.run,), kwargs={"sockets": [listener]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    with httpx.Client(timeout=60) as client:
        yield Live(portal, client, base)
    server.should_exit = True
    thread.join(10)
    reader.close()
    listener.close()
    database.dispose()


def _while_running(work: Callable[[], T], base: str) -> tuple[T, list[float]]:
    """Run `work` in a thread; meanwhile a second partner's browser asks for pages. The
    latencies of the pages answered while `work` was still running, and its result."""
    box: list[T] = []
    thread = threading.Thread(target=lambda: box.append(work()))
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as other:
        thread.start()
        while thread.is_alive():
            started = time.perf_counter()
            page = other.get("/")
            if thread.is_alive():
                assert page.status_code == 200
                latencies.append(time.perf_counter() - started)
    thread.join()
    return box[0], latencies


def test_a_decompression_bomb_is_refused_faster_than_a_real_workbook_is_read(
    live: Live,
) -> None:
    bomb = bomb_workbook(1024)  # 1 MB that unpacks to 1 GB
    good = _indicators(padding=len(bomb))  # as large on the wire, and read and stored
    live.submit(good)  # starts the worker process: not part of the baseline
    baseline = statistics.median(live.submit(good)[1] for _ in range(3))
    stored = live.versions()

    def bombs() -> list[tuple[Submission, float]]:
        return [live.submit(bomb) for _ in range(3)]

    results, others = _while_running(bombs, live.base)

    for result, _ in results:
        assert result.status == 413
        assert "The indicators file unpacks to more than 50 MB (1,024 MB)" in result.html
    assert max(seconds for _, seconds in results) < 3 * baseline
    assert others, "no other request was answered while the bombs were refused"
    assert live.versions() == stored


def test_a_workbook_too_heavy_to_read_is_cut_off_while_other_partners_are_served(
    live: Live,
) -> None:
    heavy = wide_row_workbook(300_000)  # within every ZIP limit; seconds and 250 MB to read
    live.submit(_indicators())  # a warm worker, as a busy portal has
    (result, seconds), others = _while_running(lambda: live.submit(heavy), live.base)

    assert result.status == 422
    assert "The indicators file needs more memory or time to read than the portal allows" in (
        result.html
    )
    assert len(others) >= 3
    assert max(others) < seconds / 2  # nobody waited for the workbook
    after, _ = live.submit(_indicators())  # a fresh worker replaced the one cut off
    assert after.ok


def test_a_worker_out_of_memory_refuses_that_workbook_and_the_next_one_is_read() -> None:
    reader = TableReader(workers=1, timeout=120, memory_bytes=200 * 1024 * 1024)
    try:
        with pytest.raises(TableError, match="needs more memory or time to read"):
            reader.read(wide_row_workbook(550_000), 10)  # ~500 MB to read in full
        assert reader.read(_indicators(), 10)[1][:3] == [
            "Children in low income families (%)", "2008", "HMRC"
        ]
    finally:
        reader.close()
