"""The per-process rules: attendance rates and flags, vacancies, terms ending, RAG counts,
and measures linked to the needs found."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.fixtures.returns import records
from trustcycle.config import TrustConfig
from trustcycle.drafts import cypp, membership, strategy
from trustcycle.drafts.document import Bullets, Table
from trustcycle.drafts.inputs import AttendanceRecord, complete
from trustcycle.trust import load_config

RUTLAND = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"
MEETING = date(2010, 6, 8)


@pytest.fixture(scope="module")
def cfg() -> TrustConfig:
    return load_config(RUTLAND)


def board(day: date, email: str, status: str) -> AttendanceRecord:
    return AttendanceRecord("board", day, email, status)


def test_a_members_rate_counts_meetings_attended_in_person_over_the_last_12_months(
    cfg: TrustConfig,
) -> None:
    kerr = "rachel.kerr@police.example.uk"
    attendance = [board(date(2009, 6, 2), kerr, "present"),  # more than 12 months before
                  board(date(2009, 11, 24), kerr, "deputy"),
                  board(date(2010, 3, 2), kerr, "present"),
                  board(date(2010, 3, 2), "c.benham@rutland.example.gov.uk", "present")]
    rates = {r.name: r for r in membership.member_rates("board", cfg.bodies["board"],
                                                         attendance, MEETING)}
    assert (rates["Supt. Rachel Kerr"].meetings, rates["Supt. Rachel Kerr"].present) == (2, 1)
    assert rates["Supt. Rachel Kerr"].rate == 0.5
    assert rates["Carol Benham"].absent == 1  # not recorded at 24 November: absent
    police = membership.partner_rates("board", cfg.bodies["board"], attendance, MEETING)
    assert police["police"].rate == 1.0  # the deputy kept the partner represented


def test_members_under_the_attendance_threshold_are_flagged(cfg: TrustConfig) -> None:
    attendance = [board(date(2009, 11, 24), "fiona.reed@var.example.org.uk", "apologies"),
                  board(date(2010, 3, 2), "fiona.reed@var.example.org.uk", "present")]
    sections, recs, _ = membership.sections(cfg, "membership_review", MEETING,
                                            complete(cfg, "membership_review", []), attendance)
    by_member = next(b for s in sections for b in s.blocks
                     if isinstance(b, Table) and b.caption == "By member")
    reed = next(row for row in by_member.rows if row[0] == "Fiona Reed")
    assert (reed[7], reed[8]) == ("50%", "Below 75%")
    assert any("below the threshold" in r for r in recs)


def test_required_categories_without_a_member_are_vacancies_and_ending_terms_are_listed(
    cfg: TrustConfig,
) -> None:
    sections, _, summary = membership.sections(cfg, "membership_review", MEETING,
                                               complete(cfg, "membership_review", []), [])
    vacancies = next(s for s in sections if s.title == "Vacancies").blocks[0]
    assert isinstance(vacancies, Bullets)
    assert any(v.startswith("Youth offending team") for v in vacancies.items)
    ending = next(s for s in sections if s.title.startswith("Terms of office")).blocks[0]
    assert isinstance(ending, Table)
    assert ("Peter Lane", "30 September 2010") in {(row[0], row[3]) for row in ending.rows}
    assert dict(summary)["Vacancies"] == str(len(vacancies.items))


def test_rag_counts_include_priorities_whose_lead_has_not_returned(cfg: TrustConfig) -> None:
    rows = cypp.rated(cfg, complete(cfg, "cypp_annual_review", records("cypp_annual_review")))
    assert cypp.counts(rows) == {"red": 1, "amber": 2, "green": 2, "missing": 1}
    neet = next(r for r in rows if r["id"] == "p11_neet")
    assert (neet["rag"], neet["narrative"]) == ("missing", "Return missing")


def test_an_indicator_is_met_according_to_whether_higher_is_better(cfg: TrustConfig) -> None:
    safe = cfg.priorities["p04_safe"].indicator  # re-referrals: lower is better
    assert cypp.against_target(18.5, safe) == "met"
    assert cypp.against_target(25, safe) == "not met"
    assert cypp.against_target(None, safe) == ""


def test_strategy_measures_are_linked_to_the_needs_found_and_gaps_are_shown(
    cfg: TrustConfig,
) -> None:
    needs = records("joint_needs_analysis")
    sections, recs, summary = strategy.sections(
        cfg, complete(cfg, "child_poverty_strategy", records("child_poverty_strategy")), needs)
    assert dict(summary) == {"Measures": "4", "Needs found": "3", "Needs addressed": "3",
                             "Needs not addressed": "0", "Measures without a target": "4"}
    without_jcp = [r for r in records("child_poverty_strategy") if r.partner != "jcp"]
    _, recs, summary = strategy.sections(cfg, without_jcp, needs)
    assert dict(summary)["Needs not addressed"] == "1"
    assert recs
