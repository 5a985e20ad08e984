"""Hostile or mistaken configuration through `trustcycle config check`, as an officer runs
it: exit status 2 and one line on stderr naming the file and where, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trustcycle.cli import main
from trustcycle.config import strict_yaml
from trustcycle.db import Database

ROOT = Path(__file__).resolve().parents[2]
RUTLAND = ROOT / "config" / "examples" / "rutland-2010"
POLICE_NAME = "name: Leicestershire Constabulary"
# YAML double-quoted escapes: the file stays printable, the value holds the character.
ESCAPES = {
    "U+2028": ("\\L", "a line separator (U+2028)"),
    "NEL": ("\\N", "a next-line character (NEL, U+0085)"),
    "VT": ("\\v", "a vertical tab (VT)"),
    "FF": ("\\f", "a form feed (FF)"),
    "NUL": ("\\0", "a NUL character"),
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(RUTLAND, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _check(config: Path) -> tuple[int, list[str]]:
    """`trustcycle config check` in a child process: exit status and stderr lines."""
    result = subprocess.run(
        [sys.executable, "-m", "trustcycle", "--config", str(config), "config", "check"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stderr.strip().splitlines()


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_a_control_character_in_a_partner_name_is_one_line_naming_file_and_key(
    name: str, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    escape, described = ESCAPES[name]
    _edit(config / "partners.yaml", POLICE_NAME, f'name: "Leicestershire{escape}Constabulary"')
    assert main(["--config", str(config), "config", "check"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{config / 'partners.yaml'}: partners.police.name: must be a single line of text: "
        f"it contains {described} at character 15"
    ]


def test_a_line_separator_in_a_title_is_refused_by_the_cli_in_its_own_process(
    config: Path,
) -> None:
    _edit(config / "priorities.yaml", "title: ", 'title: "Safe\\Lfrom harm" # ')
    status, lines = _check(config)
    assert status == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"{config / 'priorities.yaml'}: priorities.")
    assert lines[0].endswith(".title: must be a single line of text: "
                             "it contains a line separator (U+2028) at character 5")


def test_a_duplicate_partner_id_names_the_file_both_lines_and_the_key(config: Path) -> None:
    partners = config / "partners.yaml"
    text = partners.read_text(encoding="utf-8")
    first = text[: text.index("  police:\n")].count("\n") + 1
    partners.write_text(text.rstrip("\n") + "\n  police:\n    name: Second Police\n")
    second = partners.read_text().count("\n") - 1
    status, lines = _check(config)
    assert status == 2
    assert lines == [f"{partners}: partners.police: duplicate key 'police' on line {second} "
                     f"(first on line {first})"]


def test_a_billion_laughs_file_is_refused_at_its_first_lines(config: Path) -> None:
    levels = ['lol0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        levels.append(f"lol{i}: &a{i} [{refs}]")
    (config / "bodies.yaml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    status, lines = _check(config)
    assert status == 2
    assert lines == [f"{config / 'bodies.yaml'}: lol4[0]: aliases expand to more than "
                     f"{strict_yaml.MAX_ALIAS_NODES:,} values (at *a3): write them out"]


def test_nesting_50000_deep_is_one_line_and_no_traceback(config: Path) -> None:
    body = "calendar: " + "[" * 50_000 + "]" * 50_000 + "\n"
    (config / "calendar.yaml").write_text(body, encoding="utf-8")
    status, lines = _check(config)
    assert status == 2
    assert lines == [f"{config / 'calendar.yaml'}: line 1, column 1010: "
                     "YAML syntax error: exceeded maximum nesting depth"]


def test_block_nesting_deeper_than_64_levels_is_one_line(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "".join("  " * depth + "- \n" for depth in range(2_000))  # 4 MB, 2,000 deep
    (config / "calendar.yaml").write_text(body, encoding="utf-8")
    assert main(["--config", str(config), "config", "check"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{config / 'calendar.yaml'}: line 65: nested more than 64 levels deep"
    ]


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = config / "partners.yaml"
    with big.open("a", encoding="utf-8") as handle:
        handle.write("# " + "x" * strict_yaml.MAX_BYTES + "\n")
    assert main(["--config", str(config), "config", "check"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{big}: (file): is larger than 10 MB"]


def test_a_shared_ladder_written_once_with_an_anchor_still_loads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calendar = (ROOT / "config" / "calendar.yaml").read_text(encoding="utf-8")
    assert "&ladder" in calendar and "*ladder" in calendar
    assert main(["--config", str(ROOT / "config"), "config", "check"]) == 0
    assert capsys.readouterr().err == ""


def test_a_plain_postgresql_url_connects_through_psycopg2(pg_url: str) -> None:
    plain = pg_url.replace("postgresql+psycopg2://", "postgresql://", 1)
    assert plain != pg_url
    database = Database.from_url(plain)
    try:
        assert database.engine.dialect.driver == "psycopg2"
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        database.dispose()


def test_a_database_url_naming_a_missing_driver_is_one_line_from_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", "postgresql+nosuchdriver://u:pw@h/db")
    assert main(["--config", str(RUTLAND), "config", "apply"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "trustcycle: the PostgreSQL driver nosuchdriver is not installed: install one (pip "
        "install psycopg2-binary) or name it in the URL, e.g. "
        "postgresql+psycopg2://user:password@host/trustcycle"
    ]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://returns.trust.example/", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080/portal", True),
        ("http://returns.trust.example/", False),
        ("ftp://returns.trust.example/", False),
        ("javascript:alert(1)", False),
        ("https://user:pw@returns.trust.example/", False),
    ],
)
def test_the_portal_url_must_be_https_or_http_to_this_machine(
    url: str, ok: bool, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(config / "trust.yaml", "  cycle_year:", f"  portal_url: {url}\n  cycle_year:")
    status = main(["--config", str(config), "config", "check"])
    errors = capsys.readouterr().err.splitlines()
    assert (status, errors == []) == ((0, True) if ok else (2, False))
    if not ok:
        prefix = f"{config / 'trust.yaml'}: trust.portal_url: "
        assert len(errors) == 1 and errors[0].startswith(prefix), errors
