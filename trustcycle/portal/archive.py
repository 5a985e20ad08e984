"""Limits on an uploaded ZIP (.xlsx, .docx), read from its central directory alone.

A decompression bomb is a small file whose members unpack to gigabytes; an Office file is
a ZIP, so openpyxl or python-docx would unpack whatever it declares. Before any member is
inflated, the end-of-central-directory record bounds how many members there are, then the
central directory bounds what they unpack to, in total and per member (the ratio). Trap:
zipfile never inflates a member past the size the central directory declares (it stops
and fails the CRC), so checking the declared sizes bounds the real work.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass

MAX_MEMBERS = 1_000  # an .xlsx holds 10-30, a .docx with pictures a few hundred
MAX_UNPACKED = 50 * 1024 * 1024  # all members together
# Apache POI's ZipSecureFile default (MIN_INFLATE_RATIO 0.01): text XML deflates 5-20x, a
# bomb 1,000x. Small members are exempt: a near-empty part may shrink to a few bytes.
MAX_RATIO = 100
_RATIO_FROM = 100 * 1024
_EOCD = b"PK\x05\x06"
_EOCD64 = b"PK\x06\x06"
_CENTRAL_ENTRY_MAX = 1024  # bytes a central directory entry may take (name, extras)


class ZipRefused(ValueError):
    """A ZIP over a limit, or not a readable ZIP; the message is for the uploader."""


@dataclass(frozen=True)
class ZipSummary:
    """What the central directory says: member names and their total unpacked size."""

    names: frozenset[str]
    unpacked: int


def _declared(data: bytes) -> tuple[int, int]:
    """(member count, central directory size) from the end-of-central-directory record."""
    tail_start = max(0, len(data) - (22 + 65_535))
    at = data.rfind(_EOCD, tail_start)
    if at < 0 or at + 22 > len(data):
        raise ZipRefused("is not a readable ZIP file (no central directory)")
    count, size = struct.unpack_from("<HI", data, at + 10)
    if count == 0xFFFF or size == 0xFFFFFFFF:  # ZIP64: the real figures are further back
        at64 = data.rfind(_EOCD64, 0, at)
        if at64 < 0 or at64 + 56 > len(data):
            raise ZipRefused("is not a readable ZIP file (no ZIP64 directory)")
        count, size = struct.unpack_from("<QQ", data, at64 + 32)
    return count, size


def inspect(data: bytes, max_unpacked: int = MAX_UNPACKED) -> ZipSummary:
    """The ZIP's members, or `ZipRefused` naming the limit broken; inflates nothing."""
    count, size = _declared(data)
    if count > MAX_MEMBERS or size > MAX_MEMBERS * _CENTRAL_ENTRY_MAX:
        raise ZipRefused(f"holds more than {MAX_MEMBERS:,} files")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ZipRefused("is not a readable ZIP file") from exc
    if len(members) > MAX_MEMBERS:
        raise ZipRefused(f"holds more than {MAX_MEMBERS:,} files")
    unpacked = sum(m.file_size for m in members)
    if unpacked > max_unpacked:
        raise ZipRefused(
            f"unpacks to more than {max_unpacked // (1024 * 1024)} MB "
            f"({unpacked / (1024 * 1024):,.0f} MB)"
        )
    for m in members:
        if m.file_size > _RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise ZipRefused(
                f"has a part that unpacks {m.file_size // max(m.compress_size, 1):,} times "
                f"larger than it is stored (at most {MAX_RATIO})"
            )
    return ZipSummary(frozenset(m.filename for m in members), unpacked)
