"""A small trust for the chase tests: five partners, one process, a ladder across May 2026.

Dates (England bank holidays: Monday 4 May and Monday 25 May 2026): requests Monday
27 April; rungs 7 and 3 working days before (1 May, 8 May), on the day (Wednesday 13 May),
2 working days overdue (15 May), then escalation 4 working days overdue (19 May); the
cut-off 5 working days after the deadline (20 May).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from trustcycle.calendar.workdays import for_trust
from trustcycle.chasing.rules import rung_days
from trustcycle.trust import load_config

# Fixtures of the shared plugins, made visible to this module's tests.

PARTNERS = ("alpha", "bravo", "charlie", "delta", "echo")
MANAGER = "manager@trust.example.gov.uk"
OFFICER = "officer@trust.example.gov.uk"


def contact(pid: str) -> str:
    return f"{pid}.contact@{pid}.example.org"


def senior(pid: str) -> str:
    return f"{pid}.chief@{pid}.example.org"


def write_config(directory: Path, partners: tuple[str, ...] = PARTNERS) -> Path:
    """Write the small trust's YAML files into `directory` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "trust.yaml": {"trust": {
            "id": "testshire", "name": "Testshire Children's Trust",
            "local_authority": "Testshire Council", "cycle_year": 2026,
            "manager": {"name": "Mo Manager", "role": "Trust Manager", "email": MANAGER},
            "officer": {"name": "Olu Officer", "role": "Support Officer", "email": OFFICER},
        }},
        "partners.yaml": {"partners": {
            pid: {"name": f"{pid.title()} Services", "category": "other",
                  "legal_basis": "invited",
                  "contacts": [{"name": f"{pid.title()} Contact", "email": contact(pid)}],
                  "senior_contact": {"name": f"{pid.title()} Chief", "email": senior(pid)}}
            for pid in partners
        }},
        "bodies.yaml": {"bodies": {"board": {
            "name": "Trust Board", "kind": "board", "meetings": {"dates": [date(2026, 6, 9)]},
        }}},
        "priorities.yaml": {"priorities": {}},
        "calendar.yaml": {"processes": {"membership_review": {
            "kind": "membership_review", "title": "Review of Trust membership",
            "legal_basis": "Children Act 2004 s10", "enabled": True,
            "returns": [{"id": "representation", "title": "Your representative and deputy",
                         "asked_of": {"all": True}}],
            "request": {"date": date(2026, 4, 27)},
            "deadline": {"date": date(2026, 5, 13)},
            "cutoff": {"working_days_after": 5, "of": "deadline"},
            "ladder": [
                {"name": "before_7", "working_days": -7},
                {"name": "before_3", "working_days": -3},
                {"name": "on_the_day", "working_days": 0},
                {"name": "overdue_2", "working_days": 2},
                {"name": "escalate_4", "working_days": 4, "escalate": True},
            ],
            "receiving": {"body": "board", "meeting": {"body": "board", "date": date(2026, 6, 9)}},
        }}},
    }
    for name, data in files.items():
        (directory / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return directory


def test_the_small_trust_ladder_falls_on_the_documented_days(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path / "config"))
    days = {r.name: r.day for r in rung_days(cfg.processes["membership_review"].ladder,
                                             date(2026, 5, 13), for_trust(cfg))}
    assert days == {"before_7": date(2026, 5, 1), "before_3": date(2026, 5, 8),
                    "on_the_day": date(2026, 5, 13), "overdue_2": date(2026, 5, 15),
                    "escalate_4": date(2026, 5, 19)}
