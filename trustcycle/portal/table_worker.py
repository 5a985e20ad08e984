"""Uploaded workbooks are read in worker processes with a memory and a time bound.

openpyxl parses in pure Python: a large or hostile workbook read inside the web server
would hold its event loop (and the GIL) for as long as it takes, and take whatever memory
it asks for. `TableReader` hands the bytes to a child process (`python -m
trustcycle.portal.table_worker`) that reads them under an address-space limit; the parent
waits at most `timeout` seconds. On either bound the child is killed and replaced, the
partner is told, and the web server has gone on answering everyone else meanwhile.

The protocol on the child's stdin/stdout: a request is `<u64 size><u32 max_rows>` and the
file's bytes; the reply is `<u64 size>` and JSON, `{"rows": [...]}` or `{"error": "..."}`.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from typing import Any, BinaryIO

from trustcycle.portal.tables import TableError, read_table

MEMORY_BYTES = 768 * 1024 * 1024  # openpyxl itself needs ~40 MB; a 5,000-row sheet ~80 MB
TIMEOUT_SECONDS = 10.0  # a 5,000-row sheet takes under a second
WORKERS = 2  # one per CPU of the machine it was sized on
_REQUEST = struct.Struct("<QI")
_REPLY = struct.Struct("<Q")
_TOO_BIG = "needs more memory or time to read than the portal allows"


class _Lost(Exception):
    """The worker died, or missed the deadline, mid-exchange."""


class _Worker:
    """One child process and its pipes."""

    def __init__(self, memory_bytes: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "trustcycle.portal.table_worker", str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # openpyxl's warnings about odd workbooks
        )

    def exchange(self, data: bytes, max_rows: int, timeout: float) -> dict[str, Any]:
        """Send one file, wait (at most `timeout` seconds) for the child's reply."""
        deadline = time.monotonic() + timeout
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(_REQUEST.pack(len(data), max_rows))
            stdin.write(data)
            stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _Lost from exc
        (size,) = _REPLY.unpack(_read(stdout, _REPLY.size, deadline))
        reply: dict[str, Any] = json.loads(_read(stdout, size, deadline))
        return reply

    def kill(self) -> None:
        """Stop the child now and reap it."""
        self.process.kill()
        self.process.wait()

    def close(self) -> None:
        """Let the child exit on end of input; kill it if it lingers."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()


def _read(stream: BinaryIO, size: int, deadline: float) -> bytes:
    """Exactly `size` bytes from a child's pipe, or `_Lost` at EOF or the deadline."""
    fd, chunks, left = stream.fileno(), [], size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise _Lost
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise _Lost
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class TableReader:
    """A small pool of table-reading child processes, started on first use."""

    def __init__(
        self,
        *,
        workers: int = WORKERS,
        timeout: float = TIMEOUT_SECONDS,
        memory_bytes: int = MEMORY_BYTES,
    ) -> None:
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self._slots = threading.BoundedSemaphore(workers)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()

    def read(self, data: bytes, max_rows: int) -> list[list[str]]:
        """The table's rows (blocking: call it from a worker thread), or `TableError`."""
        if not self._slots.acquire(timeout=self.timeout):
            raise TableError("could not be read now: the portal is busy, try again shortly")
        try:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = _Worker(self.memory_bytes)
            try:
                reply = worker.exchange(data, max_rows, self.timeout)
            except _Lost:
                worker.kill()  # past its deadline, or dead of its memory limit
                raise TableError(_TOO_BIG) from None
            if reply.get("fatal"):
                worker.close()  # it ran out of memory: start afresh next time
            else:
                self._idle.put(worker)
        finally:
            self._slots.release()
        if "error" in reply:
            raise TableError(reply["error"])
        return list(reply["rows"])

    def close(self) -> None:
        """Stop every idle child."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


_default: TableReader | None = None
_default_lock = threading.Lock()


def default_reader() -> TableReader:
    """The process's shared reader (its children stop when this process exits)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = TableReader()
            atexit.register(_default.close)
        return _default


# --- the child ---------------------------------------------------------------------------


def _serve(limit: int) -> int:
    import resource

    import openpyxl  # noqa: F401 - loaded before the limit, as every read needs it

    # The protocol owns the real stdout; anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    source = sys.stdin.buffer
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        head = source.read(_REQUEST.size)
        if len(head) < _REQUEST.size:
            return 0  # the parent closed the pipe (or exited)
        size, max_rows = _REQUEST.unpack(head)
        data = source.read(size)
        fatal = False
        try:
            reply: dict[str, Any] = {"rows": read_table(data, max_rows)}
        except TableError as exc:
            reply = {"error": str(exc)}
        except MemoryError:
            reply, fatal = {"error": _TOO_BIG, "fatal": True}, True
        body = json.dumps(reply).encode()
        out.write(_REPLY.pack(len(body)) + body)
        out.flush()
        if fatal:
            return 1


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1])))
