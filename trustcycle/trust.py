"""Loading a trust: its configuration parsed, then checked against the calendar's rules."""

from __future__ import annotations

from pathlib import Path

from trustcycle.calendar.checks import crosscheck
from trustcycle.config.loader import TrustConfig, parse_config


def load_config(directory: Path | str = "config", *, scenario: Path | None = None) -> TrustConfig:
    """Load and validate every file; raise `ConfigError` listing every problem found."""
    cfg = parse_config(directory, scenario=scenario)
    crosscheck(cfg, scenario or Path(directory) / "scenario.yaml")
    return cfg
