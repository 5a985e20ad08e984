"""Who a return is asked of: resolved from the configuration alone."""

from __future__ import annotations

from trustcycle.config import schema
from trustcycle.config.loader import TrustConfig


def partners_asked(cfg: TrustConfig, spec: schema.ReturnSpec) -> list[str]:
    """The partners a return is asked of, in configuration order."""
    asked = spec.asked_of
    leads = {p.lead_partner for p in cfg.priorities.values()} if asked.leads else set()
    chosen = set(asked.partners)
    cats = set(asked.categories)
    return [
        pid
        for pid, partner in cfg.partners.items()
        if asked.all or pid in leads or pid in chosen or partner.category in cats
    ]
