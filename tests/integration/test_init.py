"""`trustcycle init DIR`: a new trust's five files from flags or questions, passing `config
check` at once. (`simulate` on a trust `init` wrote runs in tests/integration/
test_readme_commands.py, where the README's simulate line is pointed at one.)"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trustcycle.calendar.timeline import resolve_year
from trustcycle.cli import main
from trustcycle.config.json_schema import MODELINE, schema_file_name
from trustcycle.scaffold import PARTNER_CATEGORIES
from trustcycle.trust import load_config

FILES = ["bodies.yaml", "calendar.yaml", "partners.yaml", "priorities.yaml", "trust.yaml"]
FLAGS = [
    "--name", "Rutland Children's Trust", "--local-authority", "Rutland County Council",
    "--nation", "england", "--year", "2026",
    "--officer-name", "Lewis Grant", "--officer-email", "lewis.grant@rutland.example.gov.uk",
    "--manager-name", "Dana Okafor", "--manager-email", "Dana.Okafor@rutland.example.gov.uk",
]


def _init(target: Path, *extra: str) -> int:
    return main(["init", str(target), *FLAGS, "--no-input", *extra])


def test_init_writes_five_files_that_pass_config_check_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trust = tmp_path / "rutland"
    assert _init(trust) == 0
    assert sorted(p.name for p in trust.glob("*.yaml")) == FILES
    for name in FILES:
        first = (trust / name).read_text(encoding="utf-8").splitlines()[0]
        assert first == f"{MODELINE}schema/{schema_file_name(name)}"
        assert (trust / "schema" / schema_file_name(name)).is_file()
    capsys.readouterr()
    assert main(["config", "check", "--config", str(trust)]) == 0
    assert capsys.readouterr().out == (
        f"{trust}: ok: Rutland Children's Trust, 1 partners, 3 bodies, 4 processes\n"
    )
    cfg = load_config(trust)
    assert (cfg.trust.id, cfg.trust.cycle_year, cfg.trust.local_authority) == (
        "rutland", 2026, "Rutland County Council")
    assert cfg.trust.manager.email == "dana.okafor@rutland.example.gov.uk"
    assert {p: (s.receiving.body if s.receiving else None) for p, s in cfg.processes.items()} == {
        "membership_review": "board", "cypp_annual_review": "executive",
        "joint_needs_analysis": "executive", "child_poverty_strategy": "public"}
    assert cfg.processes["joint_needs_analysis"].triggers == ["child_poverty_strategy"]
    dates = resolve_year(cfg, 2026)
    # The Board's rule (second Tuesday of Jun, Sep, Dec, Mar) from 1 June: 9 June 2026.
    assert str(dates["membership_review"].meeting) == "2026-06-09 14:00:00+01:00"
    assert str(dates["child_poverty_strategy"].publish.date()) == "2027-03-31"  # type: ignore[union-attr]


def test_every_statutory_partner_category_is_listed_commented_and_valid_once_filled_in(
    tmp_path: Path,
) -> None:
    trust = tmp_path / "rutland"
    assert _init(trust) == 0
    text = (trust / "partners.yaml").read_text(encoding="utf-8")
    listed = re.findall(r"(?m)^  #   category: (\w+)$", text)
    assert listed == [c.value for c in PARTNER_CATEGORIES]
    assert "Children Act 2004 s10(4)" in text and "ASCL" not in text  # named in full
    # Uncomment the police block (an editor's "toggle comment") and fill it in: it loads.
    block = "  # police:" + text.split("  # police:", 1)[1].split("\n\n", 1)[0]
    filled = "\n".join(line[:2] + line[4:] for line in block.splitlines())
    filled = filled.replace("email: FILL IN", "email: duty@police.example.uk")
    (trust / "partners.yaml").write_text(text.replace(block, filled.replace("FILL IN", "Ann")))
    trust_yaml = (trust / "trust.yaml").read_text(encoding="utf-8")
    (trust / "trust.yaml").write_text(trust_yaml.replace(
        "required_categories: [local_authority]", "required_categories: [local_authority, police]"))
    cfg = load_config(trust)
    assert sorted(cfg.partners) == ["council", "police"]
    assert cfg.partners["police"].legal_basis.value == "relevant_partner_2004"


def test_chosen_processes_bodies_and_meeting_rules_are_written_and_the_rest_commented(
    tmp_path: Path,
) -> None:
    trust = tmp_path / "small"
    assert _init(trust, "--processes", "membership-review", "--receiving",
                 "membership_review=executive", "--meets",
                 "executive=last Thursday of Jun, Dec") == 0
    cfg = load_config(trust)
    assert list(cfg.processes) == ["membership_review"]
    assert list(cfg.bodies) == ["executive"]
    assert cfg.bodies["executive"].meetings.rules[0].rule == "last Thursday of Jun, Dec"
    assert str(resolve_year(cfg, 2026)["membership_review"].meeting) == (
        "2026-06-25 10:00:00+01:00")
    calendar = (trust / "calendar.yaml").read_text(encoding="utf-8")
    for pid in ("cypp_annual_review", "joint_needs_analysis", "child_poverty_strategy"):
        assert f"\n  # {pid}:\n" in calendar and f"\n  {pid}:\n" not in calendar


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (["--nation", "wales"], "trustcycle: --nation wales: not modelled yet: trustcycle knows "
         "England's statutory calendar only (England's bank holidays, the Children Act 2004 s10 "
         "partners, the English processes); nothing written"),
        (["--nation", "Northern Ireland"], "trustcycle: --nation northern_ireland: not modelled "
         "yet: trustcycle knows England's statutory calendar only (England's bank holidays, the "
         "Children Act 2004 s10 partners, the English processes); nothing written"),
        (["--nation", "france"], "trustcycle: --nation: 'france' is not one of england, wales, "
         "scotland, northern_ireland"),
        (["--officer-email", "lewis.grant"],
         "trustcycle: --officer-email: 'lewis.grant' is not a valid email address"),
        (["--year", "26"], "trustcycle: --year: '26' is not a year such as 2026"),
        (["--name", "Rutland\u2028Trust"], "trustcycle: --name: must be a single line of text: "
         "it contains a line separator (U+2028) at character 8"),
        (["--processes", "budget"], "trustcycle: --processes: choose from membership_review, "
         "cypp_annual_review, joint_needs_analysis, child_poverty_strategy (comma-separated)"),
        (["--receiving", "membership_review=publish"], "trustcycle: --receiving "
         "membership_review: choose one of board, executive, scrutiny, hwb, cabinet"),
        (["--meets", "board=every other Tuesday"], "trustcycle: --meets board: 'every other "
         "Tuesday' is not a rule like 'second Tuesday of Jan, Apr, Jul, Oct'"),
    ],
    ids=["wales", "northern-ireland", "france", "email", "year", "line-separator", "process",
         "receiving", "rule"],
)
def test_a_wrong_answer_is_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], line: str
) -> None:
    trust = tmp_path / "t"
    assert _init(trust, *extra) == 2
    assert capsys.readouterr().err.splitlines() == [line]
    assert not trust.exists()


def test_without_a_terminal_missing_answers_are_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "t"), "--name", "Rutland Children's Trust",
                 "--no-input"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "trustcycle: init needs --local-authority, --officer-name, --officer-email, "
        "--manager-name, --manager-email (or run it in a terminal to be asked); nothing written"
    ]


def test_an_existing_trust_is_never_overwritten_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trust = tmp_path / "rutland"
    assert _init(trust) == 0
    (trust / "partners.yaml").write_text("# mine\n")
    capsys.readouterr()
    assert _init(trust) == 2
    assert capsys.readouterr().err == (
        f"trustcycle: {trust / 'trust.yaml'} exists: nothing written (--force overwrites)\n")
    assert (trust / "partners.yaml").read_text() == "# mine\n"
    assert _init(trust, "--force") == 0
    assert load_config(trust).partners


def test_in_a_terminal_init_asks_for_what_the_flags_leave_out(tmp_path: Path) -> None:
    trust = tmp_path / "asked"
    answers = [
        "",  # nation [england]
        "Rutland Children's Trust", "Rutland County Council", "2027",
        "Lewis Grant", "lewis.grant", "lewis.grant@rutland.example.gov.uk", "",  # asked again
        "Dana Okafor", "dana.okafor@rutland.example.gov.uk", "Head of Partnerships",
        "membership_review,child_poverty_strategy",
        "",  # membership_review papers to [board]
        "",  # child_poverty_strategy [publish]
        "first Monday of Jul, Jan",  # when the board meets
    ]
    controller, terminal = pty.openpty()  # a real terminal: init sees isatty() and asks
    try:
        os.write(controller, ("\n".join(answers) + "\n").encode())  # typed ahead
        done = subprocess.run(
            [sys.executable, "-m", "trustcycle.cli", "init", str(trust)],
            stdin=terminal, capture_output=True, timeout=60, text=True,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["  'lewis.grant' is not a valid email address"]
    assert "Trust name (e.g. Rutland Children's Trust): " in done.stdout
    assert "When does the board meet [second Tuesday of Jun, Sep, Dec, Mar]: " in done.stdout
    cfg = load_config(trust)
    assert (cfg.trust.cycle_year, cfg.trust.manager.role) == (2027, "Head of Partnerships")
    assert list(cfg.processes) == ["membership_review", "child_poverty_strategy"]
    assert cfg.bodies["board"].meetings.rules[0].rule == "first Monday of Jul, Jan"
    assert sorted(cfg.bodies) == ["board", "public"]
