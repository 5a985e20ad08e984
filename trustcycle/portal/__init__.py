"""The partner returns portal: signed per-request links, structured returns, no accounts.

Public names are loaded on first use, so that `trustcycle.portal.links` (which the chase's
emails need) can be imported without loading FastAPI.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "asubmit_via_portal": "trustcycle.portal.client",
    "create_app": "trustcycle.portal.app",
    "portal_link": "trustcycle.portal.links",
    "scripted_answer": "trustcycle.portal.scripted",
    "secret_from_env": "trustcycle.portal.links",
    "submit_scripted": "trustcycle.portal.scripted",
    "submit_via_portal": "trustcycle.portal.client",
    "token_link": "trustcycle.portal.links",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'trustcycle.portal' has no attribute {name!r}")
