"""The partner returns portal: structured returns through signed links, no accounts.

The links are `trustcycle.chasing.links` (the chase's emails make them; the portal checks
them). Public names are loaded on first use, so importing this package loads no FastAPI.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "asubmit_via_portal": "trustcycle.portal.client",
    "create_app": "trustcycle.portal.app",
    "portal_link": "trustcycle.chasing.links",
    "scripted_answer": "trustcycle.portal.scripted",
    "secret_from_env": "trustcycle.chasing.links",
    "submit_scripted": "trustcycle.portal.scripted",
    "submit_via_portal": "trustcycle.portal.client",
    "token_link": "trustcycle.chasing.links",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'trustcycle.portal' has no attribute {name!r}")
