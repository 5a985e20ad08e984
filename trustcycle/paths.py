"""Where the project's own files live, whatever the working directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def templates_dir() -> Path:
    """`templates/` of the project (override with TRUSTCYCLE_TEMPLATES)."""
    return Path(os.environ.get("TRUSTCYCLE_TEMPLATES", PROJECT_ROOT / "templates"))
