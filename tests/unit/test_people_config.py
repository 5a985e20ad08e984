"""Contacts are people: one email under several partners, two seats on one body, and a
return asked of a seat; what stays an error is one exact line."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest

from trustcycle.config.asked import asked_by_seat, partners_asked, seat_holder
from trustcycle.config.errors import ConfigError
from trustcycle.config.people import same_name
from trustcycle.config.schema import SeatRef
from trustcycle.trust import load_config

RUTLAND = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"
DUNN = ("{name: Insp. Mark Dunn, role: \"Neighbourhood Inspector, Rutland\", "
        "email: mark.dunn@police.example.uk}")
FOWLER = ("{name: Alan Fowler, role: Senior Probation Officer, "
          "email: alan.fowler@probation.example.org.uk}")
SHAH_SEAT = ("{person: {name: Priya Shah, email: priya.shah@yos.example.gov.uk}, partner: yot, "
             "role: Member, term_start: 2009-07-01}")
CYPP_ASKED = "asked_of: {leads: true}"


def _config(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(RUTLAND, directory)
    for name, old, new in edits:
        text = (directory / name).read_text()
        assert text.count(old) == 1, old
        (directory / name).write_text(text.replace(old, new))
    return directory


def _error(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(directory)
    return [line.split(": ", 1)[1] for line in str(info.value).splitlines()]


def test_one_person_may_be_the_contact_of_two_partners(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, ("partners.yaml", FOWLER, DUNN)))
    assert [c.email for c in cfg.partners["probation"].contacts] == ["mark.dunn@police.example.uk"]


def test_one_email_under_two_names_across_partners_is_one_line(tmp_path: Path) -> None:
    other = DUNN.replace("Insp. Mark Dunn", "Mark Dunne")
    directory = _config(tmp_path, ("partners.yaml", FOWLER, other))
    assert _error(directory) == [
        "partners.probation.contacts.0.name: mark.dunn@police.example.uk is 'Insp. Mark Dunn' "
        "at partners.police.contacts.0: one email is one person, with one name"
    ]


def test_names_differing_only_in_case_or_spaces_are_one_person() -> None:
    assert same_name("Insp. Mark  Dunn", "insp. mark dunn")
    assert not same_name("Mark Dunn", "Mark Dunne")


def test_one_person_may_hold_two_seats_on_one_body_for_two_partners(tmp_path: Path) -> None:
    seat = SHAH_SEAT.replace("partner: yot", "partner: police")
    directory = _config(tmp_path, ("bodies.yaml", SHAH_SEAT, f"{SHAH_SEAT}\n      - {seat}"))
    executive = load_config(directory).bodies["executive"]
    assert [(m.person.email, m.partner) for m in executive.members][3:5] == [
        ("priya.shah@yos.example.gov.uk", "yot"), ("priya.shah@yos.example.gov.uk", "police")]


def test_two_seats_for_one_partner_is_one_line(tmp_path: Path) -> None:
    directory = _config(tmp_path, ("bodies.yaml", SHAH_SEAT, f"{SHAH_SEAT}\n      - {SHAH_SEAT}"))
    assert _error(directory) == [
        "bodies.executive.members.4.person.email: priya.shah@yos.example.gov.uk already holds a "
        "seat for yot (members.3): one seat per partner represented"
    ]


def test_a_return_asked_of_a_seat_is_owed_by_its_holders_partner(tmp_path: Path) -> None:
    seat = "asked_of: {seat: {body: executive, role: chair}}"
    cfg = load_config(_config(tmp_path, ("calendar.yaml", CYPP_ASKED, seat)))
    spec = cfg.processes["cypp_annual_review"].returns[0]
    assert partners_asked(cfg, spec) == ["rutland_cc"]
    holder = asked_by_seat(cfg, spec, "rutland_cc")
    assert holder is not None and holder.email == "c.benham@rutland.example.gov.uk"
    assert asked_by_seat(cfg, spec, "police") is None


def test_a_seat_holder_whose_term_ended_before_the_year_gives_way() -> None:
    cfg = load_config(RUTLAND)
    old = cfg.bodies["board"].members[0].model_copy(update={
        "partner": "police", "term_start": date(2009, 4, 1), "term_end": date(2010, 3, 31)})
    board = cfg.bodies["board"].model_copy(
        update={"members": [old, *cfg.bodies["board"].members]})
    changed = dataclasses.replace(cfg, bodies={**cfg.bodies, "board": board})
    holder = seat_holder(changed, SeatRef(body="board", role="Chair"))
    assert holder is not None and holder.partner == "rutland_cc"


@pytest.mark.parametrize(
    ("seat", "line"),
    [
        ("{body: lscb, role: Chair}",
         "processes.cypp_annual_review.returns.0.asked_of.seat.body: unknown body 'lscb'"),
        ("{body: executive, role: Vice-Chair}",
         "processes.cypp_annual_review.returns.0.asked_of.seat.role: no seat with role "
         "'Vice-Chair' on body 'executive'"),
    ],
)
def test_a_seat_no_body_has_is_one_line(tmp_path: Path, seat: str, line: str) -> None:
    directory = _config(tmp_path, ("calendar.yaml", CYPP_ASKED, f"asked_of: {{seat: {seat}}}"))
    assert _error(directory) == [line]
