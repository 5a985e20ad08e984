"""Many trusts in one database: every uniqueness rule is per trust, and no trust is told of
another's mail."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pendulum
import pytest
import yaml
from sqlalchemy import select

from tests.clocks import use_database, wall_clock
from tests.integration.test_chase_fixtures import OFFICER, PARTNERS, contact, write_config
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import (
    ContributionRequest,
    CycleYear,
    OutboxMessage,
    Partner,
    Process,
    Trust,
)
from trustcycle.mail.senders import YagmailSender
from trustcycle.mail.settings import SmtpSettings
from trustcycle.outbox import deliver_pending, enqueue
from trustcycle.trust import load_config


def write_trust(directory: Path, trust_id: str, name: str) -> Path:
    """The small trust's files under another trust id and name (same partner ids)."""
    write_config(directory)
    path = directory / "trust.yaml"
    data = yaml.safe_load(path.read_text())
    data["trust"].update(id=trust_id, name=name)
    path.write_text(yaml.safe_dump(data))
    return directory


@pytest.mark.postgres
@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_two_trusts_with_the_same_partner_ids_share_one_database_and_each_chases_its_own(
    tmp_path: Path, pg_url: str, smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.chase_returns import chase_returns

    use_database(monkeypatch, pg_url, str(tmp_path / "inbox"))
    trusts = {
        "northdale": write_trust(tmp_path / "northdale", "northdale", "Northdale Trust"),
        "southdale": write_trust(tmp_path / "southdale", "southdale", "Southdale Trust"),
    }
    day = date(2026, 4, 27)  # the small trust's request day
    for config in trusts.values():
        with wall_clock(day):
            chase_returns(as_of=day, config_dir=str(config))  # type: ignore[arg-type]

    ids = smtp_server.message_ids()
    assert len(ids) == len(set(ids)) == 2 * len(PARTNERS)
    # One request from each trust to each partner's contact (the same person in both).
    for pid in PARTNERS:
        subjects = sorted(m.parsed["Subject"] for m in smtp_server.to(contact(pid)))
        assert len(subjects) == 2
    db = Database.from_url(pg_url)
    with db.sessions() as session:
        partners = session.execute(select(Trust.config_id, Partner.config_id)
                                   .join(Partner, Partner.trust_id == Trust.id)).all()
        assert Counter(pid for _, pid in partners) == {pid: 2 for pid in PARTNERS}
        # Each request belongs to a partner of its own trust.
        owners = session.execute(
            select(Trust.id, Partner.trust_id)
            .select_from(ContributionRequest)
            .join(Partner, ContributionRequest.partner_id == Partner.id)
            .join(Process, ContributionRequest.process_id == Process.id)
            .join(CycleYear, Process.cycle_year_id == CycleYear.id)
            .join(Trust, CycleYear.trust_id == Trust.id)).all()
        assert len(owners) == 2 * len(PARTNERS)
        assert all(trust == partner_trust for trust, partner_trust in owners)
    db.dispose()


def test_a_failed_message_of_no_request_is_told_to_no_officer_when_the_database_holds_trusts(
    tmp_path: Path, database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    # Papers and officers' mail carry no request, so not their trust: any trust's deliverer
    # sends them. Northdale's run must not tell its officer of Southdale's failed papers.
    at = pendulum.datetime(2026, 6, 1, 9, 0, tz="Europe/London")
    for trust_id in ("northdale", "southdale"):
        cfg = load_config(write_trust(tmp_path / trust_id, trust_id, trust_id.title()))
        with use_clock(FixedClock(at)), database.sessions.begin() as session:
            apply_config(session, cfg, actor="officer@test")
    with database.sessions.begin() as session:
        enqueue(session, idem_key="papers:southdale:2026:membership_review:v1:x@gone.example",
                kind="papers", to=["x@gone.example"], subject="Papers", text="Papers\n",
                html=None, date_header=at)
    smtp_server.refuse("x@gone.example")
    report = deliver_pending(database.sessions, YagmailSender(mail_settings), now=at,
                             worker_id="northdale", officer_email=OFFICER)
    assert report.dead == 1
    assert smtp_server.messages == []
    with database.sessions() as session:
        kinds = list(session.scalars(select(OutboxMessage.kind)))
    assert kinds == ["papers"]  # listed by failures(), alerted to nobody
