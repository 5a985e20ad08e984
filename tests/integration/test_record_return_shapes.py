"""The officers' `record-return` form carries every field the portal and the drafts know:
each shape, filled in full and recorded through the flow into a real SQLite file, is
stored as given and every value is in the draft built from it; a report-only return
(comments alone) is recorded too; a payload that breaks a rule fails in one line and
stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from flows.record_return import record_return
from tests.clocks import wall_clock
from tests.fixtures.report_only import rutland_with_reports
from tests.integration.test_drafts_every_field import built, html_text, words
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.chasing.return_shapes import (
    CyppReturn,
    Indicator,
    Measure,
    MeasuresReturn,
    NeedsReturn,
    Person,
    PriorityProgress,
    RepresentationReturn,
    SeatAnswer,
    stored_payload,
)
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import ReturnVersion
from trustcycle.trust import load_config

HOLT = Person(name="Ch Supt Dana Holt", role="Area Commander",
              email="dana.holt@police.example.uk", seniority="Chief Superintendent")
REID = Person(name="Insp. Omar Reid", role="Inspector", email="omar.reid@police.example.uk",
              seniority="Inspector (deputy)")
DUNN = Person(name="Insp. Mark Dunn", role="Member", email="mark.dunn@police.example.uk")

# (process, partner, the payload in full, what the draft must show)
CASES: list[tuple[str, str, BaseModel, list[str]]] = [
    ("membership_review", "police", RepresentationReturn(
        representative=DUNN, absences="Absent in November 2009: a major operation.",
        changes="Ch Supt Holt takes the Board seat.",
        seats=[SeatAnswer(body="executive", body_name="Children's Trust Executive",
                          action="confirm", representative=DUNN),
               SeatAnswer(body="board", body_name="Rutland Children's Trust Board",
                          action="change", representative=HOLT, deputy=REID,
                          term_end=date(2012, 3, 31))]),
     ["Ch Supt Dana Holt", "Area Commander", "Chief Superintendent",
      "dana.holt@police.example.uk", "Insp. Omar Reid", "omar.reid@police.example.uk",
      "Inspector (deputy)", "31 March 2012", "Insp. Mark Dunn",
      "Absent in November 2009: a major operation.", "Ch Supt Holt takes the Board seat."]),
    ("membership_review", "pct", RepresentationReturn(  # the flat fields alone
        representative=Person(name="Dr Anne Cole", role="Associate Director",
                              email="anne.cole@nhs.example.uk", seniority="Director"),
        deputy=Person(name="Dr Raj Patel", role="Consultant Paediatrician",
                      email="raj.patel@nhs.example.uk", seniority="Consultant"),
        term_end=date(2012, 3, 31), absences="Winter pressures, March 2010.",
        changes="Dr Anne Cole to replace Peter Lane."),
     ["Dr Anne Cole", "Associate Director", "anne.cole@nhs.example.uk", "Dr Raj Patel",
      "Consultant Paediatrician", "raj.patel@nhs.example.uk", "(Consultant)",
      "Winter pressures, March 2010.", "Dr Anne Cole to replace Peter Lane."]),
    ("cypp_annual_review", "police", CyppReturn(
        priorities=[PriorityProgress(priority="p04_safe", rag="green", value=18.5,
                                     narrative="Re-referrals fell for a third year.",
                                     risks="A vetting backlog in the autumn.",
                                     changes="Add a measure of repeat missing episodes."),
                    PriorityProgress(priority="p99_online", title="Online safety", rag="red",
                                     narrative="Proposed as a new priority.")],
        notes="The police return covers Rutland only."),
     ["Green", "18.5%", "Re-referrals fell for a third year.",
      "A vetting backlog in the autumn.", "Add a measure of repeat missing episodes.",
      "Online safety", "Proposed as a new priority.",
      "The police return covers Rutland only."]),
    ("safeguarding_report", "probation", CyppReturn(
        notes="MAPPA: 14 cases reviewed. No serious case reviews."),
     ["MAPPA: 14 cases reviewed. No serious case reviews."]),
    ("joint_needs_analysis", "police", NeedsReturn(
        indicators=[Indicator(indicator="Children in low income families (%)", period="2008",
                              source="HMRC", value=9.8, comparator=21.3, ward="Uppingham",
                              section="child_poverty")],
        commentary="Incidents rose in two wards.",
        child_poverty_commentary="Pockets of poverty in market towns."),
     ["Children in low income families (%)", "2008", "HMRC", "9.8", "21.3", "Uppingham",
      "Incidents rose in two wards.", "Pockets of poverty in market towns."]),
    ("child_poverty_strategy", "rutland_cc", MeasuresReturn(
        measures=[Measure(measure="Holiday hunger scheme", need="School meals in the holidays",
                          lead="Early Help Service", target="300 children a summer",
                          by_when="August 2011", monitoring="Places taken, termly")],
        commentary="Builds on the 2009 pilots.",
        consultation="Rutland Youth Forum, 12 January 2011."),
     ["Holiday hunger scheme", "School meals in the holidays", "Early Help Service",
      "300 children a summer", "August 2011", "Places taken, termly",
      "Builds on the 2009 pilots.", "Rutland Youth Forum, 12 January 2011."]),
]


@pytest.fixture
def trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[tuple[str, TrustConfig, Database]]:
    """Rutland 2010 with two report-only processes, applied to a real SQLite file."""
    config = rutland_with_reports(tmp_path)
    url = f"sqlite:///{tmp_path / 'trustcycle.db'}"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    cfg = load_config(config)
    db = Database.from_url(url)
    with wall_clock(date(2010, 6, 1)), db.sessions.begin() as session:
        apply_config(session, cfg, actor="test")
    yield str(config), cfg, db
    db.dispose()


def _stored(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    with db.sessions() as s:
        return [(v.request.process.config_id, v.request.partner.config_id, v.payload)
                for v in s.scalars(select(ReturnVersion).order_by(ReturnVersion.id))]


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_every_field_of_every_shape_reaches_the_stored_return_and_the_draft(
    trust: tuple[str, TrustConfig, Database], smtp_server: SmtpTestServer
) -> None:
    config, cfg, db = trust
    with wall_clock(date(2010, 6, 1), 10):
        for process, partner, payload, _ in CASES:
            done = record_return(process_id=process, partner_id=partner, payload=payload,
                                 config_dir=config)
            assert (done.status, done.version) == ("received", 1), process
    assert _stored(db) == [(process, partner, stored_payload(payload))
                           for process, partner, payload, _ in CASES]
    assert _stored(db)[3][2] == {"priorities": [],
                                 "notes": "MAPPA: 14 cases reviewed. No serious case reviews."}
    assert "seats" not in _stored(db)[1][2]
    for process, _, _, shown in CASES:
        page = html_text(built(cfg, db, process)["html"].decode())
        for value in shown:
            assert words(value) in page, (process, value)


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
@pytest.mark.parametrize(("process", "payload", "line"), [
    ("cypp_annual_review", {"kind": "cypp_annual_review", "priorities": [], "notes": " "},
     "payload: give at least one priority or the comments (notes)"),
    ("cypp_annual_review", {"kind": "cypp_annual_review",
                            "priorities": [{"priority": "p04_safe", "rag": "blue"}]},
     "payload.priorities.0.rag: Input should be 'red', 'amber' or 'green'"),
    ("membership_review", {"kind": "membership_review",
                           "seats": [{"body": "board", "action": "change",
                                      "term_end": "2012-02-30"}]},
     "payload.seats.0.term_end: Input should be a valid date or datetime, day value is "
     "outside expected range"),
    ("membership_review", {"kind": "membership_review"},
     "payload: name the representative or answer for at least one seat"),
    ("child_poverty_strategy", {"measures": []},
     "payload.kind: must be one of child_poverty_strategy, cypp_annual_review, "
     "joint_needs_analysis, membership_review"),
])
def test_a_payload_that_breaks_a_rule_fails_in_one_line_and_stores_nothing(
    trust: tuple[str, TrustConfig, Database], process: str, payload: dict[str, Any],
    line: str,
) -> None:
    config, _, db = trust
    state = record_return(process_id=process, partner_id="police", payload=payload,
                          config_dir=config, return_state=True)
    assert state.is_failed()
    message = state.message or ""
    assert line in message and "\n" not in message, message
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReturnVersion)) == 0
