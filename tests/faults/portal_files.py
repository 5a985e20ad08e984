"""Hostile and heavy upload files for the portal's fault tests, built quickly and for real."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
    b'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
    b'r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
    b'org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def _parts(sheet: bytes) -> dict[str, bytes]:
    return {
        "[Content_Types].xml": _TYPES,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet,
    }


def workbook(sheet_xml: bytes) -> bytes:
    """A minimal .xlsx whose first sheet is `sheet_xml` (deflated as Excel does)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _parts(sheet_xml).items():
            archive.writestr(name, data)
    return out.getvalue()


def wide_row_workbook(cells: int) -> bytes:
    """A workbook within every ZIP limit whose one row holds `cells` cells: slow to parse."""
    row = b"".join(b'<c r="A1"><v>%d</v></c>' % i for i in range(cells))
    return workbook(SHEET_HEAD + b'<row r="1">' + row + b"</row>" + SHEET_TAIL)


def bomb_workbook(unpacked_mb: int) -> bytes:
    """A real decompression bomb: an .xlsx whose sheet unpacks to `unpacked_mb` MB of
    spaces from about 1 KB per MB. Built in milliseconds: one megabyte is deflated once,
    ending on a full flush (byte-aligned, history reset), so every megabyte's deflate
    bytes are the same and are repeated rather than recomputed."""
    mb = b" " * (1 << 20)
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = first.compress(SHEET_HEAD) + first.flush(zlib.Z_FULL_FLUSH)
    again = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = again.compress(mb) + again.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = last.compress(SHEET_TAIL) + last.flush(zlib.Z_FINISH)
    stream = head + segment * unpacked_mb + tail
    crc = zlib.crc32(SHEET_HEAD)
    for _ in range(unpacked_mb):
        crc = zlib.crc32(mb, crc)
    crc = zlib.crc32(SHEET_TAIL, crc)
    size = len(SHEET_HEAD) + unpacked_mb * len(mb) + len(SHEET_TAIL)
    stored = dict(_parts(b""))
    del stored["xl/worksheets/sheet1.xml"]
    return _zip(stored, ("xl/worksheets/sheet1.xml", stream, crc, size))


def _zip(plain: dict[str, bytes], deflated: tuple[str, bytes, int, int]) -> bytes:
    """A ZIP of `plain` members (stored) and one pre-deflated member, written by hand."""
    out, central = bytearray(), bytearray()
    members = [(n, d, zlib.crc32(d), len(d), 0) for n, d in plain.items()]
    members.append((*deflated[:1], deflated[1], deflated[2], deflated[3], 8))
    for name, data, crc, size, method in members:
        offset, encoded = len(out), name.encode()
        fields = (20, 0, method, 0, 0, crc, len(data), size, len(encoded), 0)
        out += b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields) + encoded + data
        central += (b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, *fields, 0, 0, 0, 0,
                                                  offset) + encoded)
    end = struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + b"PK\x05\x06" + end)
