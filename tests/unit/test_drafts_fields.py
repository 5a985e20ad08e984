"""Every field partners return is shown: report-only processes set out each partner's note
(and who has not returned), the CYPP review shows comments and other partners' entries, the
strategy every measure's fields, documents sent with a return are listed, long text is
bounded saying so."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.report_only import REPORTS, rutland_with_reports
from tests.fixtures.returns import records
from trustcycle.config import TrustConfig
from trustcycle.drafts import DraftInputs, attachments, build_report, cypp, narrative, strategy
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.document import Bullets, Para, Section, Table
from trustcycle.drafts.inputs import ReturnRecord, complete
from trustcycle.trust import load_config

WRITTEN = date(2010, 8, 2)
PDF = {"stored_as": "3f1c.pdf", "original_name": "lscb-annual-report-2009-10.pdf",
       "type": "pdf", "size": 48213, "sha256": "9b2e41c07d5aa1b0" + "0" * 48}


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> TrustConfig:
    return load_config(rutland_with_reports(tmp_path_factory.mktemp("trust")))


def received(process: str, partner: str, return_id: str, payload: dict[str, Any],
             version: int = 1) -> ReturnRecord:
    return ReturnRecord(process, partner, return_id, "received", version, "2010-08-20",
                        "cd" * 32, payload)


def blocks(s: Section) -> list[object]:
    return list(s.blocks)


def test_a_process_asking_only_partners_who_lead_no_priority_is_report_only(
    cfg: TrustConfig,
) -> None:
    assert {p: narrative.report_only(cfg, p) for p in cfg.processes} == {
        "membership_review": False, "cypp_annual_review": False, "annual_conference": False,
        "joint_needs_analysis": False, "needs_assessment_and_draft_cypp": False,
        "child_poverty_strategy": False, "safeguarding_report": True,
        "partner_statements": True}


def test_a_report_only_draft_sets_out_each_note_and_who_has_not_returned(
    cfg: TrustConfig,
) -> None:
    returns = [received("safeguarding_report", "probation", "safeguarding_note",
                        {"notes": "MAPPA reviews: 14 cases.\nNo serious case reviews.",
                         "files": [PDF]}, version=2),
               ReturnRecord("safeguarding_report", "var", "safeguarding_note", "waived",
                            waived_reason="Reported through the LSCB")]
    sections, recs, summary = narrative.sections(
        cfg, "safeguarding_report", complete(cfg, "safeguarding_report", returns))
    assert [s.title for s in sections] == [
        "Leicestershire and Rutland Probation Trust: Your safeguarding annual report",
        "Reports not yet received"]
    assert blocks(sections[0]) == [
        Para("Received 20 August 2010 (version 2)."),
        Para("MAPPA reviews: 14 cases.\nNo serious case reviews."),
        Para("Documents sent with it:"),
        Bullets(("lscb-annual-report-2009-10.pdf (pdf, 48,213 bytes)",)),
    ]
    assert blocks(sections[1]) == [Bullets((
        "Voluntary Action Rutland: Your safeguarding annual report: waived (Reported through "
        "the LSCB).",))]
    assert recs == ()
    assert summary == (("Reports asked", "2"), ("Received", "1"), ("Not received", "0"),
                       ("Waived", "1"))


def test_two_report_only_processes_each_get_their_own_draft(cfg: TrustConfig) -> None:
    inputs = DraftInputs(returns=(
        received("safeguarding_report", "probation", "safeguarding_note",
                 {"notes": "Probation's safeguarding note."}),
        received("partner_statements", "schools", "statement",
                 {"notes": "Heads' Forum statement.", "contact": "Julia Price"}),
    ))
    first = build_report(cfg, "safeguarding_report", 2010, inputs, written=WRITTEN)
    second = build_report(cfg, "partner_statements", 2010, inputs, written=WRITTEN)
    assert (first.kind, second.kind) == ("report", "report")
    assert first.title == "Safeguarding annual report to the Trust"
    assert first.purpose == (
        "To set out the reports partners returned for Safeguarding annual report to the "
        "Trust, for Children's Trust Executive to note, and to say which partners have not "
        "yet returned theirs.")
    assert second.report_to == "Rutland Children's Trust Board, 30 November 2010"
    assert [s.title for s in first.sections] == [
        "Leicestershire and Rutland Probation Trust: Your safeguarding annual report",
        "Reports not yet received"]
    assert [s.title for s in second.sections] == [
        "Rutland maintained schools (Primary and Secondary Heads' Forum): Your annual "
        "statement", "Reports not yet received"]
    assert blocks(second.sections[0])[1:] == [Para("Heads' Forum statement."),
                                              Para("Contact: Julia Price")]
    assert blocks(second.sections[1]) == [Bullets((
        "Stamford College (serving Rutland): Your annual statement: not received.",
        "Jobcentre Plus (Leicestershire and Northamptonshire): Your annual statement: not "
        "received."))]
    assert second.recommendations == (
        "That Rutland Children's Trust Board notes the reports set out in this paper.",
        "That the partners whose reports have not been received send them, to be reported "
        "to the next meeting.")
    assert [row[0] for row in first.returns.rows] == [
        "Leicestershire and Rutland Probation Trust", "Voluntary Action Rutland"]


def test_the_cypp_review_shows_comments_other_partners_entries_and_matters_outside_the_plan(
    cfg: TrustConfig,
) -> None:
    police = {"priorities": [
        {"priority": "p04_safe", "rag": "green", "value": 18.5, "narrative": "Fewer re-referrals.",
         "risks": "Vetting backlog.", "changes": "None"},
        {"priority": "p01_healthy_lifestyles", "rag": "amber", "value": 70,
         "narrative": "Street sport sessions.", "risks": "Summer funding.",
         "changes": "Add Friday sessions."},
        {"priority": "p99_online", "title": "Online safety", "rag": "red", "value": "",
         "narrative": "New priority proposed.", "risks": "", "changes": ""}],
        "notes": "The police return covers Rutland only."}
    sections, _, summary = cypp.sections(
        cfg, complete(cfg, "cypp_annual_review",
                      [received("cypp_annual_review", "police", "priority_progress", police)]))
    healthy = next(s for s in sections if s.title.startswith("Ensure children and young "
                                                             "people choose"))
    assert blocks(healthy)[-2:] == [
        Para("Also reported by other partners:"),
        Bullets(("Leicestershire Constabulary: rating Amber; value 70%; progress: Street "
                 "sport sessions.; risks: Summer funding.; proposed changes: Add Friday "
                 "sessions.",))]
    assert [s.title for s in sections][-2:] == [
        "Reported on matters outside the plan's priorities", "Partners' comments"]
    assert blocks(sections[-2]) == [Bullets((
        "Leicestershire Constabulary on Online safety: rating Red; value not given; progress: "
        "New priority proposed.",))]
    assert blocks(sections[-1]) == [Bullets((
        "Leicestershire Constabulary: The police return covers Rutland only.",))]
    assert dict(summary)["Missing or not rated"] == "5"  # the lead's rating counts, not others'


def test_every_field_of_a_measure_is_shown_with_the_commentary_and_consultation(
    cfg: TrustConfig,
) -> None:
    measure = {"measure": "Holiday hunger scheme", "need": "Free school meals take-up (%)",
               "lead": "Rutland County Council", "target": "300 children a summer",
               "by_when": "August 2011", "monitoring": "Places taken, termly"}
    returns = [received("child_poverty_strategy", "rutland_cc", "measures",
                        {"measures": [measure], "commentary": "Builds on 2009 pilots.",
                         "consultation": "Youth Forum, 12 January 2011."})]
    sections, _, _ = strategy.sections(cfg, returns, records("joint_needs_analysis"))
    by_title = {s.title: s for s in sections}
    table = next(b for b in by_title["Need: Free school meals take-up (%)"].blocks
                 if isinstance(b, Table))
    assert table.rows == (("Rutland County Council (Children and Young People's Services)",
                           "Holiday hunger scheme",
                           "Rutland County Council", "300 children a summer", "August 2011",
                           "Places taken, termly"),)
    assert Bullets(("Rutland County Council (Children and Young People's Services): Youth "
                    "Forum, 12 January 2011.",)) in by_title["Consultation"].blocks
    assert Para("Rutland County Council (Children and Young People's Services): Builds on "
                "2009 pilots.") in by_title["Vision"].blocks


def test_documents_sent_with_returns_are_listed_and_a_file_return_is_one(
    cfg: TrustConfig,
) -> None:
    portal = received("joint_needs_analysis", "police", "needs_data",
                      {"indicators": [], "commentary": "", "files": [PDF]})
    as_file = ReturnRecord("joint_needs_analysis", "pct", "needs_data", "received", 1,
                           "2010-09-20", "e5" * 32, {"filename": "pct-needs.xlsx",
                                                     "bytes": 20480})
    assert attachments.documents(portal) == [
        ("lscb-annual-report-2009-10.pdf", "pdf", "48,213 bytes", "9b2e41c07d5a")]
    assert attachments.documents(as_file) == [
        ("pct-needs.xlsx", "xlsx", "20,480 bytes", "e5e5e5e5e5e5")]
    (listed,) = attachments.section(cfg, [portal, as_file])
    assert listed.title == "Documents sent with the returns"
    assert listed.blocks[0].rows == (  # type: ignore[union-attr]
        ("Leicestershire Constabulary", "lscb-annual-report-2009-10.pdf", "pdf",
         "48,213 bytes", "9b2e41c07d5a"),
        ("NHS Leicestershire County and Rutland (PCT)", "pct-needs.xlsx", "xlsx",
         "20,480 bytes", "e5e5e5e5e5e5"))
    assert attachments.section(cfg, [received("joint_needs_analysis", "police",
                                              "needs_data", {"indicators": []})]) == ()


def test_long_text_is_cut_at_the_portals_limit_saying_how_much_more_there_is() -> None:
    long = "x" * (pl.MAX_TEXT + 50)
    assert pl.text({"notes": long}, "notes") == (
        "x" * pl.MAX_TEXT + " [cut here: 50 more characters in the return]")
    assert pl.text({"notes": "x" * pl.MAX_TEXT}, "notes") == "x" * pl.MAX_TEXT
    person = pl.person({"rep": {"name": "n" * 400}}, "rep")
    assert person is not None
    assert person["name"] == "n" * 300 + " [cut here: 100 more characters in the return]"
    assert REPORTS == ("safeguarding_report", "partner_statements")


def test_a_measure_linked_to_a_need_it_names_in_other_words_keeps_the_partners_words(
    cfg: TrustConfig,
) -> None:
    measures = [{"measure": "Benefit checks at birth registration", "need": "low income families"},
                {"measure": "Free school meal auto-enrolment",
                 "need": "free school meals take-up"}]
    returns = [received("child_poverty_strategy", "var", "measures", {"measures": measures})]
    sections, _, _ = strategy.sections(cfg, returns, records("joint_needs_analysis"))
    rows = {s.title: next(b for b in s.blocks if isinstance(b, Table)).rows[0][1]
            for s in sections if s.title.startswith("Need: ") and any(
                isinstance(b, Table) for b in s.blocks)}
    assert rows == {
        "Need: Children in low income families (%)":
            "Benefit checks at birth registration (need named: low income families)",
        "Need: Free school meals take-up (%)": "Free school meal auto-enrolment"}


def test_a_lead_owing_a_report_too_keeps_its_ratings_and_the_report_is_titled() -> None:
    # Salford: the council leads two priorities and its seat (the LSCB's Independent Chair)
    # owes the Board's annual report to the same CYPP review.
    salford = load_config(Path(__file__).resolve().parents[2] / "config" / "examples"
                          / "salford-2013")
    led = [k for k, p in salford.priorities.items() if p.lead_partner == "salford_cc"]
    ratings = {"priorities": [{"priority": k, "rag": "green", "narrative": f"{k} on track."}
                              for k in led]}
    returns = [received("cypp_annual_review", "salford_cc", "priority_progress", ratings),
               received("cypp_annual_review", "salford_cc", "lscb_annual_report",
                        {"notes": "Safeguarding in Salford 2012-13: 3 serious case reviews."})]
    rows = {r["id"]: r for r in cypp.rated(salford, complete(salford, "cypp_annual_review",
                                                             returns))}
    assert [(rows[k]["rag"], rows[k]["narrative"]) for k in led] == [
        ("green", f"{k} on track.") for k in led]
    assert cypp.comments(salford, returns) == [
        "Salford City Council (Children's Services), The Safeguarding Children Board's annual "
        "report: Safeguarding in Salford 2012-13: 3 serious case reviews."]
