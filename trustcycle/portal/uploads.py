"""Uploaded documents: type decided by content (magic bytes), stored durably under a new name.

A ZIP-based document (.docx, .xlsx) is held to the limits of `trustcycle.portal.archive`
(members, unpacked size, ratio) before anything inflates it; a CSV may be UTF-8 (with or
without a byte-order mark) or Windows-1252 (`trustcycle.portal.tables.decode_text`).

Files go to the portal's upload directory, which no route serves; the stored name is
random and the partner's own file name is kept only as data. A file is written to a
temporary name, fsynced, then renamed, so a crash never leaves half a file under a name
the database refers to.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from trustcycle.portal import archive
from trustcycle.portal.tables import TableError, decode_text

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ALLOWED = ("pdf", "docx", "xlsx", "csv")
LABELS = {"pdf": "PDF", "docx": "Word (.docx)", "xlsx": "Excel (.xlsx)", "csv": "CSV"}
_ZIP_MEMBER = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx"}
_OTHER_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old-style Office file (.doc/.xls)",
    b"MZ": "a Windows program",
    b"\x7fELF": "a program",
    b"{\\rtf": "an RTF file",
}


class UploadRejected(Exception):
    """An upload the portal refuses; `status` is 413 (too large) or 415 (wrong type)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class StoredFile:
    """A document kept under the upload directory."""

    path: Path
    original_name: str
    kind: str
    size: int
    sha256: str

    def as_payload(self) -> dict[str, str | int]:
        """The JSON-able record of this file for a return's payload."""
        return {
            "stored_as": self.path.name,
            "original_name": self.original_name,
            "type": self.kind,
            "size": self.size,
            "sha256": self.sha256,
        }


def sniff(data: bytes) -> str | None:
    """The document type by content: pdf, docx, xlsx, csv, or None if none of those.

    A ZIP over the limits of `archive.inspect` raises `archive.ZipRefused`."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        names = archive.inspect(data).names
        return next((kind for member, kind in _ZIP_MEMBER.items() if member in names), None)
    return "csv" if _looks_like_csv(data) else None


def _looks_like_csv(data: bytes) -> bool:
    if not data.strip() or b"\x00" in data:
        return False
    try:
        text = decode_text(data)
    except TableError:
        return False
    if any(ord(c) < 32 and c not in "\r\n\t" for c in text[:4096]):
        return False
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if r]
    except csv.Error:  # a field over the csv module's limit (131,072 characters): not a table
        return False
    return bool(rows) and len(rows[0]) >= 2


def describe(data: bytes) -> str:
    """A plain-English guess at what a refused file is, for the error message."""
    for magic, label in _OTHER_MAGIC.items():
        if data.startswith(magic):
            return label
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP archive that is not a .docx or .xlsx"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in data[:4096]:
        try:
            decode_text(data)
        except TableError as exc:
            return f"a text file that cannot be read: it {exc}"
    return "not a PDF, Word, Excel or CSV file"


def check(data: bytes, allowed: tuple[str, ...], max_bytes: int, what: str) -> str:
    """The sniffed type of an upload, or `UploadRejected` (413 too large, 415 wrong type)."""
    if len(data) > max_bytes:
        raise UploadRejected(
            413, f"The {what} must be smaller than {max_bytes // (1024 * 1024)} MB"
        )
    try:
        kind = sniff(data)
    except archive.ZipRefused as exc:
        raise UploadRejected(413, f"The {what} {exc}") from None
    if kind not in allowed:
        labels = [LABELS[k] for k in allowed]
        # mutant: equivalent (`> 2`): two labels read "A or B" either way.
        wanted = " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)
        raise UploadRejected(
            415, f"The {what} must be a {wanted} file; this one is {describe(data)}"
        )
    return kind


def store(upload_dir: Path, data: bytes, kind: str, original_name: str) -> StoredFile:
    """Write an upload durably under a random name and return where it is."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    final = upload_dir / f"{secrets.token_hex(16)}.{kind}"
    temp = final.with_name(final.name + ".part")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, final)
    dir_fd = os.open(upload_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    safe_name = Path(original_name.replace("\\", "/")).name[:200] or "upload"
    digest = hashlib.sha256(data).hexdigest()
    return StoredFile(final, safe_name, kind, len(data), digest)
