"""Shared set-up for the portal tests: the Rutland 2010 trust, requests opened, links made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pendulum
from fastapi import FastAPI
from sqlalchemy import select

from trustcycle.calendar.clock import FixedClock
from trustcycle.chasing.returns import find_or_open
from trustcycle.chasing.rules import Owed
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import ContributionRequest
from trustcycle.portal import create_app, portal_link
from trustcycle.trust import load_config

CONFIG = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"
SECRET = b"portal-tests-secret-0123456789abcdefghij"
BASE = "http://testserver"
# 1 June 2010: every Rutland request of the cycle is open, the cycle ends 1 April 2011.
DURING_CYCLE = FixedClock.on(pendulum.date(2010, 6, 1), 10)


@dataclass(frozen=True)
class Portal:
    """An app over a real database, with a signed link per opened request."""

    app: FastAPI
    database: Database
    cfg: TrustConfig
    upload_dir: Path
    links: dict[tuple[str, str], str]
    tokens: dict[tuple[str, str], str]

    def request(self, process: str, partner: str) -> ContributionRequest:
        """The request row for (process, partner), freshly read."""
        with self.database.sessions() as session:
            return session.scalars(
                select(ContributionRequest).where(
                    ContributionRequest.token == self.tokens[process, partner]
                )
            ).one()


OPENED = [
    ("cypp_annual_review", "police", "priority_progress"),
    ("cypp_annual_review", "pct", "priority_progress"),
    ("membership_review", "police", "representation"),
    ("joint_needs_analysis", "police", "needs_data"),
    ("child_poverty_strategy", "police", "measures"),
    ("child_poverty_strategy", "pct", "measures"),
]


def build_portal(
    database: Database,
    tmp_path: Path,
    *,
    base_url: str = BASE,
    max_upload_bytes: int = 1024 * 1024,
    opened: list[tuple[str, str, str]] = OPENED,
) -> Portal:
    """Apply the configuration, open the given requests and make the portal app."""
    cfg = load_config(CONFIG)
    links: dict[tuple[str, str], str] = {}
    tokens: dict[tuple[str, str], str] = {}
    with database.sessions.begin() as session:
        apply_config(session, cfg, actor="test")
        for process, partner, return_id in opened:
            owed = Owed(process, partner, return_id)
            row = find_or_open(session, cfg, owed, now=DURING_CYCLE.now())
            session.flush()
            session.refresh(row)
            links[process, partner] = portal_link(base_url, row, SECRET)
            tokens[process, partner] = row.token
    upload_dir = tmp_path / "uploads"
    app = create_app(database, cfg, SECRET, upload_dir, max_upload_bytes=max_upload_bytes)
    return Portal(app, database, cfg, upload_dir, links, tokens)


CYPP_POLICE_OK = {
    "p-p04_safe-rag": "amber",
    "p-p04_safe-value": "21.5",
    "p-p04_safe-narrative": "Re-referrals fell in the second half of the year.",
    "p-p04_safe-risks": "Staffing in the MASH.",
}
