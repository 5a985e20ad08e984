"""Many trusts in one PostgreSQL database: every uniqueness rule is per trust."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from tests.clocks import use_database, wall_clock
from tests.integration.test_chase_fixtures import PARTNERS, contact, write_config
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.db import Database
from trustcycle.db.models import ContributionRequest, CycleYear, Partner, Process, Trust


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
