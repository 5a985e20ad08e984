"""Issue 3, "Done when": a scripted collection chased through Prefect, day by day.

Five partners: alpha, bravo and charlie return on time (by the CLI, the inbox folder and
the officers' `record-return` flow), delta late, echo never. The chase runs on every
calendar day from the request to after the cut-off; the SMTP server is a real aiosmtpd.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pendulum
import pytest

from flows.chase_returns import chase_returns
from flows.record_return import record_return
from tests.integration.test_chase_fixtures import (
    MANAGER,
    OFFICER,
    contact,
    senior,
    write_config,
)
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.calendar.workdays import working_days
from trustcycle.chasing.return_shapes import Person, RepresentationReturn
from trustcycle.cli import main as cli
from trustcycle.config.schema import Nation

# Fixtures of the shared plugins, made visible to this module's tests.

ENGLAND = working_days(Nation.england)  # the trusts these tests run are English
FIRST, LAST = date(2026, 4, 27), date(2026, 5, 21)
EXPECTED = [
    ("2026-04-27", "request", [contact(p)]) for p in ("alpha", "bravo", "charlie", "delta", "echo")
] + [
    ("2026-04-29", "receipt", [contact("alpha")]),
    *[("2026-05-01", "reminder:before_7", [contact(p)])
      for p in ("bravo", "charlie", "delta", "echo")],
    ("2026-05-06", "receipt", [contact("bravo")]),
    *[("2026-05-08", "reminder:before_3", [contact(p)]) for p in ("charlie", "delta", "echo")],
    ("2026-05-13", "receipt", [contact("charlie")]),
    *[("2026-05-13", "reminder:on_the_day", [contact(p)]) for p in ("delta", "echo")],
    *[("2026-05-15", "reminder:overdue_2", [contact(p)]) for p in ("delta", "echo")],
    ("2026-05-18", "receipt", [contact("delta")]),
    ("2026-05-19", "escalation:escalate_4", [senior("echo"), MANAGER]),
    ("2026-05-20", "missing_report", [OFFICER]),
]


def _local_day(header: str) -> str:
    return pendulum.instance(parsedate_to_datetime(header)).in_timezone("Europe/London") \
        .date().isoformat()


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_a_scripted_collection_chases_the_right_partners_on_the_right_working_days(
    tmp_path: Path, smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "config")
    url = f"sqlite:///{tmp_path / 'trustcycle.db'}"
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)
    monkeypatch.setenv("TRUSTCYCLE_INBOX_DIR", str(inbox))
    monkeypatch.chdir(tmp_path)  # returns are stored under ./var/returns
    day = FIRST
    while day <= LAST:
        # Overnight arrivals, then the 09:00 tick.
        with use_clock(FixedClock.on(day, 8)):
            if day == date(2026, 4, 29):
                assert cli(["--config", str(config), "returns", "record", "--process",
                            "membership_review", "--partner", "alpha", "--json",
                            json.dumps({"representative": "A. Person"})]) == 0
            if day == date(2026, 5, 13):
                record_return(process_id="membership_review", partner_id="charlie",
                              payload=RepresentationReturn(
                                  representative=Person(name="C. Person")),
                              config_dir=str(config))
        for partner, arrives in (("bravo", date(2026, 5, 6)), ("delta", date(2026, 5, 18))):
            if day == arrives:
                folder = inbox / "membership_review" / partner
                folder.mkdir(parents=True)
                (folder / "return.json").write_text(json.dumps({"representative": partner}))
        with use_clock(FixedClock.on(day)):  # the day is the wall clock, as in simulate
            chase_returns(config_dir=str(config))
        day += timedelta(days=1)

    got = [(_local_day(m.parsed["Date"]), m.parsed["X-Trustcycle-Kind"], sorted(m.rcpt_tos))
           for m in smtp_server.messages]
    assert got == [(d, k, sorted(to)) for d, k, to in EXPECTED]
    # No email on a weekend or on the 4 May bank holiday.
    assert all(ENGLAND.is_working_day(pendulum.parse(d).date())  # type: ignore[union-attr]
               for d, _, _ in got)
    # The escalation went to echo's senior contact, copied to the Trust manager.
    escalation = next(m for m in smtp_server.messages
                      if m.parsed["X-Trustcycle-Kind"].startswith("escalation"))
    assert escalation.parsed["To"] == senior("echo") and escalation.parsed["Cc"] == MANAGER
    # Nobody who returned is chased after returning.
    returned = {"alpha": "2026-04-29", "bravo": "2026-05-06", "charlie": "2026-05-13",
                "delta": "2026-05-18"}
    for partner, on in returned.items():
        chased = [d for d, k, to in got if contact(partner) in to and k.startswith("reminder")]
        assert all(d < on for d in chased), (partner, chased)
    # The officer's report names the one missing partner; inbox files were moved away.
    report = smtp_server.to(OFFICER)[0].body("plain")
    assert "Echo Services" in report and "Delta Services" not in report
    assert sorted(p.name for p in inbox.glob("*/*/processed/*")) == ["return.json"] * 2
    assert not list(inbox.glob("*/*/*.json"))
