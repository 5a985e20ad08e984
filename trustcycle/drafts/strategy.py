"""Child poverty strategy (Child Poverty Act 2010 s23): for each need the child poverty
needs assessment found, the measures partners propose to address it (partner, lead,
target, by when, how it is monitored), the needs no measure yet addresses, the measures
on other matters (s23(3)(b)), and the consultation with children and parents (s23(6)).

A measure addresses a need when the need it names matches the need's indicator, ignoring
case, punctuation and a unit in brackets ("Children in low income families" answers
"Children in low income families (%)").
"""

from __future__ import annotations

from dataclasses import dataclass

from trustcycle.config.loader import TrustConfig
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.document import Bullets, Para, Section, paras, table
from trustcycle.drafts.inputs import ReturnRecord
from trustcycle.drafts.needs import Need, need_key, needs_found

NOT_SET = "Not set"
MEASURE_HEADERS = ["Partner", "Measure", "Lead", "Target", "By when", "Monitoring"]


@dataclass(frozen=True)
class Measure:
    partner: str
    measure: str
    need: str
    lead: str
    target: str
    by_when: str
    monitoring: str

    def row(self) -> list[object]:
        return [self.partner, self.measure, self.lead, self.target or NOT_SET,
                self.by_when or NOT_SET, self.monitoring]


def _matches(need: Need, named: str) -> bool:
    a, b = need_key(need.name), need_key(named)
    return bool(a and b) and (a == b or a in b or b in a)


def measures(cfg: TrustConfig, records: list[ReturnRecord]) -> list[Measure]:
    """Every measure in the received returns, in return order."""
    out = []
    for rec in records:
        if not rec.received:
            continue
        name = cfg.partners[rec.partner].name if rec.partner in cfg.partners else rec.partner
        for m in pl.rows(rec.payload, "measures"):
            out.append(Measure(name, pl.text(m, "measure"), pl.text(m, "need"),
                               pl.text(m, "lead") or name, pl.text(m, "target"),
                               pl.text(m, "by_when"), pl.text(m, "monitoring")))
    return out


def _by_partner(cfg: TrustConfig, records: list[ReturnRecord], key: str) -> list[str]:
    return [f"{cfg.partners[r.partner].name}: {pl.text(r.payload, key)}"
            for r in records if r.received and r.partner in cfg.partners
            and pl.text(r.payload, key)]


def sections(
    cfg: TrustConfig, records: list[ReturnRecord], assessment: list[ReturnRecord]
) -> tuple[tuple[Section, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The body sections, extra recommendations and summary figures of the strategy."""
    needs = needs_found(cfg, assessment)
    all_measures = [m for m in measures(cfg, records) if m.measure]
    linked: dict[str, list[Measure]] = {n.name: [] for n in needs}
    other: list[Measure] = []
    for m in all_measures:
        need = next((n for n in needs if _matches(n, m.need)), None)
        if need is None:
            other.append(m)
        elif need_key(m.need) != need_key(need.name):  # the partner's own words, kept
            linked[need.name].append(Measure(m.partner, f"{m.measure} (need named: {m.need})",
                                             m.need, m.lead, m.target, m.by_when, m.monitoring))
        else:
            linked[need.name].append(m)
    for n in needs:  # monitoring not given: the need's own indicator, at the next assessment
        linked[n.name] = [m if m.monitoring else Measure(
            m.partner, m.measure, m.need, m.lead, m.target, m.by_when,
            f"{n.name}, in the next needs assessment") for m in linked[n.name]]
    unaddressed = [n for n in needs if not linked[n.name]]
    no_target = [m for m in all_measures if not m.target]
    consulted = _by_partner(cfg, records, "consultation")
    notes = _by_partner(cfg, records, "commentary")
    area = cfg.trust.local_authority
    for suffix in (" County Council", " Borough Council", " City Council", " District Council",
                   " Council"):
        area = area.removesuffix(suffix)

    vision = Section("Vision", paras(
        f"That fewer children in {area} grow up in poverty, and that those who do are "
        "protected from its effects: the partners of the Trust each take the measures "
        "below, aimed at what the child poverty needs assessment found (Child Poverty Act "
        "2010 s23(2) and (3)).",
        *notes))
    found = Section("Needs found by the child poverty needs assessment", (
        table(["Need", "Evidence", "Measures"],
              [[n.name, n.evidence, len(linked[n.name])] for n in needs]),
    ) if needs else paras("The needs assessment reported no child poverty indicators: the "
                          "strategy cannot yet be linked to it."))
    per_need = tuple(
        Section(f"Need: {n.name}", (
            Para(f"Evidence: {n.evidence}."),
            table(MEASURE_HEADERS, [m.row() for m in linked[n.name]]) if linked[n.name]
            else Para("No partner proposes a measure for this need."),
        ))
        for n in needs)
    extra = (Section("Measures on other matters", (
        *paras("Measures partners propose on matters other than the needs found (s23(3)(b))."),
        table(["Need named", *MEASURE_HEADERS],
              [[m.need or "None named", *m.row()] for m in other]),
    )),) if other else ()
    gaps = Section("Needs not yet addressed by a measure",
                   (Bullets(tuple(n.name for n in unaddressed)),) if unaddressed
                   else paras("Every need found is addressed by at least one measure."))
    consultation = Section("Consultation", (
        *paras("Children, parents and the organisations working with or representing them "
               "must be consulted in preparing the strategy (s23(6))."),
        *((Bullets(tuple(consulted)),) if consulted else paras(
            "No consultation with children or parents is recorded in the returns.")),
    ))
    monitoring = Section("Monitoring", paras(
        "Each measure is monitored as shown against it; a measure without its own "
        "monitoring is measured by the need's indicator in the next needs assessment. The "
        "strategy is reconsidered whenever the needs assessment is revised (s23(5)), and "
        "each partner has regard to it in exercising its functions (s23(8))."))

    recs: tuple[str, ...] = ()
    if unaddressed:
        recs = ("That partners propose measures for the needs not yet addressed before the "
                "strategy is published.",)
    if no_target:
        recs = (*recs, "That lead partners set a target for each measure without one.")
    if not consulted:
        recs = (*recs, "That the consultation with children and parents (s23(6)) is "
                       "completed and recorded before the strategy is published.")
    summary = (("Measures", str(len(all_measures))), ("Needs found", str(len(needs))),
               ("Needs addressed", str(len(needs) - len(unaddressed))),
               ("Needs not addressed", str(len(unaddressed))),
               ("Measures without a target", str(len(no_target))))
    sections_out = (vision, found, *per_need, *extra, gaps, consultation, monitoring)
    return sections_out, recs, summary
