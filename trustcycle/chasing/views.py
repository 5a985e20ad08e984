"""A contribution request as plain data, and the local day of a stored instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from trustcycle import TIMEZONE

_LONDON = ZoneInfo(TIMEZONE)


@lru_cache(maxsize=4096)
def local_day(when: datetime) -> date:
    """The London calendar day of an instant (the DB hands instants back in UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # SQLite: stored naive, always UTC (db.models)
    d = when.astimezone(_LONDON)
    return date(d.year, d.month, d.day)


@dataclass(frozen=True)
class RequestView:
    """A contribution request as plain data, for rules and email contexts."""

    id: int
    token: str
    process: str
    partner: str
    return_id: str
    deadline_at: datetime
    cutoff_at: datetime
    opened_at: datetime
    status: str

    @property
    def deadline_day(self) -> date:
        return local_day(self.deadline_at)

    @property
    def cutoff_day(self) -> date:
        return local_day(self.cutoff_at)

    @property
    def opened_day(self) -> date:
        return local_day(self.opened_at)
