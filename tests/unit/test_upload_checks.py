"""Upload checks at their edges (issue 16, mutation survivors): what counts as a CSV, the
size limit's own byte, a refused ZIP as 413, and the wording of the allowed types."""

from __future__ import annotations

import io
import zipfile

import pytest

from trustcycle.portal import uploads

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"indicator,value\nA,1\n", "csv"),
        (b"indicator,value\nA\n", "csv"),  # the first row decides the columns
        (b"", None),
        (b" \r\n\t\n", None),  # blank
        (b"indicator,value\nA,\x001\n", None),  # a NUL anywhere
        (b"indicator,value\nA,\x1f1\n", None),  # a control character (unit separator)
        (b"indicator,value\nA,\t1\n", "csv"),  # a tab is text
        (b"indicator\nA\n", None),  # one column is not a table
    ],
)
def test_what_counts_as_a_csv(data: bytes, kind: str | None) -> None:
    assert uploads.sniff(data) == kind


def test_control_characters_are_looked_for_in_the_first_4096_characters_only() -> None:
    head = b"indicator,value\n"
    filler = b"x" * (4095 - len(head))
    assert uploads.sniff(head + filler + b"\x1f,1\n") is None  # the 4096th character
    assert uploads.sniff(head + filler + b"y\x1f,1\n") == "csv"  # the 4097th


def test_a_nul_anywhere_is_not_a_csv_even_past_the_first_4096_characters() -> None:
    assert uploads.sniff(b"indicator,value\n" + b"x" * 5000 + b",\x001\n") is None


def test_a_file_of_exactly_the_limit_is_taken_and_one_byte_more_is_not() -> None:
    limit = 1024 * 1024
    exact = PDF + b"%" * (limit - len(PDF))
    assert uploads.check(exact, uploads.ALLOWED, limit, "document") == "pdf"
    with pytest.raises(uploads.UploadRejected) as info:
        uploads.check(exact + b"%", uploads.ALLOWED, limit, "document")
    assert (info.value.status, info.value.message) == (
        413,
        "The document must be smaller than 1 MB",
    )


def test_a_zip_with_too_many_files_is_413_before_it_is_unpacked() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(1001):
            archive.writestr(f"m{n}.txt", b"")
    with pytest.raises(uploads.UploadRejected) as info:
        uploads.check(buffer.getvalue(), uploads.ALLOWED, 10 * 1024 * 1024, "document")
    assert (info.value.status, info.value.message) == (
        413,
        "The document holds more than 1,000 files",
    )


@pytest.mark.parametrize(
    ("allowed", "wanted"),
    [
        (("pdf",), "a PDF file"),
        (("csv", "xlsx"), "a CSV or Excel (.xlsx) file"),
        (uploads.ALLOWED, "a PDF, Word (.docx), Excel (.xlsx) or CSV file"),
    ],
)
def test_a_refusal_names_the_allowed_types_in_words(allowed: tuple[str, ...], wanted: str) -> None:
    with pytest.raises(uploads.UploadRejected) as info:
        uploads.check(PNG, allowed, 1024 * 1024, "document")
    assert (info.value.status, info.value.message) == (
        415,
        f"The document must be {wanted}; this one is a PNG image",
    )


def test_a_csv_with_a_field_over_the_csv_modules_limit_is_refused_not_a_crash() -> None:
    from trustcycle.portal import uploads

    huge = b"indicator,value\n" + b'"' + b"x" * 140_000 + b'",1\n'
    assert uploads._looks_like_csv(huge) is False
