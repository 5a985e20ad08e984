"""The main job end to end: the Rutland 2010-11 year simulated through the real flows."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from email.utils import parsedate_to_datetime
from pathlib import Path

import pendulum
import pytest

from trustcycle.workdays import is_working_day

ROOT = Path(__file__).resolve().parents[2]
RUTLAND = ROOT / "config" / "examples" / "rutland-2010"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rutland")
    env = {**os.environ, "PREFECT_HOME": str(out / "prefect")}
    env.pop("PREFECT_API_URL", None)  # its own local server, as the README runs it
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "trustcycle",
            "--config",
            str(RUTLAND),
            "simulate",
            "--year",
            "2010",
            "--out",
            str(out),
            "--no-progress",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def _messages(out: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted((out / "mail").glob("*.eml"))
    ]


def _day(msg: email.message.EmailMessage) -> pendulum.Date:
    sent = pendulum.instance(parsedate_to_datetime(str(msg["Date"])))
    return sent.in_timezone("Europe/London").date()


def test_the_summary_has_the_documented_shape_and_plausible_counts(simulated: Path) -> None:
    summary = json.loads((simulated / "summary.json").read_text())
    keys = {
        "requests",
        "on_time",
        "late",
        "missing",
        "reminders",
        "escalations",
        "drafts",
        "notifications",
    }
    assert set(summary["processes"]) == {
        "membership_review",
        "cypp_annual_review",
        "joint_needs_analysis",
        "child_poverty_strategy",
    }
    for counts in summary["processes"].values():
        assert set(counts) == keys
        assert counts["requests"] == counts["on_time"] + counts["late"] + counts["missing"]
        assert counts["drafts"] >= 1
    membership = summary["processes"]["membership_review"]
    assert membership["requests"] == 11  # every partner
    assert (membership["late"], membership["missing"]) == (1, 1)  # police late, LSC never
    assert membership["escalations"] == 1
    assert summary["emails"] == len(list((simulated / "mail").glob("*.eml")))


def test_no_email_is_dated_on_a_weekend_or_bank_holiday(simulated: Path) -> None:
    messages = _messages(simulated)
    assert messages
    for msg in messages:
        assert is_working_day(_day(msg)), (msg["Subject"], msg["Date"])
    assert not any(_day(m) == pendulum.date(2010, 5, 31) for m in messages)


def test_papers_reach_the_board_by_the_seed_deadline(simulated: Path) -> None:
    board_papers = [
        m
        for m in _messages(simulated)
        if m["X-Trustcycle-Kind"] == "papers" and "membership" in str(m["Subject"]).lower()
    ]
    assert board_papers, "no membership review papers sent"
    for msg in board_papers:
        # Board on 8 June 2010: 5 clear days before is 2 June (LGA 1972 s100B).
        assert pendulum.date(2010, 6, 1) <= _day(msg) <= pendulum.date(2010, 6, 2)
        assert any(
            part.get_filename() and part.get_filename().endswith(".docx")
            for part in msg.iter_attachments()
        )
    recipients = {str(m["To"]) for m in board_papers}
    assert any("r.begy@rutland.example.gov.uk" in r for r in recipients)


def test_requests_go_out_on_the_seed_days_and_the_missing_partner_is_escalated(
    simulated: Path,
) -> None:
    messages = _messages(simulated)
    requests = {(str(m["X-Trustcycle-Kind"]), _day(m)) for m in messages}
    assert ("request", pendulum.date(2010, 4, 6)) in requests
    assert ("request", pendulum.date(2010, 9, 1)) in requests
    assert ("request", pendulum.date(2011, 1, 4)) in requests
    escalations = [m for m in messages if str(m["X-Trustcycle-Kind"]).startswith("escalation")]
    assert any("sue.grant@lsc.example.gov.uk" in str(m["To"]) for m in escalations)
    assert all("trust.manager@rutland.example.gov.uk" in str(m["Cc"]) for m in escalations)


def test_every_process_leaves_its_drafts_in_three_formats(simulated: Path) -> None:
    names = {p.name for p in (simulated / "drafts").iterdir()}
    for process in (
        "membership_review",
        "cypp_annual_review",
        "joint_needs_analysis",
        "child_poverty_strategy",
    ):
        for ext in ("md", "html", "docx"):
            assert any(n.startswith(process) and n.endswith(f".{ext}") for n in names), (
                process,
                ext,
            )
    cypp = next((simulated / "drafts").glob("cypp_annual_review-*.md")).read_text()
    assert "Ensure children and young people are safe" in cypp


def test_scripted_partners_answer_through_the_portal(simulated: Path) -> None:
    import sqlite3

    with sqlite3.connect(simulated / "trustcycle.db") as conn:
        channels = dict(
            conn.execute("SELECT channel, count(*) FROM return_version GROUP BY channel").fetchall()
        )
    assert set(channels) == {"portal"} and channels["portal"] > 0
