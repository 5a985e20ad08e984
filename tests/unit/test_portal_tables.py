"""Uploads at the door (pure): ZIP limits from the central directory, CSV encodings, and
the one spelling of a link's expiry."""

from __future__ import annotations

import io
import zipfile

import pendulum
import pytest

from tests.faults.portal_files import bomb_workbook, workbook
from trustcycle.chasing import links
from trustcycle.portal import archive, tables, uploads

CSV_1252 = "indicator,period,source,value,comparator\nPupils’ attainment – £ spent,2009,DfE,5,6\n"
SECRET = b"unit-test-secret-0123456789abcdefghijk"
NOW = pendulum.datetime(2010, 6, 1, 9, tz="Europe/London")
LATER = int(NOW.add(days=30).timestamp())


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive_file:
        for name, data in members.items():
            archive_file.writestr(name, data)
    return out.getvalue()


def test_a_bomb_is_refused_from_its_central_directory_naming_its_unpacked_size() -> None:
    with pytest.raises(archive.ZipRefused, match=r"^unpacks to more than 50 MB \(1,024 MB\)$"):
        archive.inspect(bomb_workbook(1024))


def test_a_member_that_unpacks_over_100_times_its_stored_size_is_refused() -> None:
    packed = _zip({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": b" " * 2_000_000})
    with pytest.raises(archive.ZipRefused, match=r"^has a part that unpacks 1,023 times larger"):
        archive.inspect(packed)


def test_more_than_a_thousand_members_are_refused_before_the_directory_is_read() -> None:
    many = _zip({f"part{i}.xml": b"" for i in range(1001)}, zipfile.ZIP_STORED)
    with pytest.raises(archive.ZipRefused, match="holds more than 1,000 files"):
        archive.inspect(many)


def test_an_ordinary_workbook_passes_and_names_its_parts() -> None:
    summary = archive.inspect(workbook(b"<worksheet/>"))
    assert "xl/workbook.xml" in summary.names and summary.unpacked > 0


@pytest.mark.parametrize("data", [b"PK\x03\x04 truncated", b"PK\x03\x04" + b"\x00" * 40])
def test_a_broken_zip_is_refused_not_raised(data: bytes) -> None:
    with pytest.raises(archive.ZipRefused, match="not a readable ZIP file"):
        archive.inspect(data)


def test_a_workbook_to_read_is_held_to_a_tighter_unpacked_limit() -> None:
    sheet = b"<worksheet><sheetData>" + b"<row/>" * 3_000_000 + b"</sheetData></worksheet>"
    with pytest.raises(tables.TableError, match="unpacks to more than 16 MB"):
        tables.read_table(workbook(sheet), 10)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (CSV_1252.encode("utf-8"), CSV_1252),
        (b"\xef\xbb\xbf" + CSV_1252.encode("utf-8"), CSV_1252),
        (CSV_1252.encode("cp1252"), CSV_1252),
    ],
    ids=["utf-8", "utf-8 with BOM", "windows-1252"],
)
def test_csv_is_read_as_utf8_with_or_without_bom_or_as_windows_1252(data: bytes, text: str) -> None:
    assert tables.decode_text(data) == text
    assert tables.read_table(data, 10)[1][0] == "Pupils’ attainment – £ spent"
    assert uploads.sniff(data) == "csv"


def test_utf16_and_undecodable_text_get_a_clear_error_saying_what_to_do() -> None:
    with pytest.raises(tables.TableError, match=r'^is in UTF-16: in Excel choose Save As, then'):
        tables.decode_text(CSV_1252.encode("utf-16"))
    with pytest.raises(tables.TableError, match=r"^is neither UTF-8 nor Windows-1252 \(byte 3\)"):
        tables.decode_text(b"ab\x81,c\n")
    assert uploads.describe(CSV_1252.encode("utf-16")).startswith(
        "a text file that cannot be read: it is in UTF-16"
    )


def test_a_bomb_offered_as_a_document_is_refused_with_413() -> None:
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.check(bomb_workbook(256), uploads.ALLOWED, 10 * 1024 * 1024, "document")
    assert refused.value.status == 413
    assert refused.value.message == "The document unpacks to more than 50 MB (256 MB)"


@pytest.mark.parametrize(
    "exp",
    [f"0{LATER}", f"00{LATER}", f"+{LATER}", f" {LATER}", f"{LATER}\n",
     str(LATER).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))],
    ids=["leading zero", "two zeros", "plus", "space", "newline", "arabic-indic digits"],
)
def test_a_link_expiry_respelled_is_refused(exp: str) -> None:
    sig = links.sign("tok", LATER, SECRET)
    links.verify("tok", str(LATER), sig, SECRET, NOW)  # the one spelling
    assert int(exp) == LATER
    with pytest.raises(links.LinkError, match="malformed"):
        links.verify("tok", exp, sig, SECRET, NOW)


def test_a_signature_in_capitals_or_with_extra_characters_is_refused() -> None:
    sig = links.sign("tok", LATER, SECRET)
    for other in (sig.upper(), sig + "0", sig[:-1]):
        with pytest.raises(links.LinkError):
            links.verify("tok", str(LATER), other, SECRET, NOW)
