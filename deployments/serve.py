"""`trustcycle serve`: the Prefect server as a child process, the deployments served in-process.

One process tree on one machine: `prefect server start` (API, UI, scheduler; SQLite under
PREFECT_HOME unless `PREFECT_SERVER_DATABASE_CONNECTION_URL` names PostgreSQL), this
process running every deployment through `prefect.serve`, and the embedded mail sink
when no SMTP host is configured.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Self

import httpx

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
DEFAULT_PREFECT_HOME = Path("var/prefect")


class ServeError(Exception):
    """The server did not come up, or the options cannot work together."""


def prefect_home() -> Path:
    """PREFECT_HOME if set, else `var/prefect` under the working directory (absolute)."""
    return Path(os.environ.get("PREFECT_HOME") or DEFAULT_PREFECT_HOME).resolve()


def _probe_host(host: str) -> str:
    # A wildcard bind address is not somewhere to connect to; probe over loopback.
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class PrefectServer:
    """`prefect server start` in its own session; stopped with all its children."""

    def __init__(
        self, host: str, port: int, home: Path, env: dict[str, str] | None = None
    ) -> None:
        self.host, self.port, self.home = host, port, home
        self.extra_env = dict(env or {})
        self.log_path = home / "server.log"
        # The server's pid (and process group): lets an operator or a test's teardown find
        # a server left behind if this process was killed with SIGKILL.
        self.pid_path = home / "trustcycle-server.pid"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def api_url(self) -> str:
        """The API as clients on this machine reach it."""
        return f"http://{_url_host(_probe_host(self.host))}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        """The UI as a browser on this machine reaches it."""
        return self.api_url.removesuffix("/api")

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PREFECT_HOME"] = str(self.home)
        # Trap: `--port` moves the API but not the UI, whose API URL comes from the settings
        # (PREFECT_UI_API_URL, else PREFECT_API_URL, else PREFECT_SERVER_API_HOST/PORT,
        # default 127.0.0.1:4200). Behind a proxy set PREFECT_UI_API_URL to the public URL.
        env["PREFECT_SERVER_API_HOST"] = self.host
        env["PREFECT_SERVER_API_PORT"] = str(self.port)
        env["PREFECT_API_URL"] = self.api_url
        # A council's scheduler has no business phoning home; set it to true to opt in.
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 120.0) -> None:
        """Start the server and wait until `/api/health` answers 200."""
        if self._answers():
            # Trap: otherwise the health check below would pass against the other server.
            raise ServeError(f"something already answers on {self.api_url}: another serve?")
        self.home.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        # Own session: a Ctrl-C in the terminal reaches us, not the server, so we stop it
        # after the runner has paused its schedules (the runner needs the API to do that).
        command = [sys.executable, "-m", "prefect", "server", "start"]
        command += ["--host", self.host, "--port", str(self.port)]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self._env(),
            start_new_session=True,
        )
        self.pid_path.write_text(f"{self._process.pid}\n")
        self.wait_healthy(timeout)

    def _answers(self) -> bool:
        try:
            # /api/health is exempt from PREFECT_SERVER_API_AUTH_STRING (3.8.8).
            return httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self, timeout: float) -> None:
        """Poll `/api/health`; raise `ServeError` with the log's tail if it never answers."""
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                raise ServeError(f"prefect server exited ({code}):\n{self.log_tail()}")
            if self._answers():
                return
            time.sleep(0.5)
        raise ServeError(f"prefect server not healthy after {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the server's process group, then SIGKILL whatever is left."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
            except ProcessLookupError:
                pass
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # stragglers left in its group
            except (ProcessLookupError, PermissionError):
                pass
        self.pid_path.unlink(missing_ok=True)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class ServeOptions:
    """What `trustcycle serve` was asked to do."""

    config_dir: Path
    year: int | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    start_server: bool = True


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM before the runner installs its own handler: unwind like Ctrl-C so the
    # `finally` blocks stop the server and the sink instead of orphaning them.
    raise KeyboardInterrupt


def _start_mail_sink(stack: ExitStack) -> None:
    """The embedded sink when no SMTP host is set; its port exported for the flow runs."""
    from trustcycle.mail.settings import SmtpSettings
    from trustcycle.mail.sink import MailSink

    settings = SmtpSettings()
    if not settings.uses_sink:
        print(f"mail: SMTP host {settings.host}")
        return
    directory = settings.sink_dir.resolve()
    sink = stack.enter_context(MailSink(directory, port=settings.port or 0))
    # Flow runs are child processes of the runner and inherit os.environ.
    os.environ["TRUSTCYCLE_SMTP_PORT"] = str(sink.port)
    os.environ["TRUSTCYCLE_MAIL_SINK_DIR"] = str(directory)
    print(f"mail: embedded sink on {sink.host}:{sink.port} writing {directory}")


def run(opts: ServeOptions) -> int:
    """Start the server (unless told not to), the mail sink, and serve every deployment."""
    from prefect import serve
    from prefect.settings import (
        PREFECT_API_AUTH_STRING,
        PREFECT_API_URL,
        PREFECT_HOME,
        temporary_settings,
    )

    from deployments.build import build

    signal.signal(signal.SIGTERM, _interrupt)
    from trustcycle.doctor.preflight import blocking, preflight

    # The doctor's local checks, printed; only what makes serving impossible stops it.
    impossible = blocking(preflight(opts.config_dir))
    if impossible:
        raise ServeError("not starting: " + "; ".join(f.text for f in impossible))
    deployments = build(opts.config_dir, opts.year)  # a config error fails before any start
    home = prefect_home()
    with ExitStack() as stack:
        if opts.start_server:
            server = stack.enter_context(PrefectServer(opts.host, opts.port, home))
            api_url = server.api_url
            print(f"Prefect UI: {server.ui_url}  (server log: {server.log_path})")
        else:
            api_url = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
            if not api_url:
                raise ServeError("--no-server needs PREFECT_API_URL (the server to register with)")
        _start_mail_sink(stack)
        updates = {PREFECT_API_URL: api_url, PREFECT_HOME: str(home)}
        os.environ.update({"PREFECT_API_URL": api_url, "PREFECT_HOME": str(home)})
        server_auth = os.environ.get("PREFECT_SERVER_API_AUTH_STRING")
        if server_auth and not os.environ.get("PREFECT_API_AUTH_STRING"):
            # Our own client must present the basic-auth string the server now demands.
            updates[PREFECT_API_AUTH_STRING] = server_auth
            os.environ["PREFECT_API_AUTH_STRING"] = server_auth
        with temporary_settings(updates=updates):
            try:
                serve(*deployments)
            except KeyboardInterrupt:
                pass
    print("trustcycle serve: stopped")
    return 0
