"""A POST must carry a good signed link even when its CSRF token is good (issue 16).

Each test first opens the form with the request's own link, so the cookie and the form
token are valid; only the link on the POST is wrong. A portal that skipped the link check
on POST would accept every one of these (the CSRF token alone binds the request token).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pendulum
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.integration.portal_support import DURING_CYCLE, SECRET, Portal
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing import links
from trustcycle.db import Database
from trustcycle.db.models import ReturnVersion

PROCESS = "child_poverty_strategy"
MEASURE = {"m-1-measure": "Refer families to debt advice"}
REFUSED = "This link cannot be used"


@pytest.fixture
def database(sqlite_url: str) -> Iterator[Database]:
    """SQLite only: the link is checked before the database is asked anything."""
    db = Database.from_url(sqlite_url)
    yield db
    db.dispose()


def _parts(link: str) -> tuple[str, str, str]:
    url = urlsplit(link)
    query = parse_qs(url.query)
    return url.path.rsplit("/", 1)[1], query["exp"][0], query["sig"][0]


def _form_token(client: TestClient, link: str) -> str:
    """Open the form with its own link: sets the CSRF cookie and returns the form token."""
    page = client.get(link)
    assert page.status_code == 200
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def _versions(portal: Portal, partner: str) -> int:
    request = portal.request(PROCESS, partner)
    with portal.database.sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(ReturnVersion)
            .where(ReturnVersion.contribution_request_id == request.id)
        ) or 0


def _assert_refused_by_the_link(portal: Portal, response: object, partner: str) -> None:
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert REFUSED in response.text  # type: ignore[attr-defined]  # not the CSRF page
    assert portal.request(PROCESS, partner).status == "open"
    assert _versions(portal, partner) == 0


def test_a_good_form_token_with_the_requests_own_link_is_accepted(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links[PROCESS, "police"]
    posted = client.post(
        link, data={**MEASURE, "csrf_token": _form_token(client, link)}, follow_redirects=False
    )
    assert posted.status_code == 303
    assert _versions(portal, "police") == 1


def test_a_good_form_token_with_an_expired_link_is_refused_from_its_expiry_instant(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links[PROCESS, "police"]
    _, exp, _ = _parts(link)
    csrf_token = _form_token(client, link)
    expiry = pendulum.from_timestamp(int(exp))
    with use_clock(FixedClock(expiry)):
        posted = client.post(link, data={**MEASURE, "csrf_token": csrf_token})
    _assert_refused_by_the_link(portal, posted, "police")
    # One second earlier the same POST is in time.
    with use_clock(FixedClock(expiry.subtract(seconds=1))):
        posted = client.post(
            link, data={**MEASURE, "csrf_token": csrf_token}, follow_redirects=False
        )
    assert posted.status_code == 303


def _tampered(portal: Portal) -> tuple[str, str]:
    token, exp, sig = _parts(portal.links[PROCESS, "police"])
    return "police", f"/r/{token}?exp={exp}&sig={sig[:-1]}{'0' if sig[-1] != '0' else '1'}"


def _pushed_later(portal: Portal) -> tuple[str, str]:
    token, exp, sig = _parts(portal.links[PROCESS, "police"])
    return "police", f"/r/{token}?exp={int(exp) + 1}&sig={sig}"


def _signed_past_expiry(portal: Portal) -> tuple[str, str]:
    token, _, _ = _parts(portal.links[PROCESS, "police"])
    past = int(DURING_CYCLE.now().subtract(days=1).timestamp())  # signed, a day ago
    return "police", links.link_path(token, past, SECRET)


def _other_partners(portal: Portal) -> tuple[str, str]:
    health_token, _, _ = _parts(portal.links[PROCESS, "pct"])
    _, police_exp, police_sig = _parts(portal.links[PROCESS, "police"])
    return "pct", f"/r/{health_token}?exp={police_exp}&sig={police_sig}"


def _without(part: str) -> Callable[[Portal], tuple[str, str]]:
    def link(portal: Portal) -> tuple[str, str]:
        token, exp, sig = _parts(portal.links[PROCESS, "police"])
        query = {"link": "", "exp": f"?sig={sig}", "sig": f"?exp={exp}"}[part]
        return "police", f"/r/{token}{query}"

    return link


WRONG_LINKS: dict[str, Callable[[Portal], tuple[str, str]]] = {
    "a tampered signature": _tampered,
    "the expiry pushed later": _pushed_later,
    "a correctly signed past expiry": _signed_past_expiry,
    "another partner's signature": _other_partners,
    "no link": _without("link"),
    "no expiry": _without("exp"),
    "no signature": _without("sig"),
}


@pytest.mark.parametrize("wrong", list(WRONG_LINKS))
def test_a_good_form_token_with_a_wrong_link_is_refused(
    wrong: str, portal: Portal, client: TestClient
) -> None:
    partner, path = WRONG_LINKS[wrong](portal)
    csrf_token = _form_token(client, portal.links[PROCESS, partner])
    posted = client.post(path, data={**MEASURE, "csrf_token": csrf_token})
    _assert_refused_by_the_link(portal, posted, partner)


def test_an_unreadable_body_on_a_signed_link_of_no_request_gets_the_same_403(
    client: TestClient, portal: Portal
) -> None:
    exp = int(links.config_cycle_end(portal.cfg).timestamp())
    fields = {f"f{i}": "x" for i in range(600)}  # over the parser's 500 fields
    posted = client.post(links.link_path("no-such-token", exp, SECRET), data=fields)
    assert posted.status_code == 403 and REFUSED in posted.text
