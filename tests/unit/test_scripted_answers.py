"""The simulator's scripted partners answer validly whatever a partner is called."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from trustcycle.config import TrustConfig
from trustcycle.portal.scripted import scripted_answer
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]


def _with_partner_name(cfg: TrustConfig, partner: str, name: str) -> TrustConfig:
    renamed = cfg.partners[partner].model_copy(update={"name": name})
    return TrustConfig(
        directory=cfg.directory, trust=cfg.trust, partners={**cfg.partners, partner: renamed},
        bodies=cfg.bodies, priorities=cfg.priorities, processes=cfg.processes,
    )


def test_a_needs_return_from_a_partner_whose_name_holds_a_comma_keeps_its_columns() -> None:
    cfg = load_config(ROOT / "config")
    process = next(p for p, spec in cfg.processes.items()
                   if spec.kind.value == "joint_needs_analysis")
    partner = "council"
    cfg = _with_partner_name(cfg, partner, 'Vale Council, Children\'s Services "North"')
    fields, files = scripted_answer(cfg, process, partner)
    _, content = files["indicators"]
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert [(r["source"], r["value"], r["section"]) for r in rows] == [
        ('Vale Council, Children\'s Services "North"', "12.0", "child_poverty")
    ]
    assert fields["commentary"] == 'Needs data from Vale Council, Children\'s Services "North".'
