"""`trustcycle config check` from the shell on each class of date mistake (issue 11): exit 2,
one line on stderr naming the file, key path and rule, and nothing on stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_config_dates import BREAKAGES, RUTLAND, _broken

ROOT = Path(__file__).resolve().parents[2]
# One input of each class (the unit tests hold every case and every edge).
CLASSES = (
    "a full date in the next cycle year",
    "steps after in_force.end",
    "a request before the cycle start",
    "a rung after the cut-off",
    "an event on a Saturday",
    "a month-day April does not have",
    "month 13",
)


@pytest.mark.parametrize("name", CLASSES)
def test_config_check_refuses_each_class_of_date_mistake_in_one_line(
    name: str, tmp_path: Path
) -> None:
    file, old, new, expected = BREAKAGES[name]
    config = _broken(tmp_path, RUTLAND, file, old, new)

    result = subprocess.run(
        [sys.executable, "-m", "trustcycle", "--config", str(config), "config", "check"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [f"{config / file}: {expected}"]
