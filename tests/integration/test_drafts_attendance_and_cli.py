"""`trustcycle attendance record|import` and `trustcycle draft` against a real database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document

from tests.integration.drafts_support import RUTLAND, rutland, seed
from trustcycle.cli import main
from trustcycle.db import Database
from trustcycle.papers.assemble import load_attendance
from trustcycle.trust import load_config


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'trustcycle.db'}"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)
    db = Database.from_url(url)
    seed(db, rutland(), ("membership_review", "cypp_annual_review"))
    db.dispose()
    return url


def cli(*args: str) -> int:
    return main(["--config", str(RUTLAND), *args])


def test_attendance_is_recorded_one_at_a_time_or_from_a_csv_and_read_back_for_drafts(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("attendance", "record", "--body", "board", "--date", "2010-06-09", "--person",
               "fiona.reed@var.example.org.uk", "--status", "present") == 2
    assert "has no meeting on 2010-06-09" in capsys.readouterr().err
    csv = tmp_path / "attendance.csv"
    csv.write_text("body,date,person,status\n"
                   "executive,2010-05-10,c.benham@rutland.example.gov.uk,present\n"
                   "executive,2010-05-10,anne.cole@nhs.example.uk,apologies\n")
    assert cli("attendance", "import", str(csv)) == 0
    assert "recorded 2 rows" in capsys.readouterr().out
    assert cli("attendance", "record", "--body", "board", "--date", "2010-06-08", "--person",
               "Fiona.Reed@var.example.org.uk", "--status", "apologies") == 0
    db = Database.from_url(url)
    with db.sessions() as session:
        seen = {(a.body, a.meeting_on.isoformat(), a.person_email, a.status)
                for a in load_attendance(session, rutland())}
    db.dispose()
    assert seen == {
        ("executive", "2010-05-10", "c.benham@rutland.example.gov.uk", "present"),
        ("executive", "2010-05-10", "anne.cole@nhs.example.uk", "apologies"),
        ("board", "2010-06-08", "fiona.reed@var.example.org.uk", "apologies"),
    }


def test_an_attendance_csv_with_a_bad_row_names_the_row_and_column_and_stores_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "attendance.csv"
    csv.write_text("body,date,person,status\n"
                   "executive,2010-05-10,c.benham@rutland.example.gov.uk,present\n"
                   "executive,10/05/2010,anne.cole@nhs.example.uk,present\n")
    assert cli("attendance", "import", str(csv)) == 2
    assert "row 3, column date" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_the_draft_command_writes_the_stored_version_in_the_chosen_format(
    url: str, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "drafts"
    assert cli("draft", "cypp_annual_review", "--year", "2010", "--format", fmt,
               "--out", str(out)) == 0
    target = out / f"cypp_annual_review-2010-v1.{fmt}"
    data = target.read_bytes()
    if fmt == "docx":
        text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        assert "Annual Review of the Children" in text
    else:
        assert b"Annual Review of the Children" in data


def test_the_draft_command_refuses_a_process_without_a_draft(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("draft", "annual_conference", "--year", "2010", "--out", "x") == 2
    assert "no draft for 'annual_conference'" in capsys.readouterr().err


def test_last_years_meetings_take_attendance_and_the_scenario_csv_imports_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    default = RUTLAND.parents[1]
    url = f"sqlite:///{tmp_path / 'default.db'}"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)
    assert main(["--config", str(default), "config", "apply"]) == 0
    run = ["--config", str(default), "attendance"]
    assert main([*run, "record", "--body", "board", "--date", "2025-12-09", "--person",
                 "mary.ellis@wessexvale.example.gov.uk", "--status", "present"]) == 0
    assert main([*run, "record", "--body", "board", "--date", "2025-12-10", "--person",
                 "mary.ellis@wessexvale.example.gov.uk", "--status", "present"]) == 2
    assert "has no meeting on 2025-12-10" in capsys.readouterr().err
    assert main([*run, "import", str(default / "scenario-attendance.csv")]) == 0
    assert "recorded 40 rows (39 changed)" in capsys.readouterr().out
    db = Database.from_url(url)
    with db.sessions() as session:
        rows = load_attendance(session, load_config(default))
    db.dispose()
    assert len(rows) == 40
    assert sorted({r.meeting_on.isoformat() for r in rows}) == [
        "2025-06-10", "2025-09-09", "2025-12-09", "2026-03-10"]
