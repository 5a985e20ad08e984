"""Loading and validating a trust's configuration: errors name the file, key and rule."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from trustcycle.config import ConfigError
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
RUTLAND = ROOT / "config" / "examples" / "rutland-2010"

Edit = Callable[[str, str, str], Path]


@pytest.fixture
def rutland_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(RUTLAND, target)
    return target


@pytest.fixture
def edit(rutland_copy: Path) -> Edit:
    def _edit(file: str, old: str, new: str) -> Path:
        path = rutland_copy / file
        text = path.read_text()
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1))
        return rutland_copy

    return _edit


def _only_problem(directory: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(directory)
    lines = str(info.value).splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_both_shipped_configurations_are_valid() -> None:
    assert load_config(ROOT / "config").trust.cycle_year == 2026
    assert load_config(RUTLAND).trust.cycle_year == 2010


def test_a_yaml_syntax_error_names_the_file_and_line(edit: Edit) -> None:
    directory = edit("partners.yaml", "  police:\n", "  police:\n   - [unclosed\n")
    line = _only_problem(directory)
    assert line.startswith(f"{directory / 'partners.yaml'}: line ")
    assert "YAML syntax error" in line


def test_an_unknown_partner_names_the_key(edit: Edit) -> None:
    directory = edit("priorities.yaml", "lead_partner: yot", "lead_partner: yott")
    assert _only_problem(directory) == (
        f"{directory / 'priorities.yaml'}: priorities.p09_youth_offending.lead_partner: "
        "unknown partner 'yott'"
    )


def test_a_deadline_before_its_request_is_refused(edit: Edit) -> None:
    directory = edit("calendar.yaml", "request: {date: 2010-05-17}", "request: {date: 2010-06-30}")
    line = _only_problem(directory)
    assert line == (
        f"{directory / 'calendar.yaml'}: processes.cypp_annual_review.deadline: "
        "2010-06-17 is not after the request date 2010-06-30"
    )


def test_an_invalid_email_is_refused(edit: Edit) -> None:
    directory = edit(
        "partners.yaml", "email: mark.dunn@police.example.uk}", "email: mark.dunn(at)police}"
    )
    line = _only_problem(directory)
    assert line.startswith(f"{directory / 'partners.yaml'}: partners.police.contacts.0.email: ")
    assert "not a valid email address" in line


def test_a_newline_in_a_name_is_refused(edit: Edit) -> None:
    directory = edit(
        "partners.yaml",
        "name: Leicestershire Constabulary",
        'name: "Leicestershire Constabulary\\nBcc: all@example.com"',
    )
    line = _only_problem(directory)
    assert "partners.police.name: must be a single line" in line


def test_a_duplicate_contact_email_is_refused(edit: Edit) -> None:
    directory = edit(
        "partners.yaml",
        "      - {name: Alan Fowler, role: Senior Probation Officer, "
        "email: alan.fowler@probation.example.org.uk}\n",
        "      - {name: Alan Fowler, email: alan.fowler@probation.example.org.uk}\n"
        "      - {name: A. Fowler, email: Alan.Fowler@probation.example.org.uk}\n",
    )
    assert "partners.probation: duplicate contact email" in _only_problem(directory)


def test_a_missing_meeting_names_the_body_and_date(edit: Edit) -> None:
    directory = edit(
        "calendar.yaml",
        "{body: executive, on_or_after: 2010-10-01}",
        "{body: executive, on_or_after: 2011-04-01}",
    )
    assert _only_problem(directory) == (
        f"{directory / 'calendar.yaml'}: processes.joint_needs_analysis.receiving.meeting: "
        "no Children's Trust Executive meeting on or after 2011-04-01"
    )


def test_an_unknown_key_is_refused_rather_than_ignored(edit: Edit) -> None:
    directory = edit("trust.yaml", "  attendance_threshold: 0.75", "  attendence_threshold: 0.75")
    assert "trust.attendence_threshold: Extra inputs are not permitted" in _only_problem(directory)


def test_a_meeting_on_a_bank_holiday_is_refused(edit: Edit) -> None:
    directory = edit(
        "bodies.yaml", "dates: [2010-06-08, 2010-11-30]", "dates: [2010-06-08, 2010-05-31]"
    )
    assert _only_problem(directory).endswith(
        "bodies.board.meetings.dates.1: 2010-05-31 is a bank holiday (Spring Bank Holiday)"
    )


def test_every_problem_is_reported_at_once(edit: Edit) -> None:
    edit("priorities.yaml", "lead_partner: yot", "lead_partner: nobody")
    directory = edit("bodies.yaml", "partner: probation", "partner: nobody")
    with pytest.raises(ConfigError) as info:
        load_config(directory)
    assert len(info.value.problems) == 2
