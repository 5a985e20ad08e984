"""What a draft is built from, as plain data: the returns owed and received, and attendance.

`papers.load_inputs` reads these from the database; tests build them by hand. A return
owed but never received is still listed (status open, missing or waived, no payload), so a
draft can show it as missing instead of silently dropping it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from trustcycle.config.asked import partners_asked
from trustcycle.config.loader import TrustConfig

RECEIVED = "received"


@dataclass(frozen=True)
class ReturnRecord:
    """The latest version of one partner's return to one process (or its absence)."""

    process: str
    partner: str
    return_id: str
    status: str = "open"  # open | received | waived | missing
    version: int | None = None
    received_on: str | None = None  # ISO date, local
    sha256: str | None = None
    payload: dict[str, Any] | None = None
    waived_reason: str | None = None
    # on_time | late | late_after_papers | missing | waived (`calendar.punctuality`), set
    # by `papers.load_inputs` from the database; None in a record built by hand.
    timing: str | None = None

    @property
    def received(self) -> bool:
        return self.status == RECEIVED and self.payload is not None


@dataclass(frozen=True)
class AttendanceRecord:
    """One person's attendance at one meeting of a body."""

    body: str
    meeting_on: date
    person_email: str
    status: str  # present | apologies | deputy | absent


@dataclass(frozen=True)
class DraftInputs:
    """Everything one draft reads besides the configuration."""

    returns: tuple[ReturnRecord, ...]
    attendance: tuple[AttendanceRecord, ...] = field(default=())
    related: tuple[ReturnRecord, ...] = field(default=())  # e.g. the needs assessment

    def of(self, process: str) -> list[ReturnRecord]:
        return [r for r in (*self.returns, *self.related) if r.process == process]


def expected_returns(cfg: TrustConfig, process: str) -> list[tuple[str, str]]:
    """(partner, return id) for every return the process asks, in configuration order."""
    return [
        (partner, spec.id)
        for spec in cfg.processes[process].returns
        for partner in partners_asked(cfg, spec)
    ]


def complete(cfg: TrustConfig, process: str, found: list[ReturnRecord]) -> list[ReturnRecord]:
    """Every owed return in configuration order: the found record, or an open placeholder."""
    by_key = {(r.partner, r.return_id): r for r in found}
    out = [
        by_key.pop(key, ReturnRecord(process=process, partner=key[0], return_id=key[1]))
        for key in expected_returns(cfg, process)
    ]
    # A return recorded from a partner no longer asked is still shown, after the rest.
    return out + [by_key[k] for k in sorted(by_key)]


def returns_sha256(records: tuple[ReturnRecord, ...] | list[ReturnRecord]) -> str:
    """The fingerprint of the returns a draft used: stable across order and runs."""
    used = sorted(
        (r.process, r.partner, r.return_id, r.status, r.version or 0, r.sha256 or "")
        for r in records
    )
    return hashlib.sha256(json.dumps(used).encode()).hexdigest()


def inputs_sha256(inputs: DraftInputs) -> str:
    """The fingerprint of everything a draft read (returns, related returns, attendance)."""
    data = {
        "returns": returns_sha256(inputs.returns),
        "related": returns_sha256(inputs.related),
        "attendance": sorted(
            (a.body, a.meeting_on.isoformat(), a.person_email, a.status)
            for a in inputs.attendance
        ),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def as_jsonable(record: ReturnRecord) -> dict[str, Any]:
    return asdict(record)
