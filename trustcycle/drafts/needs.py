"""Joint needs analysis, with the child poverty needs assessment as a section of it
(Child Poverty Act 2010 s22): a table per indicator (partner, ward, period, value,
comparator, trend, source) and the partners' commentary.

An indicator belongs to the child poverty needs assessment when its return says so
(`section: child_poverty`) or when it is one of the measures the assessment is made of
(children in low income families, free school meals, worklessness, income deprivation):
a partner who sent "Children in low income families (%)" without the section column has
still returned a child poverty indicator.

Trend: for each indicator and ward, a row's value against the same partner's value for the
previous period it returned (periods in the order they sort), unless the return gives a
`trend` itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trustcycle.config.loader import TrustConfig
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.document import Bullets, Section, Table, clean, paras, table
from trustcycle.drafts.inputs import ReturnRecord

CHILD_POVERTY = "child_poverty"
CHILD_POVERTY_WORDS = ("low income", "free school meal", "workless", "poverty",
                       "income deprivation", "idaci")
HEADERS = ["Partner", "Ward", "Period", "Value", "Comparator", "Trend", "Source"]
ALL_WARDS = "All wards"


def is_child_poverty(row: dict[str, object]) -> bool:
    """Whether an indicator row belongs to the child poverty needs assessment."""
    if clean(row.get("section")).lower().replace(" ", "_") == CHILD_POVERTY:
        return True
    if row.get("child_poverty") is True:
        return True
    name = clean(row.get("indicator")).lower()
    return any(word in name for word in CHILD_POVERTY_WORDS)


def need_key(text: str) -> str:
    """An indicator or need name reduced for matching: no unit in brackets, no punctuation."""
    text = re.sub(r"\([^)]*\)", " ", text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class Reading:
    """One returned value of one indicator."""

    indicator: str
    partner: str
    ward: str
    period: str
    value: str
    number: float | None
    comparator: str
    source: str
    trend: str


def _trend(number: float | None, before: Reading | None) -> str:
    if number is None or before is None or before.number is None:
        return ""
    if number == before.number:
        return f"No change on {before.period}"
    word = "Up" if number > before.number else "Down"
    return f"{word} from {pl.fmt_number(before.number)} ({before.period})"


def readings(cfg: TrustConfig, records: list[ReturnRecord], child_poverty: bool
             ) -> list[Reading]:
    """Every indicator row of the received returns in one section, with its trend."""
    raw: list[tuple[str, str, dict[str, object]]] = []
    for rec in records:
        if not rec.received:
            continue
        name = cfg.partners[rec.partner].name if rec.partner in cfg.partners else rec.partner
        for row in pl.rows(rec.payload, "indicators"):
            if is_child_poverty(row) == child_poverty:
                raw.append((rec.partner, name, row))
    out: list[Reading] = []
    last: dict[tuple[str, str, str], Reading] = {}
    order = sorted(range(len(raw)), key=lambda i: pl.text(raw[i][2], "period"))
    made: dict[int, Reading] = {}
    for i in order:
        partner, name, row = raw[i]
        indicator = pl.text(row, "indicator") or "Unnamed indicator"
        ward = pl.text(row, "ward") or ALL_WARDS
        number = pl.number(row.get("value"))
        key = (partner, need_key(indicator), ward.lower())
        reading = Reading(indicator, name, ward, pl.text(row, "period"),
                          pl.text(row, "value"), number, pl.text(row, "comparator"),
                          pl.text(row, "source"),
                          pl.text(row, "trend") or _trend(number, last.get(key)))
        last[key] = made[i] = reading
    out = [made[i] for i in range(len(raw))]
    return out


def indicator_tables(
    cfg: TrustConfig, records: list[ReturnRecord], child_poverty: bool
) -> list[Table]:
    """One table per indicator (in first-seen order), rows from every partner's return."""
    grouped: dict[str, list[list[object]]] = {}
    for r in readings(cfg, records, child_poverty):
        grouped.setdefault(r.indicator, []).append(
            [r.partner, r.ward, r.period, r.value, r.comparator, r.trend, r.source])
    return [table(HEADERS, rows, caption=ind) for ind, rows in grouped.items()]


@dataclass(frozen=True)
class Need:
    """A need the child poverty needs assessment found: an indicator and its evidence."""

    name: str
    evidence: str


def needs_found(cfg: TrustConfig, records: list[ReturnRecord]) -> list[Need]:
    """The child poverty indicators the needs assessment reports, in first-seen order,
    each with its latest readings (the highest first, by ward)."""
    by_name: dict[str, list[Reading]] = {}
    for r in readings(cfg, records, child_poverty=True):
        by_name.setdefault(r.indicator, []).append(r)
    out = []
    for name, rows in by_name.items():
        latest = max(r.period for r in rows)
        current = sorted((r for r in rows if r.period == latest),
                         key=lambda r: -(r.number if r.number is not None else float("-inf")))
        shown = "; ".join((f"{r.value} across the area" if r.ward == ALL_WARDS
                           else f"{r.value} in {r.ward}")
                          + (f" (comparator {r.comparator})" if r.comparator else "")
                          for r in current[:3])
        out.append(Need(name, f"{latest}: {shown}" if shown else latest))
    return out


def commentary(cfg: TrustConfig, records: list[ReturnRecord], *keys: str) -> list[str]:
    """'Partner: commentary' for each received return that has some."""
    out = []
    for rec in records:
        text = pl.text(rec.payload, *keys) if rec.received else ""
        if text:
            name = cfg.partners[rec.partner].name if rec.partner in cfg.partners else rec.partner
            out.append(f"{name}: {text}")
    return out


def sections(
    cfg: TrustConfig, records: list[ReturnRecord]
) -> tuple[tuple[Section, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The body sections, extra recommendations and summary figures of the analysis."""
    general = indicator_tables(cfg, records, child_poverty=False)
    poverty = indicator_tables(cfg, records, child_poverty=True)
    found = needs_found(cfg, records)
    general_notes = commentary(cfg, records, "commentary")
    poverty_notes = commentary(cfg, records, "child_poverty_commentary")
    wards = sorted({r.ward for r in readings(cfg, records, child_poverty=True)} - {ALL_WARDS})
    intro = ("Children in low income families, free school meals take-up, worklessness and "
             "related measures, by ward where partners gave them (Child Poverty Act 2010 "
             "s22). Each indicator shows the value, the period, the comparator, the trend "
             "against the previous period returned, and the source.")
    out = (
        Section("Needs analysis: indicators", tuple(general) if general
                else paras("No indicators other than the child poverty measures were "
                           "returned.")),
        Section("Partners' commentary", (Bullets(tuple(general_notes)),) if general_notes
                else paras("No commentary was returned.")),
        Section("Child poverty needs assessment", (
            *paras(intro),
            *((Bullets(tuple(f"{n.name}: {n.evidence}" for n in found)),) if found else ()),
            *(poverty or paras("No child poverty indicators were returned: the child poverty "
                               "strategy cannot be linked to a needs assessment until they "
                               "are.")),
            *((Bullets(tuple(poverty_notes)),) if poverty_notes else ()),
        )),
    )
    recs = ("That the child poverty strategy is reviewed against this needs assessment "
            "(Child Poverty Act 2010 s23(5)).",)
    if not poverty:
        recs = (*recs, "That partners return the child poverty indicators before the needs "
                       "assessment is agreed.")
    summary = (("Indicators", str(len(general) + len(poverty))),
               ("Child poverty indicators", str(len(poverty))),
               ("Wards reported", str(len(wards))))
    return out, recs, summary
