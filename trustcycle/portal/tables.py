"""Reading a partner's table (CSV or the first sheet of an .xlsx) as rows of text.

Pure and in-process; the portal runs `read_table` in a bounded worker process
(`trustcycle.portal.table_worker`) so a hostile workbook costs the web server nothing.
Every refusal is a `TableError` whose message completes "The indicators file ...".
"""

from __future__ import annotations

import csv
import io
import itertools

from trustcycle.portal import archive

MAX_COLUMNS = 50
# A 5,000-row sheet of indicators unpacks to 2 MB and parses in under a second; a wide
# row can cost openpyxl ~30 bytes of memory and ~0.5 us per byte of sheet, so a workbook
# to read is held tighter than a document merely stored.
MAX_UNPACKED = 16 * 1024 * 1024
_SAVE_AS = 'in Excel choose Save As, then "CSV UTF-8"'


class TableError(ValueError):
    """A table that cannot be read; the message says why, for the partner."""


def decode_text(data: bytes) -> str:
    """Text in UTF-8 (with or without a byte-order mark) or Windows-1252, the encoding of
    Excel's plain "CSV" on Windows; anything else is a `TableError` saying what to do."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(f"is in UTF-16: {_SAVE_AS}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D mean neither
        raise TableError(
            f"is neither UTF-8 nor Windows-1252 (byte {exc.start + 1}): {_SAVE_AS}"
        ) from None


def read_table(data: bytes, max_rows: int) -> list[list[str]]:
    """The first `max_rows` rows of a CSV, or of an .xlsx file's first sheet, as text."""
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_rows)
    try:
        rows = csv.reader(io.StringIO(decode_text(data)))
        return list(itertools.islice(rows, max_rows))
    except csv.Error as exc:
        raise TableError(f"is not a readable CSV file ({exc})") from None


def _read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    try:
        archive.inspect(data, MAX_UNPACKED)  # before openpyxl inflates anything
    except archive.ZipRefused as exc:
        raise TableError(str(exc)) from None
    import openpyxl  # loaded here: only a process that reads workbooks pays for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception:  # openpyxl raises many types for a corrupt workbook
        raise TableError("is not a readable Excel file") from None
    try:
        rows = book.worksheets[0].iter_rows(
            values_only=True, max_row=max_rows, max_col=MAX_COLUMNS
        )
        return [_trimmed(["" if c is None else str(c) for c in row]) for row in rows]
    except MemoryError:
        raise
    except Exception:
        raise TableError("is not a readable Excel file") from None
    finally:
        book.close()


def _trimmed(cells: list[str]) -> list[str]:
    """A row without the empty cells openpyxl pads it with up to `max_col`."""
    while cells and not cells[-1]:
        cells.pop()
    return cells
