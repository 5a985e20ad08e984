"""`trustcycle config check|apply` from the shell: bad input changes nothing."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from trustcycle.db.models import AuditLog, Partner

ROOT = Path(__file__).resolve().parents[2]
RUTLAND = ROOT / "config" / "examples" / "rutland-2010"

BREAKAGES = {
    "yaml_syntax": ("partners.yaml", "  police:\n", "  police:\n   - [unclosed\n"),
    "unknown_partner": ("priorities.yaml", "lead_partner: yot", "lead_partner: yott"),
    "deadline_before_request": (
        "calendar.yaml", "request: {date: 2010-05-17}", "request: {date: 2010-06-30}"
    ),
    "invalid_email": (
        "partners.yaml", "email: mark.dunn@police.example.uk}", "email: mark.dunn@@police}"
    ),
}


def _cli(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRUSTCYCLE_DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "trustcycle", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_config_exits_non_zero_with_one_line_and_writes_nothing(
    breakage: str, tmp_path: Path, sqlite_url: str
) -> None:
    config = tmp_path / "config"
    shutil.copytree(RUTLAND, config)
    file, old, new = BREAKAGES[breakage]
    path = config / file
    path.write_text(path.read_text().replace(old, new, 1))

    result = _cli("--config", str(config), "config", "apply", db_url=sqlite_url)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: ")
    db_file = Path(sqlite_url.removeprefix("sqlite:///"))
    assert not db_file.exists()


def test_config_apply_twice_changes_nothing_the_second_time(sqlite_url: str) -> None:
    first = _cli("--config", str(RUTLAND), "config", "apply", db_url=sqlite_url)
    assert first.returncode == 0, first.stderr
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        partners = conn.scalar(select(func.count()).select_from(Partner))
        audits = conn.scalar(select(func.count()).select_from(AuditLog))
    assert partners == 11

    second = _cli("--config", str(RUTLAND), "config", "apply", db_url=sqlite_url)
    assert second.returncode == 0, second.stderr
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditLog)) == audits
    assert second.stdout.startswith("0 created, 0 updated, 0 retired, 0 restored"), second.stdout
