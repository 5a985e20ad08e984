"""A partner with two seats on one body (Rutland's council: the Board's Chair and its
Director of Children's Services) answers for each seat on its own fields: changing the
second seat changes that seat alone, in the stored return, in the form shown again and in
the membership review's draft. Real app, real SQLite file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.portal_support import BASE, DURING_CYCLE, Portal, build_portal
from trustcycle.calendar.clock import use_clock
from trustcycle.db import Database
from trustcycle.db.models import ReturnVersion
from trustcycle.papers.assemble import build_and_store, draft_content
from trustcycle.portal.client import submit_via_portal

COUNCIL = "rutland_cc"
NEW_DCS = {"name": "Dr Helen Ward", "role": "Director of Children's Services",
           "email": "h.ward@rutland.example.gov.uk", "seniority": "Director",
           "deputy_name": "Tim Cole", "deputy_role": "Head of Safeguarding",
           "deputy_email": "t.cole@rutland.example.gov.uk", "term_end": "2013-03-31"}


@pytest.fixture
def portal(sqlite_url: str, tmp_path: Path) -> Iterator[Portal]:
    database = Database.from_url(sqlite_url)
    with use_clock(DURING_CYCLE):
        yield build_portal(database, tmp_path,
                           opened=[("membership_review", COUNCIL, "representation")])
    database.dispose()


def _seat_keys(page: str) -> list[str]:
    """The seats' field prefixes in page order (each radio button names its field)."""
    return list(dict.fromkeys(re.findall(r'name="(seat-[a-z0-9_]+-[0-9]+)-action"', page)))


def test_changing_the_second_seat_on_a_body_changes_that_seat_alone(portal: Portal) -> None:
    client = TestClient(portal.app, base_url=BASE)
    link = portal.links["membership_review", COUNCIL]
    with use_clock(DURING_CYCLE):
        page = client.get(link).text
        keys = _seat_keys(page)
        assert keys[:2] == ["seat-board-1", "seat-board-2"] and "seat-executive-1" in keys
        assert "Rutland Children&#39;s Trust Board (Chair seat)" in page
        assert "Rutland Children&#39;s Trust Board (Director of Children&#39;s Services seat)" \
            in page
        form = {f"{key}-action": "confirm" for key in keys}
        form["seat-board-2-action"] = "change"
        form |= {f"seat-board-2-{field}": value for field, value in NEW_DCS.items()}
        result = submit_via_portal(client, link, form)
        assert result.ok, result.html
        assert "Rutland Children&#39;s Trust Board, seat 1: confirm" in result.html
        assert "Rutland Children&#39;s Trust Board, seat 2: change" in result.html
        assert "Children&#39;s Trust Executive: confirm" in result.html
        again = client.get(link).text
    with portal.database.sessions() as session:
        [version] = session.scalars(select(ReturnVersion))
        seats = version.payload["seats"]
    board = [s for s in seats if s["body"] == "board"]
    assert [(s["action"], s["representative"]["name"]) for s in board] == [
        ("confirm", "Cllr Roger Begy"), ("change", "Dr Helen Ward")]
    assert board[0]["deputy"]["name"] == "Cllr Kate Smith"
    assert board[0]["term_end"] == "2011-05-31"
    assert board[1]["representative"] == {
        "name": "Dr Helen Ward", "role": "Director of Children's Services",
        "email": "h.ward@rutland.example.gov.uk", "seniority": "Director"}
    assert board[1]["deputy"] == {"name": "Tim Cole", "role": "Head of Safeguarding",
                                  "email": "t.cole@rutland.example.gov.uk"}
    assert board[1]["term_end"] == "2013-03-31"
    assert [(s["action"], s["representative"]["name"]) for s in seats
            if s["body"] == "executive"] == [("confirm", "Carol Benham")]
    # The form shown again starts from what was sent: each seat its own values.
    assert re.search(r'name="seat-board-1-name"[^>]*value="Cllr Roger Begy"', again)
    assert re.search(r'name="seat-board-2-name"[^>]*value="Dr Helen Ward"', again)
    assert re.search(r'name="seat-board-2-deputy_name"[^>]*value="Tim Cole"', again)

    with portal.database.sessions.begin() as session:
        stored = build_and_store(session, portal.cfg, "membership_review", 2010,
                                 now=pendulum.datetime(2010, 6, 2, 9, tz="Europe/London"))
    with portal.database.sessions() as session:
        md = draft_content(session, portal.cfg, "membership_review", 2010, stored.version,
                           "md").decode()
    board_md = md.split("Seats on Rutland Children's Trust Board")[1].split("## ")[0]
    council = "Rutland County Council (Children and Young People's Services)"
    assert (f"| Cllr Roger Begy | {council} | Chair | Cllr Kate Smith | 31 May 2011 | "
            "Confirmed |  |") in board_md
    assert (f"| Carol Benham | {council} | Director of Children's Services | None named | "
            "Open-ended | Change asked | Representative: Carol Benham to be replaced by "
            "Dr Helen Ward, Director of Children's Services (Director); Deputy: none to be "
            "replaced by Tim Cole, Head of Safeguarding; Term ends: 31 March 2013 "
            "(recorded: open-ended) |") in board_md
    executive_md = md.split("Seats on Children's Trust Executive")[1].split("## ")[0]
    assert f"| Carol Benham | {council} | Chair |" in executive_md
    assert "Dr Helen Ward" not in executive_md
