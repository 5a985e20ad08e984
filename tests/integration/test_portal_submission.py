"""Submitting through the portal: stored durably, receipted, chase stopped, versioned."""

from __future__ import annotations

import contextvars
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.portal_support import (
    CYPP_POLICE_OK,
    OPENED,
    Portal,
)
from trustcycle.chasing.requests import select_due
from trustcycle.db.models import AuditLog, OutboxMessage, ReturnVersion
from trustcycle.portal import submit_scripted
from trustcycle.portal.client import submit_via_portal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"




def _versions(portal: Portal, process: str, partner: str) -> list[ReturnVersion]:
    request = portal.request(process, partner)
    with portal.database.sessions() as session:
        return list(
            session.scalars(
                select(ReturnVersion)
                .where(ReturnVersion.contribution_request_id == request.id)
                .order_by(ReturnVersion.version)
            )
        )


def test_a_submission_is_stored_with_its_sha256_before_the_thank_you_page(
    portal: Portal, client: TestClient
) -> None:
    result = submit_via_portal(
        client,
        portal.links["cypp_annual_review", "police"],
        CYPP_POLICE_OK,
        {"document": ("report.pdf", PDF)},
    )
    assert result.ok and result.version == 1
    assert "Return received" in result.html
    [version] = _versions(portal, "cypp_annual_review", "police")
    canonical = json.dumps(version.payload, sort_keys=True, separators=(",", ":")).encode()
    assert version.sha256 == hashlib.sha256(canonical).hexdigest()
    assert version.sha256 in result.html
    assert version.channel == "portal"
    [priority] = version.payload["priorities"]
    assert priority["rag"] == "amber" and priority["value"] == 21.5
    stored = Path(version.file_path or "")
    assert stored.read_bytes() == PDF
    assert stored.parent == portal.upload_dir and stored.name != "report.pdf"
    [document] = version.payload["files"]
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["original_name"] == "report.pdf"


def test_a_submission_marks_the_request_received_so_the_chase_stops(
    portal: Portal, client: TestClient
) -> None:
    reminder_day = date(2010, 6, 3)  # the CYPP ladder's "before_10" rung

    def chased() -> set[str]:
        with portal.database.sessions() as session:
            due = select_due(session, portal.cfg, today=reminder_day).due
        return {d.request.token for d in due}

    token = portal.tokens["cypp_annual_review", "police"]
    assert token in chased()
    submit_via_portal(client, portal.links["cypp_annual_review", "police"], CYPP_POLICE_OK)
    assert portal.request("cypp_annual_review", "police").status == "received"
    assert token not in chased()


def test_a_submission_queues_a_receipt_email_and_an_audit_row(
    portal: Portal, client: TestClient
) -> None:
    submit_via_portal(client, portal.links["cypp_annual_review", "police"], CYPP_POLICE_OK)
    request = portal.request("cypp_annual_review", "police")
    with portal.database.sessions() as session:
        receipts = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.contribution_request_id == request.id, OutboxMessage.kind == "receipt"
            )
        ).all()
        audit = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "return.recorded", AuditLog.entity_id == str(request.id)
            )
        ).all()
    assert len(receipts) == 1 and receipts[0].to_addrs == ["mark.dunn@police.example.uk"]
    assert len(audit) == 1 and audit[0].actor == "portal"


def test_resubmitting_makes_a_new_version_and_shows_what_was_sent_before(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links["cypp_annual_review", "police"]
    first = submit_via_portal(client, link, CYPP_POLICE_OK)
    second = submit_via_portal(client, link, {**CYPP_POLICE_OK, "p-p04_safe-rag": "green"})
    assert (first.version, second.version) == (1, 2)
    assert [
        v.payload["priorities"][0]["rag"] for v in _versions(portal, "cypp_annual_review", "police")
    ] == ["amber", "green"]
    page = client.get(link).text
    assert "What you sent before" in page and "Version 2" in page and "Version 1" in page
    assert 'value="green" checked' in page  # the form starts from the latest version


def test_the_request_page_says_what_why_and_by_when(portal: Portal, client: TestClient) -> None:
    page = client.get(portal.links["cypp_annual_review", "police"]).text
    assert "Progress on the CYPP priorities you lead" in page
    assert "Children and Young People&#39;s Plan (England) Regulations 2005" in page
    assert "Thursday 17 June 2010 at 5pm" in page


def test_a_membership_review_can_confirm_one_seat_and_change_another(
    portal: Portal, client: TestClient
) -> None:
    page = client.get(portal.links["membership_review", "police"]).text
    seats = sorted(
        {
            part.split("-action")[0]
            for part in page.split('name="seat-')[1:]
            if "-action" in part.split('"')[0]
        }
    )
    assert seats, "the police hold at least one seat in the Rutland configuration"
    form = {f"seat-{seat}-action": "confirm" for seat in seats}
    first = seats[0]
    form |= {
        f"seat-{first}-action": "change",
        f"seat-{first}-name": "Insp. Jane Roe",
        f"seat-{first}-role": "Inspector",
        f"seat-{first}-email": "Jane.Roe@police.example.uk",
        "absences": "Leave in May.",
    }
    result = submit_via_portal(client, portal.links["membership_review", "police"], form)
    assert result.ok, result.html
    [version] = _versions(portal, "membership_review", "police")
    changed = next(s for s in version.payload["seats"] if s["body"] == first.rsplit("-", 1)[0])
    assert changed["representative"]["email"] == "jane.roe@police.example.uk"


def test_a_membership_change_without_a_name_is_refused_with_the_field_named(
    portal: Portal, client: TestClient
) -> None:
    page = client.get(portal.links["membership_review", "police"]).text
    seat = page.split('name="seat-')[1].split("-action")[0]
    result = submit_via_portal(
        client,
        portal.links["membership_review", "police"],
        {
            f"seat-{seat}-action": "change",
            f"seat-{seat}-name": "",
            f"seat-{seat}-email": "not-an-email",
        },
    )
    assert result.status == 422 and not result.ok
    assert f'href="#seat-{seat}-name"' in result.html
    assert "Enter the representative&#39;s email in the right format" in result.html


def test_a_child_poverty_strategy_takes_the_measures_proposed(
    portal: Portal, client: TestClient
) -> None:
    result = submit_via_portal(
        client,
        portal.links["child_poverty_strategy", "police"],
        {
            "m-1-measure": "Refer families to debt advice",
            "m-1-need": "Low income families",
            "m-1-lead": "Neighbourhood teams",
            "m-1-by": "March 2011",
            "m-3-measure": "Holiday activity sessions",
        },
    )
    assert result.ok
    [version] = _versions(portal, "child_poverty_strategy", "police")
    assert [m["measure"] for m in version.payload["measures"]] == [
        "Refer families to debt advice",
        "Holiday activity sessions",
    ]


def test_a_child_poverty_strategy_without_any_measure_is_refused(
    portal: Portal, client: TestClient
) -> None:
    result = submit_via_portal(
        client, portal.links["child_poverty_strategy", "police"], {"m-2-lead": "Someone"}
    )
    assert result.status == 422
    assert "Enter measure 2, or clear its row" in result.html
    assert portal.request("child_poverty_strategy", "police").status == "open"


def test_the_in_process_submitter_takes_the_portals_own_path(portal: Portal) -> None:
    result = submit_via_portal(
        portal.app, portal.links["cypp_annual_review", "police"], CYPP_POLICE_OK
    )
    assert result.ok and result.version == 1
    assert portal.request("cypp_annual_review", "police").status == "received"


@pytest.mark.parametrize(("process", "partner"), [(p, q) for p, q, _ in OPENED])
def test_a_scripted_partner_answers_every_kind_of_return_through_the_portal(
    portal: Portal, process: str, partner: str
) -> None:
    result = submit_scripted(
        portal.app, portal.links[process, partner], portal.cfg, process, partner
    )
    assert result.ok, result.html
    assert portal.request(process, partner).status == "received"


def test_simultaneous_submissions_of_one_request_become_consecutive_versions(
    portal: Portal,
) -> None:
    link = portal.links["cypp_annual_review", "police"]
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(
            pool.map(
                lambda n: context.copy().run(
                    submit_via_portal,
                    portal.app,
                    link,
                    {**CYPP_POLICE_OK, "p-p04_safe-value": str(n)},
                ),
                range(5),
            )
        )
    assert all(r.ok for r in results), [r.status for r in results]
    versions = _versions(portal, "cypp_annual_review", "police")
    assert [v.version for v in versions] == [1, 2, 3, 4, 5]
    assert sorted(v.payload["priorities"][0]["value"] for v in versions) == [0, 1, 2, 3, 4]


def test_portal_returns_have_the_shapes_the_draft_papers_read(
    portal: Portal, client: TestClient
) -> None:
    from trustcycle.drafts import payloads

    submit_via_portal(client, portal.links["cypp_annual_review", "police"], CYPP_POLICE_OK)
    submit_scripted(
        client,
        portal.links["membership_review", "police"],
        portal.cfg,
        "membership_review",
        "police",
    )
    submit_scripted(
        client,
        portal.links["child_poverty_strategy", "police"],
        portal.cfg,
        "child_poverty_strategy",
        "police",
    )
    [cypp] = _versions(portal, "cypp_annual_review", "police")
    [membership] = _versions(portal, "membership_review", "police")
    [strategy] = _versions(portal, "child_poverty_strategy", "police")
    entry = payloads.priority_entries(cypp.payload)["p04_safe"]
    assert payloads.rag(entry["rag"]) == "amber" and payloads.number(entry["value"]) == 21.5
    representative = payloads.person(membership.payload, "representative")
    assert representative is not None and representative["email"].endswith("police.example.uk")
    assert payloads.rows(strategy.payload, "measures")[0]["by_when"] == "End of the cycle year"
