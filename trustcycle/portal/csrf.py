"""CSRF protection for the portal's forms: a signed double-submit cookie.

The page sets a random nonce in a cookie scoped to the request's path and puts
HMAC(csrf key, "request token|nonce") in the form. A POST is accepted only when the form
value matches the cookie's nonce for the same request token, so a form for one request
cannot be replayed against another, and a cross-site page cannot read or set the nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from trustcycle.chasing.links import derive_key

COOKIE = "tc_csrf"
FIELD = "csrf_token"
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_nonce() -> str:
    """A fresh random nonce for the CSRF cookie."""
    return secrets.token_urlsafe(18)


def usable_nonce(cookie: str | None) -> str:
    """The cookie's nonce if it is one this module could have made, else a fresh one."""
    if cookie and _NONCE.fullmatch(cookie):
        return cookie
    return new_nonce()


def form_token(secret: bytes, request_token: str, nonce: str) -> str:
    """The value to put in the form's hidden field."""
    message = f"{request_token}|{nonce}".encode()
    return hmac.new(derive_key(secret, "csrf"), message, hashlib.sha256).hexdigest()


def is_valid(secret: bytes, request_token: str, nonce: str | None, submitted: str | None) -> bool:
    """True when the submitted form token belongs to this request and this cookie."""
    if not nonce or not submitted or len(nonce) > 64:
        return False
    expected = form_token(secret, request_token, nonce)
    return hmac.compare_digest(expected.encode(), submitted.encode())
