"""Checks that need nothing but this machine: the configuration and the time zone data."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import pendulum

from trustcycle import TIMEZONE
from trustcycle.config import ConfigError, TrustConfig
from trustcycle.config.loader import FILES
from trustcycle.doctor.findings import Finding, fail, ok, one_line, warn
from trustcycle.trust import load_config

PLACEHOLDER = "FILL IN"  # what `trustcycle init` leaves for the officer to replace
MIN_BANK_HOLIDAYS = 8  # England has had at least 8 a year since 1978


def check_config(directory: Path) -> tuple[Finding, TrustConfig | None]:
    """The configuration loads and passes every rule (`config check`)."""
    try:
        cfg = load_config(directory)
    except ConfigError as exc:
        more = len(exc.problems) - 1
        also = f" (and {more} more: `trustcycle config check --config {directory}`)" if more else ""
        return fail("config", f"{exc.problems[0]}{also}", blocks_serving=True), None
    year = cfg.trust.cycle_year
    summary = (f"{directory}: {cfg.trust.name}, cycle year {year}-{(year + 1) % 100:02d}, "
               f"{len(cfg.partners)} partners, {len(cfg.bodies)} bodies, "
               f"{len(cfg.processes)} processes")
    left = _placeholders(directory)
    if left:
        return warn("config", f"{summary}; {len(left)} {PLACEHOLDER} left to replace, first "
                              f"{left[0]}"), cfg
    if len(cfg.partners) < 2:
        return warn("config", f"{summary}; add your partners to partners.yaml (requests go to "
                              "the partners listed there)"), cfg
    return ok("config", summary), cfg


def _placeholders(directory: Path) -> list[str]:
    """`partners.yaml line 12` for each uncommented line still saying FILL IN."""
    found = []
    for name in FILES:
        try:
            lines = (directory / name).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, start=1):
            if PLACEHOLDER in line.split("#", 1)[0]:
                found.append(f"{name} line {number}")
    return found


def check_timezone(year: int) -> Finding:
    """The time zone data and England's bank holidays cover the cycle year."""
    try:
        zone = ZoneInfo(TIMEZONE)
    except ZoneInfoNotFoundError as exc:
        return fail("timezone", f"no time zone data for {TIMEZONE} ({one_line(exc)}): "
                                "pip install --upgrade tzdata", blocks_serving=True)
    summer = datetime(year, 7, 1, 12, tzinfo=zone).utcoffset()
    winter = datetime(year + 1, 1, 15, 12, tzinfo=zone).utcoffset()
    in_pendulum = pendulum.datetime(year, 7, 1, 12, tz=TIMEZONE).utcoffset()
    if (summer, winter, in_pendulum) != (timedelta(hours=1), timedelta(0), timedelta(hours=1)):
        return fail("timezone", f"the time zone data is wrong for {year}: {TIMEZONE} should be "
                                f"+01:00 in July and +00:00 in January (got {summer}, "
                                f"{winter}, pendulum {in_pendulum}): pip install --upgrade "
                                "tzdata pendulum", blocks_serving=True)
    counts = [len(holidays.country_holidays("GB", subdiv="ENG", years=[y]))
              for y in (year, year + 1)]
    if min(counts) < MIN_BANK_HOLIDAYS:
        return fail("timezone", f"England's bank holidays are not known for {year}-"
                                f"{year + 1} ({counts[0]} and {counts[1]}): working days would "
                                "be wrong; pip install --upgrade holidays")
    return ok("timezone", f"{TIMEZONE}: BST in summer {year}, GMT in winter; {counts[0]} and "
                          f"{counts[1]} England bank holidays known for {year} and {year + 1} "
                          f"(this machine's own zone: {time.tzname[0]}, not used)")
