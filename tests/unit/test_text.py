"""The one header-safe rule for single-line text (pure)."""

from __future__ import annotations

import pytest

from trustcycle.mail.message import HeaderInjectionError, check_header
from trustcycle.text import MAX_LINE, UnsafeText, check_line, line_fault, sanitise_line

UNSAFE = {
    "\r": "a carriage return (CR)",
    "\n": "a line feed (LF)",
    "\x0b": "a vertical tab (VT)",
    "\x0c": "a form feed (FF)",
    "\x00": "a NUL character",
    "\x85": "a next-line character (NEL, U+0085)",
    "\u2028": "a line separator (U+2028)",
    "\u2029": "a paragraph separator (U+2029)",
    "\x1b": "a control character (U+001B)",
    "\x7f": "a control character (U+007F)",
    "\x9b": "a control character (U+009B)",
}


@pytest.mark.parametrize("char", sorted(UNSAFE))
def test_every_line_break_and_control_is_refused_by_name_and_position(char: str) -> None:
    assert line_fault(f"Leics{char}Police") == f"contains {UNSAFE[char]} at character 6"
    with pytest.raises(UnsafeText, match="must be a single line of text"):
        check_line(f"Leics{char}Police")


@pytest.mark.parametrize("char", sorted(UNSAFE))
def test_the_mail_header_check_refuses_exactly_what_the_door_refuses(char: str) -> None:
    with pytest.raises(HeaderInjectionError):
        check_header("Subject", f"Return{char}Bcc: all@evil.example")


@pytest.mark.parametrize(
    "value", ["Leicestershire Constabulary", "Réunion – CYPP", "tab\tinside", "Ōtautahi 😀", ""]
)
def test_ordinary_text_and_tabs_pass_both_checks(value: str) -> None:
    assert line_fault(value) is None
    assert check_header("Subject", value) == value


def test_a_line_is_bounded_in_length_but_a_header_check_is_not() -> None:
    assert line_fault("x" * MAX_LINE) is None
    assert line_fault("x" * (MAX_LINE + 1)) == f"is {MAX_LINE + 1} characters long (at most 300)"
    assert check_header("Subject", "x" * 900) == "x" * 900


def test_sanitising_flattens_controls_and_cuts_long_text_with_an_ellipsis() -> None:
    assert sanitise_line("a\r\nBcc: x\u2028y\x00 z\t\tw") == "a Bcc: x y z w"
    cut = sanitise_line("word " * 100, max_length=20)
    assert cut == "word word word word…" and len(cut) <= 20
    assert line_fault(sanitise_line("\x85" * 5 + "ok" + "\u2029")) is None
