"""The partner returns portal: signed per-request links, structured returns, no accounts."""

from trustcycle.portal.app import create_app
from trustcycle.portal.client import asubmit_via_portal, submit_via_portal
from trustcycle.portal.links import portal_link, secret_from_env, token_link
from trustcycle.portal.scripted import scripted_answer, submit_scripted

__all__ = [
    "asubmit_via_portal",
    "create_app",
    "portal_link",
    "scripted_answer",
    "secret_from_env",
    "submit_scripted",
    "submit_via_portal",
    "token_link",
]
