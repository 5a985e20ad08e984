"""Portal security: signed per-request links, expiry, cross-partner isolation, CSRF."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.integration.portal_support import (
    BASE,
    CYPP_POLICE_OK,
    DURING_CYCLE,
    SECRET,
    Portal,
)
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing import links
from trustcycle.portal.client import submit_via_portal


def _parts(link: str) -> tuple[str, str, str]:
    url = urlsplit(link)
    query = parse_qs(url.query)
    return url.path.rsplit("/", 1)[1], query["exp"][0], query["sig"][0]


def test_a_valid_link_opens_the_request_page(portal: Portal, client: TestClient) -> None:
    page = client.get(portal.links["cypp_annual_review", "police"])
    assert page.status_code == 200
    assert "Ensure children and young people are safe" in page.text
    assert "Leicestershire Constabulary" in page.text


def test_a_tampered_signature_gets_403(portal: Portal, client: TestClient) -> None:
    link = portal.links["cypp_annual_review", "police"]
    token, exp, sig = _parts(link)
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    assert client.get(f"/r/{token}?exp={exp}&sig={flipped}").status_code == 403
    assert client.get(f"/r/{token}?exp={exp}").status_code == 403
    assert client.get(f"/r/{token}").status_code == 403


def test_a_link_with_its_expiry_pushed_later_gets_403(portal: Portal, client: TestClient) -> None:
    token, exp, sig = _parts(portal.links["cypp_annual_review", "police"])
    assert client.get(f"/r/{token}?exp={int(exp) + 86400}&sig={sig}").status_code == 403


def test_a_link_after_the_cycle_has_ended_gets_403(portal: Portal, client: TestClient) -> None:
    link = portal.links["cypp_annual_review", "police"]
    assert client.get(link).status_code == 200
    with use_clock(FixedClock.on(DURING_CYCLE.now().date().add(years=1))):
        assert client.get(link).status_code == 403


def test_links_expire_at_the_first_instant_of_the_next_cycle_year(portal: Portal) -> None:
    _, exp, _ = _parts(portal.links["cypp_annual_review", "police"])
    assert int(exp) == int(links.config_cycle_end(portal.cfg).timestamp())
    assert links.config_cycle_end(portal.cfg).to_iso8601_string() == "2011-04-01T00:00:00+01:00"


def test_an_expired_but_correctly_signed_link_gets_403(portal: Portal, client: TestClient) -> None:
    token = portal.tokens["cypp_annual_review", "police"]
    past = int(DURING_CYCLE.now().subtract(days=1).timestamp())
    assert client.get(links.link_path(token, past, SECRET)).status_code == 403


def test_one_partners_signature_does_not_open_another_partners_request(
    portal: Portal, client: TestClient
) -> None:
    _, exp, police_sig = _parts(portal.links["cypp_annual_review", "police"])
    health_token = portal.tokens["cypp_annual_review", "pct"]
    assert client.get(f"/r/{health_token}?exp={exp}&sig={police_sig}").status_code == 403
    posted = client.post(f"/r/{health_token}?exp={exp}&sig={police_sig}", data=CYPP_POLICE_OK)
    assert posted.status_code == 403
    assert portal.request("cypp_annual_review", "pct").status == "open"


def test_a_form_token_from_one_request_is_refused_on_another(
    portal: Portal, client: TestClient
) -> None:
    police = client.get(portal.links["child_poverty_strategy", "police"])
    token = police.text.split('name="csrf_token" value="')[1].split('"')[0]
    health_link = portal.links["child_poverty_strategy", "pct"]
    client.get(health_link)  # a cookie for the health request's own path
    posted = client.post(health_link, data={"csrf_token": token, "m-1-measure": "Forged"})
    assert posted.status_code == 403
    assert portal.request("child_poverty_strategy", "pct").status == "open"


def test_a_post_without_the_form_token_is_refused(portal: Portal, client: TestClient) -> None:
    link = portal.links["cypp_annual_review", "police"]
    client.get(link)
    assert client.post(link, data=CYPP_POLICE_OK).status_code == 403
    fresh = TestClient(portal.app, base_url=BASE)  # no cookie at all
    page = client.get(link)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert fresh.post(link, data={**CYPP_POLICE_OK, "csrf_token": token}).status_code == 403
    assert portal.request("cypp_annual_review", "police").status == "open"


def test_an_unknown_token_with_any_signature_gets_the_same_403(
    portal: Portal, client: TestClient
) -> None:
    exp = int(links.config_cycle_end(portal.cfg).timestamp())
    forged = links.link_path("no-such-token", exp, SECRET)
    assert client.get(forged).status_code == 403


def test_nothing_lists_requests(portal: Portal, client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert all(token not in home.text for token in portal.tokens.values())
    for path in ("/docs", "/redoc", "/openapi.json", "/r", "/r/", "/uploads"):
        assert client.get(path).status_code in (403, 404, 405)


def test_tokens_are_long_random_and_distinct(portal: Portal) -> None:
    tokens = list(portal.tokens.values())
    assert len(set(tokens)) == len(tokens)
    assert all(len(t) >= 32 for t in tokens)


def test_pages_tell_browsers_not_to_leak_or_cache_the_link(
    portal: Portal, client: TestClient
) -> None:
    page = client.get(portal.links["cypp_annual_review", "police"])
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_a_secret_shorter_than_32_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        links.secret_from_env({links.SECRET_ENV: "short"})
    assert links.secret_from_env({links.SECRET_ENV: "s" * 32}) == b"s" * 32


def test_the_in_process_submitter_reports_403_for_a_tampered_link(portal: Portal) -> None:
    link = portal.links["cypp_annual_review", "police"].replace("sig=", "sig=0")
    result = submit_via_portal(portal.app, link, CYPP_POLICE_OK)
    assert result.status == 403 and not result.ok
