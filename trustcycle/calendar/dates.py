"""Dates as the papers print them: one long form throughout ("8 June 2026")."""

from __future__ import annotations

from datetime import date

import pendulum


def long_date(day: date) -> str:
    """A date as councils print it: 5 July 2010."""
    return f"{day.day} {pendulum.date(day.year, day.month, day.day).format('MMMM YYYY')}"


def long_iso(value: str | None) -> str:
    """An ISO date (as stored) in the long form; any other text unchanged."""
    if not value:
        return ""
    try:
        return long_date(date.fromisoformat(value[:10]))
    except ValueError:
        return value
