"""CYPP annual review: each priority's red/amber/green rating from its lead partner, the
indicator against its target, narrative and risks, and summary counts by rating.

A priority whose lead has not returned, or whose return does not rate it, is shown as
missing and counted as such: never dropped from the table. What other partners report on
a priority is shown under it (the rating counted is the lead's); what a return reports on
a priority not in the plan, and every partner's comments (`notes`), have sections of
their own, so nothing returned goes unshown.
"""

from __future__ import annotations

from collections import Counter

from trustcycle.config import schema
from trustcycle.config.loader import TrustConfig
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.document import Bullets, Para, Section, paras, table
from trustcycle.drafts.inputs import ReturnRecord

MISSING = "missing"


def against_target(value: float | None, indicator: schema.Indicator | None) -> str:
    """'met', 'not met' or '' for an indicator value against its target."""
    if value is None or indicator is None or indicator.target is None:
        return ""
    good = value >= indicator.target if indicator.higher_is_better else value <= indicator.target
    return "met" if good else "not met"


def _asks_leads(cfg: TrustConfig, rec: ReturnRecord) -> bool:
    """Whether the return is the one the process asks of the priorities' leads."""
    proc = cfg.processes.get(rec.process)
    return proc is not None and any(r.id == rec.return_id and r.asked_of.leads
                                    for r in proc.returns)


def rated(cfg: TrustConfig, records: list[ReturnRecord]) -> list[dict[str, str]]:
    """One row per configured priority, in configuration order. A lead may owe the process
    two returns (its priorities, and a report asked of a seat it holds): a priority is read
    from the first of them that rates it, never lost to the other."""
    entries: dict[str, dict[str, dict[str, object]]] = {}
    returned: set[str] = set()  # partners whose priorities return came in
    for rec in records:
        if not rec.received:
            continue
        found = pl.priority_entries(rec.payload)
        if found or _asks_leads(cfg, rec):
            returned.add(rec.partner)
        for key, entry in found.items():
            entries.setdefault(rec.partner, {}).setdefault(key, entry)
    out = []
    for key, pri in cfg.priorities.items():
        lead = cfg.partners[pri.lead_partner].name
        entry = entries.get(pri.lead_partner, {}).get(key)
        came = pri.lead_partner in returned
        ind = pri.indicator
        row = {"id": key, "title": pri.title, "lead": lead,
               "indicator": ind.name if ind else "No indicator",
               "target": pl.fmt_number(ind.target, ind.unit) if ind else "",
               "rag": MISSING, "value": "", "status": "", "narrative": "", "risks": "",
               "changes": ""}
        if entry is None:
            row["narrative"] = "Not reported in the return" if came else "Return missing"
        else:
            value = pl.number(entry.get("value"))
            row |= {
                "rag": pl.rag(entry.get("rag")) or MISSING,
                "value": pl.fmt_number(value, ind.unit if ind else None)
                or pl.text(entry, "value"),
                "status": against_target(value, ind),
                "narrative": pl.text(entry, "narrative"),
                "risks": pl.text(entry, "risks"),
                "changes": pl.text(entry, "changes"),
            }
        out.append(row)
    return out


def _entry_text(entry: dict[str, object], unit: str | None = None) -> str:
    """A priority entry in words: rating, value, progress, risks, proposed changes."""
    value = pl.number(entry.get("value"))
    parts = [f"rating {(pl.rag(entry.get('rag')) or 'not given').capitalize()}",
             f"value {pl.fmt_number(value, unit) or pl.text(entry, 'value') or 'not given'}"]
    parts += [f"{label}: {pl.text(entry, key)}" for key, label in
              (("narrative", "progress"), ("risks", "risks"), ("changes", "proposed changes"))
              if pl.text(entry, key)]
    return "; ".join(parts)


def contributions(cfg: TrustConfig, records: list[ReturnRecord]
                  ) -> tuple[dict[str, list[str]], list[str]]:
    """What partners other than the lead report on each priority ({priority: lines}), and
    what any return reports on a priority not in the plan."""
    by_priority: dict[str, list[str]] = {key: [] for key in cfg.priorities}
    outside: list[str] = []
    for rec in records:
        if not rec.received:
            continue
        name = cfg.partners[rec.partner].name if rec.partner in cfg.partners else rec.partner
        for key, entry in pl.priority_entries(rec.payload).items():
            pri = cfg.priorities.get(key)
            if pri is None:
                label = pl.text(entry, "title") or key or "A priority not named"
                outside.append(f"{name} on {label}: {_entry_text(entry)}")
            elif pri.lead_partner != rec.partner:
                unit = pri.indicator.unit if pri.indicator else None
                by_priority[key].append(f"{name}: {_entry_text(entry, unit)}")
    return by_priority, outside


def comments(cfg: TrustConfig, records: list[ReturnRecord]) -> list[str]:
    """'Partner: comments' for each received return that has some (with the return's title
    when the process asks more than one)."""
    out = []
    for r in records:
        if not (r.received and pl.text(r.payload, "notes")):
            continue
        who = cfg.partners[r.partner].name if r.partner in cfg.partners else r.partner
        specs = cfg.processes[r.process].returns if r.process in cfg.processes else []
        title = next((s.title for s in specs if s.id == r.return_id), r.return_id)
        out.append(f"{who}{f', {title}' if len(specs) > 1 else ''}: "
                   f"{pl.text(r.payload, 'notes')}")
    return out


def counts(rows: list[dict[str, str]]) -> dict[str, int]:
    """Priorities by rating, in the order red, amber, green, missing."""
    seen = Counter(r["rag"] for r in rows)
    return {k: seen.get(k, 0) for k in (*pl.RAGS, MISSING)}


def sections(
    cfg: TrustConfig, records: list[ReturnRecord]
) -> tuple[tuple[Section, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The body sections, extra recommendations and summary counts of the review."""
    rows = rated(cfg, records)
    c = counts(rows)
    summary = tuple((k.capitalize() if k != MISSING else "Missing or not rated", str(v))
                    for k, v in c.items())
    also, outside = contributions(cfg, records)
    notes = comments(cfg, records)
    per_priority = []
    for r in rows:
        rating = r["rag"].capitalize()
        target = f" (target {r['target']})" if r["target"] else ""
        per_priority.append(Section(r["title"], (
            *paras(f"Lead partner: {r['lead']}. Rating: {rating}.",
                   f"Indicator: {r['indicator']}{target}. Value: {r['value'] or 'not given'}"
                   + (f", target {r['status']}." if r["status"] else "."),
                   f"Progress: {r['narrative']}" if r["narrative"] else "",
                   f"Risks: {r['risks']}" if r["risks"] else "",
                   f"Proposed changes: {r['changes']}" if r["changes"] else ""),
            *((Para("Also reported by other partners:"), Bullets(tuple(also[r["id"]])))
              if also[r["id"]] else ()),
        )))
    overview = Section("Summary of progress by priority", (
        *paras(f"{len(rows)} priorities: {c['red']} red, {c['amber']} amber, {c['green']} "
               f"green, {c[MISSING]} missing or not rated."),
        table(["Priority", "Lead partner", "Rating", "Indicator", "Value", "Target", "Status"],
              [[r["title"], r["lead"], r["rag"].capitalize(), r["indicator"], r["value"],
                r["target"], r["status"]] for r in rows]),
    ))
    recs: tuple[str, ...] = ()
    if c["red"]:
        recs = ("That lead partners for priorities rated red present recovery actions to the "
                "next meeting.",)
    if c[MISSING]:
        recs = (*recs, "That lead partners who have not reported progress do so before the "
                       "Executive's next meeting.")
    extra = (Section("Reported on matters outside the plan's priorities",
                     (Bullets(tuple(outside)),)),) if outside else ()
    said = Section("Partners' comments", (Bullets(tuple(notes)),) if notes
                   else paras("No partner added comments to its return."))
    return (overview, *per_priority, *extra, said), recs, summary
