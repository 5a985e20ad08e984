"""The default scenario's returns, validated by the portal's own forms and drafted: each
paper shows what its section is for. Figures derived by hand from config/scenario.yaml."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from trustcycle.attendance import parse_csv
from trustcycle.config import TrustConfig
from trustcycle.drafts import cypp
from trustcycle.drafts.context import build_report
from trustcycle.drafts.document import Report, Table
from trustcycle.drafts.inputs import AttendanceRecord, DraftInputs, ReturnRecord, complete
from trustcycle.drafts.render import render_markdown
from trustcycle.portal.forms import validate
from trustcycle.portal.scripted import scripted_answer
from trustcycle.portal.service import ask_from_config
from trustcycle.simulation import scripted_returns
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = date(2026, 5, 27)


@pytest.fixture(scope="module")
def cfg() -> TrustConfig:
    return load_config(ROOT / "config")


def returned(cfg: TrustConfig, process: str) -> list[ReturnRecord]:
    """What each scripted partner that answers at all would have stored."""
    out = []
    for s in scripted_returns(cfg, 2026):
        if s.process != process or s.day is None:
            continue
        fields, files = scripted_answer(cfg, process, s.partner)
        ask = ask_from_config(cfg, cfg.processes[process].kind.value, s.partner)
        payload, errors = validate(ask, fields, {k: v[1] for k, v in files.items()})
        assert errors == [], (s.partner, errors)
        out.append(ReturnRecord(process, s.partner, s.return_id, "received", 1,
                                s.day.isoformat(), "0" * 64, payload))
    return complete(cfg, process, out)


def draft(cfg: TrustConfig, process: str) -> Report:
    attendance = tuple(AttendanceRecord(b, d, p, s) for b, d, p, s in parse_csv(
        (ROOT / "config" / "scenario-attendance.csv").read_text()))
    related = tuple(returned(cfg, "joint_needs_analysis"))
    return build_report(cfg, process, 2026,
                        DraftInputs(tuple(returned(cfg, process)), attendance, related),
                        written=WRITTEN)


def test_the_scenario_plans_the_late_and_never_returns_it_describes(cfg: TrustConfig) -> None:
    plan = scripted_returns(cfg, 2026)
    counts = {}
    for pid in ("membership_review", "cypp_annual_review", "joint_needs_analysis",
                "child_poverty_strategy"):
        mine = [s for s in plan if s.process == pid]
        counts[pid] = (len(mine), sum(s.behaviour == "late" for s in mine),
                       sum(s.behaviour == "never" for s in mine))
    # asked: all 12 partners; the 6 priority leads; the 9 partners of the listed categories
    assert counts == {"membership_review": (12, 1, 1), "cypp_annual_review": (6, 1, 0),
                      "joint_needs_analysis": (9, 1, 0), "child_poverty_strategy": (12, 1, 1)}


def test_the_cypp_review_has_red_amber_and_green_and_missed_targets(cfg: TrustConfig) -> None:
    rows = cypp.rated(cfg, returned(cfg, "cypp_annual_review"))
    assert cypp.counts(rows) == {"red": 2, "amber": 2, "green": 2, "missing": 0}
    assert sorted(r["status"] for r in rows) == ["met", "met", "not met", "not met",
                                                 "not met", "not met"]


def test_the_needs_analysis_assesses_child_poverty_by_ward_with_trends(
    cfg: TrustConfig,
) -> None:
    r = draft(cfg, "joint_needs_analysis")
    section = next(s for s in r.sections if s.title == "Child poverty needs assessment")
    tables = {b.caption: b for b in section.blocks if isinstance(b, Table)}
    assert list(tables) == ["Children in low income families (%)",
                            "Free school meals eligibility (%)",
                            "Households with children in temporary accommodation",
                            "Children in workless households (%)"]
    northgate = [row for row in tables["Children in low income families (%)"].rows
                 if row[1] == "Northgate" and row[2] == "2024/25"]
    assert northgate == [("Wessex Vale Council (Children's Services)", "Northgate", "2024/25",
                          "31.2", "20.1", "Up from 29.5 (2023/24)",
                          "DWP Children in low income families")]
    assert "No child poverty indicators" not in render_markdown(r)
    assert dict(r.summary)["Child poverty indicators"] == "4"


def test_the_strategy_answers_each_need_and_cites_section_23(cfg: TrustConfig) -> None:
    r = draft(cfg, "child_poverty_strategy")
    # 12 measures from 11 partners (the council 2, the fire service none); the academies'
    # has no target; temporary accommodation has no measure (the district's is on another)
    assert dict(r.summary) == {"Measures": "12", "Needs found": "4", "Needs addressed": "3",
                               "Needs not addressed": "1", "Measures without a target": "1"}
    titles = [s.title for s in r.sections]
    assert "Need: Children in workless households (%)" in titles
    assert "Consultation" in titles and "Monitoring" in titles
    assert "s23(6)" in r.legal and "s100B" not in r.legal
    gaps = next(s for s in r.sections if s.title == "Needs not yet addressed by a measure")
    assert gaps.blocks[0].items == ("Households with children in temporary accommodation",)  # type: ignore[union-attr]


def test_the_membership_review_reports_last_years_attendance_and_the_change(
    cfg: TrustConfig,
) -> None:
    r = draft(cfg, "membership_review")
    assert dict(r.summary) == {
        "Required categories": "9", "Vacancies": "1",
        "Seats filled by nomination in the returns": "0",
        "Seats with a change asked in the returns": "1",
        "Meetings with attendance recorded": "4",
        "Members under the attendance threshold": "4",
        "Partners not represented at the appropriate level": "1"}
    md = render_markdown(r)
    assert "Jobcentre Plus: no member represents" in md
    assert "Represented; the return nominates Det Supt Owen Blake" in md
    evans = "| Dr Nia Evans | NHS Wessex Vale Integrated Care Board | 4 | 2 | 2 | 0 | 0 | 50% |"
    assert evans in md  # two meetings in person, her deputy at two
    assert r.date == "27 May 2026" and r.contact.phone == "01632 960412"
