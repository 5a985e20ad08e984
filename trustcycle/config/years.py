"""Which cycle year a day belongs to, and a configuration viewed for another cycle year.

`trust.cycle_year` is the first year the configuration serves. A service left running
moves on by itself: on the first day of the next cycle (1 April by default) the current
cycle year becomes the next one, with the same calendar rules ("MM-DD" days and meeting
rules follow the year), so nobody has to edit the YAML or restart anything.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from trustcycle.config.loader import TrustConfig


def cycle_year_of(cfg: TrustConfig, day: date) -> int:
    """The cycle year `day` falls in, never before the configuration's first year."""
    month, first = (int(x) for x in cfg.trust.cycle_start.split("-"))
    year = day.year if (day.month, day.day) >= (month, first) else day.year - 1
    return max(year, cfg.trust.cycle_year)


def for_year(cfg: TrustConfig, year: int) -> TrustConfig:
    """The same configuration serving cycle year `year`."""
    if year == cfg.trust.cycle_year:
        return cfg
    return dataclasses.replace(cfg, trust=cfg.trust.model_copy(update={"cycle_year": year}))
