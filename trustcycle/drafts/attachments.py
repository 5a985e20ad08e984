"""Documents that came with the returns: files sent through the portal beside a form
(`files`), and returns that are a file themselves (`filename`, `bytes`). A paper lists
each one, so nothing a partner sent goes unmentioned."""

from __future__ import annotations

from trustcycle.config.loader import TrustConfig
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.document import Section, table
from trustcycle.drafts.inputs import ReturnRecord

HEADERS = ["Partner", "Document", "Type", "Size", "sha256"]


def _size(value: object) -> str:
    number = pl.number(value)
    return f"{number:,.0f} bytes" if number is not None else ""


def documents(rec: ReturnRecord) -> list[tuple[str, str, str, str]]:
    """(name, type, size, sha256 prefix) of every document in a received return."""
    if not rec.received:
        return []
    out = [(pl.text(f, "original_name", "stored_as") or "Unnamed document", pl.text(f, "type"),
            _size(f.get("size")), pl.text(f, "sha256")[:12])
           for f in pl.rows(rec.payload, "files")]
    if pl.text(rec.payload, "filename"):
        name = pl.text(rec.payload, "filename")
        kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        out.append((name, kind, _size((rec.payload or {}).get("bytes")),
                    (rec.sha256 or "")[:12]))
    return out


def described(rec: ReturnRecord) -> list[str]:
    """Each document of a return in words."""
    return [f"{name} ({', '.join(x for x in (kind, size) if x)})" if kind or size else name
            for name, kind, size, _ in documents(rec)]


def section(cfg: TrustConfig, records: list[ReturnRecord]) -> tuple[Section, ...]:
    """A section listing every document sent with the returns; none when there are none."""
    rows: list[list[object]] = []
    for rec in records:
        partner = cfg.partners[rec.partner].name if rec.partner in cfg.partners else rec.partner
        rows += [[partner, *doc] for doc in documents(rec)]
    if not rows:
        return ()
    return (Section("Documents sent with the returns", (table(HEADERS, rows),)),)
