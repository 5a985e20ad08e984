"""Signed portal links: one per contribution request, valid until the cycle year ends.

A link is `{base}/r/{token}?exp={unix seconds}&sig={hex}`, where `sig` is
HMAC-SHA256(link key, "v1|token|exp"). The token is the request's random unique token; the
signature means a guessed or edited token or expiry is refused before the database is
asked anything, and the expiry is the first instant of the next cycle year.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlencode

import pendulum

from trustcycle import TIMEZONE
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import ContributionRequest

SECRET_ENV = "TRUSTCYCLE_PORTAL_SECRET"
MIN_SECRET_CHARS = 32
_EXP = re.compile(r"[1-9][0-9]{0,11}")
_SIG = re.compile(r"[0-9a-f]{64}")


class LinkError(Exception):
    """A link that is tampered with, malformed or expired (always answered with 403)."""


def secret_from_env(environ: Mapping[str, str] | None = None) -> bytes:
    """The portal secret from `TRUSTCYCLE_PORTAL_SECRET`; refuses a missing or short one."""
    value = (environ if environ is not None else os.environ).get(SECRET_ENV, "")
    return check_secret(value)


def check_secret(value: str | bytes) -> bytes:
    """The secret as bytes, if long enough to sign links with."""
    raw = value.encode() if isinstance(value, str) else value
    if len(raw) < MIN_SECRET_CHARS:
        raise ValueError(
            f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return raw


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A separate key per purpose (links, CSRF), so one signature is never valid as another."""
    return hmac.new(secret, f"trustcycle-portal|{purpose}".encode(), hashlib.sha256).digest()


def cycle_end(request: ContributionRequest) -> pendulum.DateTime:
    """The first instant after the request's cycle year (local midnight, Europe/London)."""
    start = request.process.cycle_year.starts_on
    return pendulum.datetime(start.year, start.month, start.day, tz=TIMEZONE).add(years=1)


def sign(token: str, expires: int, secret: bytes) -> str:
    """The hex signature of one request token and expiry."""
    message = f"v1|{token}|{expires}".encode()
    return hmac.new(derive_key(secret, "link"), message, hashlib.sha256).hexdigest()


def link_path(token: str, expires: int, secret: bytes) -> str:
    """The path and query of a signed link (no scheme or host)."""
    return f"/r/{token}?{urlencode({'exp': expires, 'sig': sign(token, expires, secret)})}"


def config_cycle_end(cfg: TrustConfig, year: int | None = None) -> pendulum.DateTime:
    """The first instant after the configured (or given) cycle year, Europe/London."""
    _, last = cfg.cycle_bounds(year)
    day = last.add(days=1)
    return pendulum.datetime(day.year, day.month, day.day, tz=TIMEZONE)


def token_link(base_url: str, token: str, expires_at: datetime, secret: bytes) -> str:
    """A signed link for a request token, valid until `expires_at` (for email senders that
    hold a plain view of the request rather than its row)."""
    expires = int(expires_at.timestamp())
    return base_url.rstrip("/") + link_path(token, expires, secret)


def portal_link(base_url: str, request: ContributionRequest, secret: bytes) -> str:
    """The link for a request's emails, expiring when its cycle year ends."""
    return token_link(base_url, request.token, cycle_end(request), secret)


def verify(
    token: str, exp: str | None, sig: str | None, secret: bytes, now: pendulum.DateTime
) -> None:
    """Raise `LinkError` unless the signature matches (constant time) and has not expired.

    The expiry must be spelled as `sign` writes it: ASCII digits, no leading zero (else
    "0123" or Arabic-Indic digits would be other spellings of one signed number)."""
    if not exp or not sig or not _EXP.fullmatch(exp) or not _SIG.fullmatch(sig):
        raise LinkError("malformed link")
    if len(token) > 64:
        raise LinkError("malformed link")
    expected = sign(token, int(exp), secret)
    if not hmac.compare_digest(expected.encode(), sig.encode()):
        raise LinkError("bad signature")
    if now.int_timestamp >= int(exp):
        raise LinkError("link expired")
