"""Joint needs analysis, with the child poverty needs assessment as a section of it
(Child Poverty Act 2010 s22): a table per indicator with source and period, and the
partners' commentary.
"""

from __future__ import annotations

from trustcycle.config.loader import TrustConfig
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.document import Bullets, Section, Table, clean, paras, table
from trustcycle.drafts.inputs import ReturnRecord

CHILD_POVERTY = "child_poverty"
HEADERS = ["Partner", "Period", "Source", "Value", "Comparator", "Ward"]


def _is_child_poverty(row: dict[str, object]) -> bool:
    return clean(row.get("section")).lower().replace(" ", "_") == CHILD_POVERTY or bool(
        row.get("child_poverty") is True
    )


def indicator_tables(
    cfg: TrustConfig, records: list[ReturnRecord], child_poverty: bool
) -> list[Table]:
    """One table per indicator (in first-seen order), rows from every partner's return."""
    grouped: dict[str, list[list[object]]] = {}
    for rec in records:
        if not rec.received:
            continue
        name = cfg.partners[rec.partner].name if rec.partner in cfg.partners else rec.partner
        for row in pl.rows(rec.payload, "indicators"):
            if _is_child_poverty(row) != child_poverty:
                continue
            indicator = pl.text(row, "indicator") or "Unnamed indicator"
            grouped.setdefault(indicator, []).append(
                [name, *(pl.text(row, k) for k in ("period", "source", "value", "comparator",
                                                    "ward"))]
            )
    return [table(HEADERS, rows, caption=ind) for ind, rows in grouped.items()]


def needs_found(cfg: TrustConfig, records: list[ReturnRecord]) -> list[str]:
    """The child poverty indicators the needs assessment reports, in first-seen order."""
    return [t.caption for t in indicator_tables(cfg, records, child_poverty=True)]


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
    general_notes = commentary(cfg, records, "commentary")
    poverty_notes = commentary(cfg, records, "child_poverty_commentary")
    out = (
        Section("Needs analysis: indicators", tuple(general) if general
                else paras("No indicators were returned.")),
        Section("Partners' commentary", (Bullets(tuple(general_notes)),) if general_notes
                else paras("No commentary was returned.")),
        Section("Child poverty needs assessment", (
            *paras("Children in low income families, free school meals take-up, worklessness "
                   "and related measures, by ward where partners gave them (Child Poverty "
                   "Act 2010 s22)."),
            *(poverty or paras("No child poverty indicators were returned.")),
            *((Bullets(tuple(poverty_notes)),) if poverty_notes else ()),
        )),
    )
    recs = ("That the child poverty strategy is reviewed against this needs assessment "
            "(Child Poverty Act 2010 s23).",)
    summary = (("Indicators", str(len(general) + len(poverty))),
               ("Child poverty indicators", str(len(poverty))))
    return out, recs, summary
