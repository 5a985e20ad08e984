"""Deployments named per trust (`trustcycle deploy`) beside the names `serve` keeps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deployments.build import plan, sibling_deployment
from deployments.pool import deploy_trusts
from trustcycle.config import ConfigError
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ["chase-returns", "run-cycle", "record-return", "collect-returns", "assemble-draft"]
PROCESSES = ["membership-review", "cypp-annual-review", "joint-needs-analysis",
             "child-poverty-strategy"]


def test_serve_keeps_the_flow_names_and_deploy_names_every_deployment_after_the_trust() -> None:
    cfg = load_config(ROOT / "config")
    served = plan(cfg)
    per_trust = plan(cfg, config_dir="wessex_vale", per_trust=True)
    assert [p.name for p in served] == FLOWS + PROCESSES
    assert [p.name for p in per_trust] == (
        ["wessex_vale"] * 5 + [f"wessex_vale.{p}" for p in PROCESSES])
    assert all("wessex_vale" in p.tags for p in per_trust)
    # The trust's folder is fixed on every run form; under serve it stays a field.
    assert all("config_dir" in p.frozen for p in per_trust)
    assert not any("config_dir" in p.frozen for p in served)
    assert all(p.parameters["config_dir"] == "wessex_vale" for p in per_trust)


@pytest.mark.parametrize(("current", "expected"), [
    ("north", "assemble-draft/north"),
    ("north.membership-review", "assemble-draft/north"),
    ("run-cycle", "assemble-draft/assemble-draft"),
    (None, "assemble-draft/assemble-draft"),
    ("northdale", "assemble-draft/assemble-draft"),  # another trust whose id starts alike
])
def test_a_run_starts_the_deployment_of_its_own_trust_named_as_its_own_was(
    current: str | None, expected: str
) -> None:
    assert sibling_deployment("assemble-draft", "north", current) == expected


def test_a_process_deployment_is_found_under_its_kind_for_the_trust() -> None:
    assert sibling_deployment("cypp-annual-review", "north", "north", "partner_statements") == (
        "cypp-annual-review/north.partner-statements")
    assert sibling_deployment("cypp-annual-review", "north", "run-cycle", "partner_statements") \
        == "cypp-annual-review/partner-statements"


def test_a_trust_folder_not_named_after_its_trust_registers_nothing(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "config", tmp_path / "trusts" / "wessex",
                    ignore=shutil.ignore_patterns("examples"))
    with pytest.raises(ConfigError) as refused:
        deploy_trusts(tmp_path / "trusts", "trustcycle")
    assert str(refused.value) == (
        f"{tmp_path / 'trusts' / 'wessex' / 'trust.yaml'}: trust.id: 'wessex_vale' must be "
        "the folder's name ('wessex')")


def test_a_trusts_folder_without_a_trust_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        deploy_trusts(tmp_path, "trustcycle")
    assert str(refused.value) == (
        f"{tmp_path}: --trusts: no trust folder (a folder holding trust.yaml)")
