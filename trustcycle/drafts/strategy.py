"""Child poverty strategy (Child Poverty Act 2010 s23): the measures each partner proposes,
linked to the needs the needs assessment found, with any need no measure addresses shown.
"""

from __future__ import annotations

from trustcycle.config.loader import TrustConfig
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.document import Bullets, Section, paras, table
from trustcycle.drafts.inputs import ReturnRecord
from trustcycle.drafts.needs import needs_found


def sections(
    cfg: TrustConfig, records: list[ReturnRecord], assessment: list[ReturnRecord]
) -> tuple[tuple[Section, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The body sections, extra recommendations and summary figures of the strategy."""
    needs = needs_found(cfg, assessment)
    lowered = {n.lower(): n for n in needs}
    rows: list[list[object]] = []
    addressed: set[str] = set()
    for rec in records:
        if not rec.received:
            continue
        name = cfg.partners[rec.partner].name if rec.partner in cfg.partners else rec.partner
        for m in pl.rows(rec.payload, "measures"):
            need = pl.text(m, "need")
            if need.lower() in lowered:
                addressed.add(lowered[need.lower()])
            rows.append([name, pl.text(m, "measure"), need or "Not linked to a need",
                         pl.text(m, "lead"), pl.text(m, "by_when")])
    unaddressed = [n for n in needs if n not in addressed]
    notes = [f"{cfg.partners[r.partner].name}: {pl.text(r.payload, 'commentary')}"
             for r in records if r.received and r.partner in cfg.partners
             and pl.text(r.payload, "commentary")]
    out = (
        Section("Needs found by the needs assessment", (Bullets(tuple(needs)),) if needs
                else paras("The needs assessment reported no child poverty indicators.")),
        Section("Measures proposed by partners", (
            table(["Partner", "Measure", "Need addressed", "Lead", "By when"], rows),
        ) if rows else paras("No measures were returned.")),
        Section("Needs not yet addressed by a measure", (Bullets(tuple(unaddressed)),)
                if unaddressed else paras("Every need found is addressed by a measure.")),
        *((Section("Partners' commentary", (Bullets(tuple(notes)),)),) if notes else ()),
    )
    recs: tuple[str, ...] = ()
    if unaddressed:
        recs = ("That partners propose measures for the needs not yet addressed before the "
                "strategy is published.",)
    summary = (("Measures", str(len(rows))), ("Needs found", str(len(needs))),
               ("Needs not addressed", str(len(unaddressed))))
    return out, recs, summary
