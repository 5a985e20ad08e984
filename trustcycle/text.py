"""One rule for text that may reach a mail header: a single line with no control characters.

The configuration schema (names, titles, roles), the portal's single-line fields and the
mail code's header check all call `line_fault`, so a value accepted at the door can never
be refused when the mail is built. Trap: a header field ends at CRLF (RFC 5322 s2.2), but
MTAs and mail clients also break lines at a bare CR or LF, VT, FF, NEL (U+0085), U+2028 and
U+2029, and some cut a value at NUL; so every C0 and C1 control, DEL and the two Unicode
separators are refused, not just CR and LF. The tab is the one control kept: it is folding
white space inside a header (RFC 5322 s2.2.3, WSP), never a line break, and partners paste
it from spreadsheets.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# Long enough for any name, role or title seen in a council's papers; short enough that a
# subject built from two of them stays far below RFC 5322's 998 characters a line.
MAX_LINE = 300

_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMES = {
    "\x00": "a NUL character",
    "\n": "a line feed (LF)",
    "\x0b": "a vertical tab (VT)",
    "\x0c": "a form feed (FF)",
    "\r": "a carriage return (CR)",
    "\x85": "a next-line character (NEL, U+0085)",
    "\u2028": "a line separator (U+2028)",
    "\u2029": "a paragraph separator (U+2029)",
}


class UnsafeText(ValueError):
    """Text refused for a single-line field or a mail header."""


def describe_char(char: str) -> str:
    """A control character named for an error message (never the character itself)."""
    return _NAMES.get(char) or f"a control character (U+{ord(char):04X})"


def line_fault(value: str, max_length: int | None = MAX_LINE) -> str | None:
    """Why `value` is not a safe single line, or None when it is.

    The reason is a phrase such as "contains a line feed (LF) at character 4"; it never
    repeats the character itself, so an error message stays on one line."""
    found = _UNSAFE.search(value)
    if found:
        return f"contains {describe_char(found.group())} at character {found.start() + 1}"
    if max_length is not None and len(value) > max_length:
        return f"is {len(value)} characters long (at most {max_length})"
    return None


def check_line(value: str, max_length: int | None = MAX_LINE) -> str:
    """`value` unchanged if it is a safe single line, else `UnsafeText` saying why."""
    fault = line_fault(value, max_length)
    if fault is not None:
        raise UnsafeText(f"must be a single line of text: it {fault}")
    return value


def sanitise_line(value: str, max_length: int = MAX_LINE) -> str:
    """Untrusted text made safe to quote in a header: every control character becomes a
    space, runs of spaces shrink to one, and a long value is cut with an ellipsis."""
    flat = " ".join(_UNSAFE.sub(" ", value).split())
    return flat if len(flat) <= max_length else flat[: max_length - 1].rstrip() + "…"


def single_line(value: str) -> str:
    """A configured name, title or role: a safe, non-blank line, trimmed (pydantic validator)."""
    check_line(value)
    if not value.strip():
        raise UnsafeText("must not be blank")
    return value.strip()


# The pydantic type of a configured name, title or role: one safe, non-blank, bounded line.
SingleLine = Annotated[str, AfterValidator(single_line)]
