"""`links.verify` and `csrf.is_valid` at their edges: the instant of expiry, one character off."""

from __future__ import annotations

import pendulum
import pytest

from trustcycle.chasing import links
from trustcycle.portal import csrf

SECRET = b"unit-tests-secret-0123456789abcdefghijkl"
TOKEN = "t" * 43
# 1 April 2011 00:00 Europe/London (BST) = 2011-03-31T23:00:00Z: Rutland's cycle end.
EXP = 1301612400


def _at(timestamp: int) -> pendulum.DateTime:
    return pendulum.from_timestamp(timestamp, tz="Europe/London")


def test_the_cycle_end_used_here_is_the_first_instant_of_april_2011_in_london() -> None:
    assert _at(EXP).to_iso8601_string() == "2011-04-01T00:00:00+01:00"


def test_a_link_is_good_one_second_before_its_expiry() -> None:
    links.verify(TOKEN, str(EXP), links.sign(TOKEN, EXP, SECRET), SECRET, _at(EXP - 1))


def test_a_link_is_refused_from_the_instant_of_its_expiry() -> None:
    sig = links.sign(TOKEN, EXP, SECRET)
    for now in (EXP, EXP + 1):
        with pytest.raises(links.LinkError, match="^link expired$"):
            links.verify(TOKEN, str(EXP), sig, SECRET, _at(now))


@pytest.mark.parametrize(
    ("token", "exp", "sig", "reason"),
    [
        (TOKEN + "x", str(EXP), None, "bad signature"),  # another token, this signature
        (TOKEN, str(EXP + 1), None, "bad signature"),  # the expiry pushed later
        (TOKEN, None, None, "malformed link"),
        (TOKEN, str(EXP), "", "malformed link"),
        (TOKEN, str(EXP), "0" * 63, "malformed link|bad signature"),  # one hex digit short
        ("t" * 65, str(EXP), None, "malformed link"),
    ],
)
def test_a_link_changed_in_any_part_is_refused(
    token: str, exp: str | None, sig: str | None, reason: str
) -> None:
    good = links.sign(TOKEN, EXP, SECRET)
    with pytest.raises(links.LinkError, match=f"^({reason})$"):
        links.verify(token, exp, good if sig is None else sig, SECRET, _at(EXP - 86400))


def test_a_token_of_64_characters_is_still_a_token() -> None:
    token = "t" * 64
    links.verify(token, str(EXP), links.sign(token, EXP, SECRET), SECRET, _at(EXP - 1))


def test_a_link_signed_with_another_secret_is_refused() -> None:
    other = links.sign(TOKEN, EXP, b"another-secret-0123456789abcdefghijklmn")
    with pytest.raises(links.LinkError, match="^bad signature$"):
        links.verify(TOKEN, str(EXP), other, SECRET, _at(EXP - 1))


def test_a_link_signature_is_not_a_form_token_and_the_reverse() -> None:
    assert links.sign(TOKEN, EXP, SECRET) != csrf.form_token(SECRET, TOKEN, str(EXP))
    assert links.derive_key(SECRET, "link") != links.derive_key(SECRET, "csrf")


def test_a_form_token_holds_only_for_its_request_and_its_cookie() -> None:
    nonce = "n" * 24
    good = csrf.form_token(SECRET, TOKEN, nonce)
    assert csrf.is_valid(SECRET, TOKEN, nonce, good)
    assert not csrf.is_valid(SECRET, TOKEN + "x", nonce, good)
    assert not csrf.is_valid(SECRET, TOKEN, "m" * 24, good)
    assert not csrf.is_valid(SECRET, TOKEN, nonce, good[:-1])
    assert not csrf.is_valid(SECRET, TOKEN, None, good)
    assert not csrf.is_valid(SECRET, TOKEN, nonce, None)
    assert not csrf.is_valid(SECRET, TOKEN, "", good)
    long_nonce = "n" * 65
    assert not csrf.is_valid(SECRET, TOKEN, long_nonce, csrf.form_token(SECRET, TOKEN, long_nonce))
    assert csrf.is_valid(SECRET, TOKEN, "n" * 64, csrf.form_token(SECRET, TOKEN, "n" * 64))


def test_a_cookie_nonce_is_kept_only_if_this_module_could_have_made_it() -> None:
    assert csrf.usable_nonce("n" * 16) == "n" * 16
    assert csrf.usable_nonce("n" * 64) == "n" * 64
    for bad in (None, "", "n" * 15, "n" * 65, "n" * 20 + ";", "n" * 20 + "\n"):
        fresh = csrf.usable_nonce(bad)
        assert fresh != bad and len(fresh) == 24
    assert csrf.usable_nonce(None) != csrf.usable_nonce(None)
