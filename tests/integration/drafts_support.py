"""Shared set-up for the drafts tests: the Rutland 2010-11 trust applied to a real
database, with the fixture returns recorded through the chase's own `record_return`."""

from __future__ import annotations

from pathlib import Path

import pendulum

from tests.fixtures.returns import payloads
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.returns import record_return, resolve_owed
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.trust import load_config

RUTLAND = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"
RECEIVED = pendulum.datetime(2010, 6, 1, 10, 0, tz="Europe/London")


def rutland() -> TrustConfig:
    """The Rutland 2010-11 example configuration."""
    return load_config(RUTLAND)


def seed(db: Database, cfg: TrustConfig, processes: tuple[str, ...]) -> None:
    """Apply the configuration and record every fixture return of `processes`."""
    with use_clock(FixedClock(RECEIVED)):
        with db.sessions.begin() as session:
            apply_config(session, cfg, actor="test")
        for process in processes:
            record(db, cfg, process, payloads(process))


def record(db: Database, cfg: TrustConfig, process: str, returns: dict[str, dict]) -> None:
    """Record one version of each partner's return, as an officer would from the CLI."""
    with use_clock(FixedClock(RECEIVED)), db.sessions.begin() as session:
        for partner, payload in returns.items():
            record_return(session, cfg, resolve_owed(cfg, process, partner, None),
                          now=RECEIVED, actor="test", channel="cli", payload=payload,
                          year=2010)
