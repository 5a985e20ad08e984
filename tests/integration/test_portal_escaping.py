"""Whatever a partner types is shown as text: HTML and template syntax are escaped everywhere."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.portal_support import Portal
from trustcycle.portal.client import submit_via_portal

SCRIPT = '<script>alert("x")</script>'
TEMPLATE = "{{ 'pw' ~ 'ned' }} {% if true %}yes{% endif %} ${7*7}"
HOSTILE = f"{SCRIPT} {TEMPLATE} \"quoted\" 'single' & more"


def _assert_escaped(html: str) -> None:
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "{{ &#39;pw&#39; ~ &#39;ned&#39; }}" in html
    assert "{% if true %}yes{% endif %}" in html
    assert "pwned" not in html




def test_hostile_text_is_escaped_when_a_form_is_shown_again_with_errors(
    portal: Portal, client: TestClient
) -> None:
    result = submit_via_portal(
        client,
        portal.links["cypp_annual_review", "police"],
        {"p-p04_safe-narrative": HOSTILE, "p-p04_safe-value": HOSTILE},
    )
    assert result.status == 422
    _assert_escaped(result.html)


def test_hostile_text_is_escaped_on_the_thank_you_page_and_in_what_was_sent_before(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links["cypp_annual_review", "police"]
    result = submit_via_portal(
        client,
        link,
        {
            "p-p04_safe-rag": "red",
            "p-p04_safe-value": "3",
            "p-p04_safe-narrative": HOSTILE,
            "p-p04_safe-risks": HOSTILE,
            "notes": HOSTILE,
        },
    )
    assert result.ok
    _assert_escaped(result.html)
    _assert_escaped(client.get(link).text)


def test_hostile_indicator_names_and_file_names_are_escaped(
    portal: Portal, client: TestClient
) -> None:
    csv = (
        f'indicator,period,source,value,comparator\n"{SCRIPT} {TEMPLATE}",2009,"{SCRIPT}",1,2\n'
    ).encode()
    result = submit_via_portal(
        client,
        portal.links["joint_needs_analysis", "police"],
        {"commentary": HOSTILE},
        {"indicators": (f"{SCRIPT}.csv", csv)},
    )
    assert result.ok, result.html
    _assert_escaped(result.html)
    _assert_escaped(client.get(portal.links["joint_needs_analysis", "police"]).text)


def test_hostile_measures_are_escaped_in_the_prefilled_form(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links["child_poverty_strategy", "police"]
    result = submit_via_portal(client, link, {"m-1-measure": HOSTILE, "m-1-lead": HOSTILE})
    assert result.ok
    page = client.get(link).text
    _assert_escaped(page)
    assert 'value="&lt;script&gt;' in page  # inside an attribute, quotes escaped too
