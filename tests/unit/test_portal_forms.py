"""The portal's pure rules: link signatures, content sniffing, and form validation."""

from __future__ import annotations

import io
import zipfile

import pendulum
import pytest

from trustcycle.chasing import links
from trustcycle.portal import forms, uploads

SECRET = b"unit-test-secret-0123456789abcdefghijk"
NOW = pendulum.datetime(2010, 6, 1, 9, tz="Europe/London")
LATER = int(NOW.add(days=30).timestamp())


def test_a_link_verifies_with_its_own_signature_until_it_expires() -> None:
    sig = links.sign("tok", LATER, SECRET)
    links.verify("tok", str(LATER), sig, SECRET, NOW)
    with pytest.raises(links.LinkError, match="expired"):
        links.verify("tok", str(LATER), sig, SECRET, NOW.add(days=31))


@pytest.mark.parametrize(
    ("token", "exp", "sig"),
    [
        ("other", str(LATER), links.sign("tok", LATER, SECRET)),
        ("tok", str(LATER + 1), links.sign("tok", LATER, SECRET)),
        ("tok", str(LATER), links.sign("tok", LATER, b"another-secret-0123456789abcdefghijk")),
        ("tok", "soon", "00"),
        ("tok", None, None),
    ],
)
def test_a_link_with_anything_changed_is_refused(
    token: str, exp: str | None, sig: str | None
) -> None:
    with pytest.raises(links.LinkError):
        links.verify(token, exp, sig, SECRET, NOW)


def test_link_and_csrf_keys_differ_so_one_signature_cannot_stand_for_the_other() -> None:
    assert links.derive_key(SECRET, "link") != links.derive_key(SECRET, "csrf")


def _zip(member: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(member, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (_zip("word/document.xml"), "docx"),
        (_zip("xl/workbook.xml"), "xlsx"),
        (b"indicator,value\nx,1\n", "csv"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None),
        (_zip("other.txt"), None),
        (b"just one line of words", None),
        (b"MZ\x90\x00binary", None),
    ],
)
def test_documents_are_typed_by_their_content(data: bytes, kind: str | None) -> None:
    assert uploads.sniff(data) == kind


def test_an_upload_over_the_limit_is_refused_with_413() -> None:
    with pytest.raises(uploads.UploadRejected) as caught:
        uploads.check(b"%PDF-" + b"0" * 100, uploads.ALLOWED, 50, "document")
    assert caught.value.status == 413


def test_indicator_rows_report_each_problem_by_row_and_column() -> None:
    table = [
        ["Indicator", "Period", "Source", "Value", "Comparator"],
        ["NEET (%)", "2009", "Connexions", "4.9", "6.1"],
        ["", "2009", "DWP", "x", "1,000"],
        ["", "", "", "", ""],
    ]
    rows, errors = forms.indicator_rows(table)
    assert errors == [
        "Row 3, column indicator: is empty",
        "Row 3, column value: 'x' is not a number",
    ]
    assert rows[0]["value"] == 4.9 and rows[1]["comparator"] == 1000.0


def test_a_cypp_return_needs_a_rating_a_value_and_a_narrative_per_priority() -> None:
    ask = forms.Ask("cypp_annual_review", [forms.PriorityAsk("p1", "Safe", "Rate", 20.0)])
    _, errors = forms.validate(ask, {"p-p1-value": "twenty"}, {})
    assert [e.field for e in errors] == ["p-p1-rag", "p-p1-value", "p-p1-narrative"]
    payload, errors = forms.validate(
        ask, {"p-p1-rag": "green", "p-p1-value": "19%", "p-p1-narrative": "Good"}, {}
    )
    assert errors == [] and payload["priorities"][0]["value"] == 19.0


def test_a_confirmed_seat_keeps_the_recorded_people() -> None:
    seat = forms.Seat("board", "Trust Board", "A. Person", "a@x.example", "Director")
    payload, errors = forms.validate(
        forms.Ask("membership_review", seats=[seat]), {"seat-board-1-action": "confirm"}, {}
    )
    assert errors == []
    assert payload["seats"][0]["representative"]["email"] == "a@x.example"


def test_a_header_injection_attempt_in_a_name_is_refused() -> None:
    seat = forms.Seat("board", "Trust Board", "A. Person", "a@x.example", "Director")
    _, errors = forms.validate(
        forms.Ask("membership_review", seats=[seat]),
        {
            "seat-board-1-action": "change",
            "seat-board-1-name": "Eve\r\nBcc: all@x.example",
            "seat-board-1-role": "Director",
            "seat-board-1-email": "eve@x.example",
        },
        {},
    )
    assert [e.field for e in errors] == ["seat-board-1-name"]


def test_the_latest_version_prefills_the_form() -> None:
    ask = forms.Ask("child_poverty_strategy")
    payload, _ = forms.validate(ask, {"m-1-measure": "Debt advice", "m-1-by": "2011"}, {})
    assert forms.initial_values(ask, payload)["m-1-measure"] == "Debt advice"
