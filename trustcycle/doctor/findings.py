"""A check's result: its status and one line saying what is in order or what to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from trustcycle.text import sanitise_line

# Secrets the checks read from the environment (or the CLI from a Prefect Secret block).
SMTP_PASSWORD_ENV = "TRUSTCYCLE_SMTP_PASSWORD"
PORTAL_SECRET_ENV = "TRUSTCYCLE_PORTAL_SECRET"  # trustcycle.chasing.links.SECRET_ENV


class Status(str, Enum):
    OK = "OK"
    WARN = "WARN"  # it works, but read the line
    FAIL = "FAIL"  # must be fixed
    SKIP = "SKIP"  # not checked: the line says why


@dataclass(frozen=True)
class Finding:
    check: str  # config, database, mail, portal, prefect, deployments, timezone, clock
    status: Status
    text: str
    blocks_serving: bool = False  # a FAIL `trustcycle serve` refuses to start with

    def line(self) -> str:
        """`FAIL database   cannot reach ...`: one line, whatever a server said."""
        return f"{self.status.value:<4} {self.check:<11} {sanitise_line(self.text, 2000)}"


def ok(check: str, text: str) -> Finding:
    return Finding(check, Status.OK, text)


def warn(check: str, text: str) -> Finding:
    return Finding(check, Status.WARN, text)


def fail(check: str, text: str, *, blocks_serving: bool = False) -> Finding:
    return Finding(check, Status.FAIL, text, blocks_serving)


def skip(check: str, text: str) -> Finding:
    return Finding(check, Status.SKIP, text)


def exit_status(findings: Iterable[Finding], strict: bool = False) -> int:
    """1 when anything must be fixed (or, with `strict`, anything to read); else 0."""
    bad = {Status.FAIL, Status.WARN} if strict else {Status.FAIL}
    return 1 if any(f.status in bad for f in findings) else 0


def one_line(exc: BaseException) -> str:
    """An exception as one line (never a traceback; never more than a line of it)."""
    text = str(exc).strip().splitlines()
    return sanitise_line(text[0] if text else type(exc).__name__, 400)
