"""The membership review reads each body's own seats: a partner's answer about its Board
seat shows on the Board, its Executive seat under the Executive, whatever the order of
bodies.yaml; "a change" only where the return differs from the seat as configured; one
person may hold two seats on one body."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from trustcycle.config import TrustConfig, schema
from trustcycle.drafts import membership, seats
from trustcycle.drafts.document import Section, Table
from trustcycle.drafts.inputs import AttendanceRecord, ReturnRecord, complete
from trustcycle.trust import load_config

RUTLAND = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"
MEETING = date(2010, 6, 8)
BOARD = "Rutland Children's Trust Board"
EXECUTIVE = "Children's Trust Executive"
KERR = "Supt. Rachel Kerr"
HOLT = {"name": "Ch Supt Dana Holt", "role": "Area Commander",
        "email": "dana.holt@police.example.uk", "seniority": "Chief Superintendent"}
DUNN = {"name": "Insp. Mark Dunn", "role": "Member", "email": "mark.dunn@police.example.uk"}


@pytest.fixture(scope="module")
def cfg() -> TrustConfig:
    return load_config(RUTLAND)


def received(partner: str, payload: dict[str, Any]) -> ReturnRecord:
    return ReturnRecord("membership_review", partner, "representation", "received", 1,
                        "2010-05-20", "ab" * 32, payload)


def seat(body: str, action: str, rep: dict[str, str], deputy: dict[str, str] | None = None,
         term_end: str = "") -> dict[str, Any]:
    return {"body": body, "body_name": body.capitalize(), "action": action,
            "representative": rep, "deputy": deputy, "term_end": term_end}


def police_portal_return() -> dict[str, Any]:
    """As the portal stores it when the Executive seat is listed first: the flat fields are
    the first seat's (Dunn, on the Executive), the Board seat is changed to Holt."""
    return {"representative": DUNN, "deputy": None, "term_end": None, "absences": "",
            "changes": "Changed: Rutland Children's Trust Board",
            "seats": [seat("executive", "confirm", DUNN),
                      seat("board", "change", HOLT,
                           {"name": "Insp. Mark Dunn", "role": "",
                            "email": "mark.dunn@police.example.uk"}, "2012-03-31")]}


def section(sections: tuple[Section, ...], title: str) -> Section:
    return next(s for s in sections if s.title == title)


def first_table(s: Section) -> Table:
    return next(b for b in s.blocks if isinstance(b, Table))


def build(cfg: TrustConfig, returns: list[ReturnRecord],
          attendance: list[AttendanceRecord] | None = None
          ) -> tuple[tuple[Section, ...], dict[str, str]]:
    sections, _, summary = membership.sections(
        cfg, "membership_review", MEETING, complete(cfg, "membership_review", returns),
        attendance or [])
    return sections, dict(summary)


def test_the_board_shows_the_returns_board_seat_not_the_first_seat_across_bodies(
    cfg: TrustConfig,
) -> None:
    sections, summary = build(cfg, [received("police", police_portal_return())])
    board = {row[0]: row for row in first_table(section(sections, f"Seats on {BOARD}")).rows}
    assert board[KERR] == (
        KERR, "Leicestershire Constabulary", "Member", "Insp. Mark Dunn", "Open-ended",
        "Change asked",
        "Representative: Supt. Rachel Kerr to be replaced by Ch Supt Dana Holt, Area "
        "Commander (Chief Superintendent); Term ends: 31 March 2012 (recorded: open-ended)")
    executive = {row[0]: row for row in
                 first_table(section(sections, f"Seats on {EXECUTIVE}")).rows}
    assert executive["Insp. Mark Dunn"][5:] == ("Confirmed", "")
    rep = {row[1]: row for row in first_table(
        section(sections, "Representation of the statutory partners")).rows}
    assert rep["Leicestershire Constabulary"][2:] == (
        KERR, "Insp. Mark Dunn", "Represented; the return nominates Ch Supt Dana Holt")
    changes = section(sections, "Changes proposed in the returns").blocks[0]
    assert changes.items == (  # type: ignore[union-attr]
        f"{BOARD}: Leicestershire Constabulary, Member ({KERR}): Representative: Supt. Rachel "
        "Kerr to be replaced by Ch Supt Dana Holt, Area Commander (Chief Superintendent), "
        "dana.holt@police.example.uk; Term ends: 31 March 2012 (recorded: open-ended)",)
    assert summary["Seats with a change asked in the returns"] == "1"


def test_the_same_answer_reads_the_same_whatever_the_order_of_the_bodies(
    cfg: TrustConfig,
) -> None:
    reordered = replace(cfg, bodies=dict(reversed(list(cfg.bodies.items()))))
    first, _ = build(cfg, [received("police", police_portal_return())])
    again, _ = build(reordered, [received("police", police_portal_return())])
    title = f"Seats on {BOARD}"
    assert first_table(section(first, title)) == first_table(section(again, title))


def test_a_return_confirming_every_seat_as_recorded_asks_for_no_change(
    cfg: TrustConfig,
) -> None:
    confirm = {"representative": DUNN, "deputy": None, "term_end": None, "absences": "",
               "changes": "No change.",
               "seats": [seat("board", "confirm",
                              {"name": KERR, "role": "Member",
                               "email": "rachel.kerr@police.example.uk"},
                              {"name": "Insp. Mark Dunn", "role": "",
                               "email": "mark.dunn@police.example.uk"}),
                         seat("executive", "confirm", DUNN)]}
    flat = {"representative": {"name": "Fiona Reed", "role": "Chief Officer",
                               "email": "fiona.reed@var.example.org.uk"},
            "deputy": None, "term_end": None, "absences": "", "changes": ""}
    sections, summary = build(cfg, [received("police", confirm), received("var", flat)])
    board = {row[0]: row for row in first_table(section(sections, f"Seats on {BOARD}")).rows}
    assert board[KERR][5:] == ("Confirmed", "")
    assert board["Fiona Reed"][5:] == ("Confirmed", "")
    assert board["Carol Benham"][5:] == ("Return missing", "")
    assert summary["Seats with a change asked in the returns"] == "0"
    assert section(sections, "Changes proposed in the returns").blocks[0].text == (  # type: ignore[union-attr]
        "No return asks for a change to a seat.")
    named = section(sections, "Representatives and deputies named in the returns").blocks[0]
    assert named.items == (  # type: ignore[union-attr]
        f"Leicestershire Constabulary, {BOARD} (confirmed): representative Supt. Rachel Kerr, "
        "Member, rachel.kerr@police.example.uk; deputy Insp. Mark Dunn, "
        "mark.dunn@police.example.uk; term ends open-ended.",
        f"Leicestershire Constabulary, {EXECUTIVE} (confirmed): representative Insp. Mark "
        "Dunn, Member, mark.dunn@police.example.uk; deputy none named; term ends open-ended.",
        f"Voluntary Action Rutland, {BOARD} (as returned): representative Fiona Reed, Chief "
        "Officer, fiona.reed@var.example.org.uk; deputy none named; term ends not stated.")


def test_differences_name_each_field_that_differs_from_the_seat(cfg: TrustConfig) -> None:
    kerr = cfg.bodies["board"].members[2]
    same = seats.SeatAnswer("board", "police", "confirm",
                            {"name": "Rachel Kerr (Supt.)", "role": "", "seniority": "",
                             "email": "Rachel.Kerr@police.example.uk"}, None, "")
    assert seats.differences(kerr, same) == ()  # the same email: the same person
    dropped = replace(same, action="change")
    assert seats.differences(kerr, dropped) == (
        "Deputy: Insp. Mark Dunn to stand down (no deputy named)",)
    renewed = replace(same, term_end="2013-05-31")
    assert seats.differences(kerr, renewed) == (
        "Term ends: 31 May 2013 (recorded: open-ended)",)


def test_a_flat_return_is_matched_to_the_partners_seat_it_names_on_the_receiving_body(
    cfg: TrustConfig,
) -> None:
    # Rutland County Council holds two Board seats (Begy, Benham): the return names Benham.
    flat = {"representative": {"name": "Carol Benham", "role": "Director of Children's "
                               "Services", "email": "c.benham@rutland.example.gov.uk",
                               "seniority": "Chief Officer"},
            "deputy": {"name": "Tim Crane", "role": "Head of Early Help",
                       "email": "t.crane@rutland.example.gov.uk"},
            "term_end": None, "absences": "", "changes": ""}
    sections, _ = build(cfg, [received("rutland_cc", flat)])
    board = {row[0]: row for row in first_table(section(sections, f"Seats on {BOARD}")).rows}
    assert board["Cllr Roger Begy"][5:] == ("Not covered by the return", "")
    assert board["Carol Benham"][5:] == (
        "Change asked", "Deputy: none to be replaced by Tim Crane, Head of Early Help")
    executive = {row[0]: row for row in
                 first_table(section(sections, f"Seats on {EXECUTIVE}")).rows}
    assert executive["Carol Benham"][5:] == ("Not covered by the return", "")


def test_one_person_may_hold_two_seats_on_one_body_each_reviewed_for_its_partner(
    cfg: TrustConfig,
) -> None:
    board = cfg.bodies["board"]
    marsh = schema.Person(name="Linda Marsh", email="linda.marsh@probation.example.org.uk")
    second = schema.Member(person=marsh, partner="yot", role="Member (youth offending)",
                           term_start=date(2009, 6, 1))
    two = replace(cfg, bodies={**cfg.bodies,
                               "board": board.model_copy(update={"members": [*board.members,
                                                                             second]})})
    marsh_rep = {"name": "Linda Marsh", "role": "Assistant Chief Officer",
                 "email": "linda.marsh@probation.example.org.uk"}
    okafor = {"name": "Sam Okafor", "role": "YOS Manager", "email": "sam.okafor@yos.example.gov.uk"}
    returns = [received("probation", {"seats": [seat("board", "confirm", marsh_rep)]}),
               received("yot", {"seats": [seat("board", "change", marsh_rep, okafor)]})]
    attendance = [AttendanceRecord("board", date(2010, 3, 2),
                                   "linda.marsh@probation.example.org.uk", "present")]
    sections, summary = build(two, returns, attendance)
    rows = [row for row in first_table(section(sections, f"Seats on {BOARD}")).rows
            if row[0] == "Linda Marsh"]
    assert rows == [
        ("Linda Marsh", "Leicestershire and Rutland Probation Trust", "Member", "None named",
         "Open-ended", "Confirmed", ""),
        ("Linda Marsh", "Leicestershire Youth Offending Service (Rutland)",
         "Member (youth offending)", "None named", "Open-ended", "Change asked",
         "Deputy: none to be replaced by Sam Okafor, YOS Manager"),
    ]
    rep = [row for row in first_table(
        section(sections, "Representation of the statutory partners")).rows
        if row[0] == "Youth offending team"]
    assert rep == [("Youth offending team", "Leicestershire Youth Offending Service (Rutland)",
                    "Linda Marsh", "None named", "Represented; the return asks for a change")]
    by_member = next(b for b in section(sections, "Attendance").blocks
                     if isinstance(b, Table) and b.caption == "By member")
    assert [(r[1], r[2], r[3]) for r in by_member.rows if r[0] == "Linda Marsh"] == [
        ("Leicestershire and Rutland Probation Trust", "1", "1"),
        ("Leicestershire Youth Offending Service (Rutland)", "1", "1")]
    assert summary["Vacancies"] == "4"  # YOT filled by her second seat


def test_a_return_proposing_a_seat_for_a_partner_without_one_fills_the_vacancy(
    cfg: TrustConfig,
) -> None:
    shah = {"name": "Priya Shah", "role": "Head of Youth Offending",
            "email": "priya.shah@yos.example.gov.uk"}
    sections, summary = build(cfg, [received("yot", {"seats": [seat("board", "change", shah)]})])
    rep = [row for row in first_table(
        section(sections, "Representation of the statutory partners")).rows
        if row[0] == "Youth offending team"]
    assert rep == [("Youth offending team", "Leicestershire Youth Offending Service (Rutland)",
                    "Priya Shah, Head of Youth Offending, priya.shah@yos.example.gov.uk", "",
                    "Nominated in the return")]
    board = first_table(section(sections, f"Seats on {BOARD}")).rows
    assert board[-1] == ("(new seat)", "Leicestershire Youth Offending Service (Rutland)", "",
                         "None named", "open-ended", "Change asked",
                         "New seat: Priya Shah, Head of Youth Offending")
    assert summary["Seats filled by nomination in the returns"] == "1"


def test_a_seat_whose_partner_owes_no_return_says_so(cfg: TrustConfig) -> None:
    review = seats.SeatReview("board", "var", cfg.bodies["board"].members[-1], None, ())
    waived = ReturnRecord("membership_review", "var", "representation", "waived")
    assert seats.answer_status(review, None) == "No return asked"
    assert seats.answer_status(review, waived) == "Waived"
    assert seats.answer_status(review, replace(waived, status="missing")) == "Return missing"
