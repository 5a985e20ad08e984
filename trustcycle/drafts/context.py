"""Build one draft's `Report` from plain data: the configuration, the returns, attendance.

The frame (purpose, recommendations, background, implications, contact officer) is common;
the body comes from the module for the process's kind. The report's "Date" is the day it
was written (`written`, from the wall clock when the caller does not say); everything else
comes from the inputs, so the same returns on the same day give the same report.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from trustcycle.calendar import clock
from trustcycle.calendar.dates import long_date, long_iso
from trustcycle.calendar.punctuality import classify, tally, tally_words
from trustcycle.calendar.timeline import ProcessDates, resolve_process
from trustcycle.config.loader import TrustConfig
from trustcycle.config.schema import ProcessKind
from trustcycle.drafts import attachments, cypp, membership, narrative, needs, strategy
from trustcycle.drafts.document import Contact, Report, Section, Table, table
from trustcycle.drafts.inputs import DraftInputs, ReturnRecord, complete, returns_sha256

PURPOSE = {
    ProcessKind.membership_review: (
        "To review the membership of {body} against the statutory duties of the Trust, "
        "report attendance over the last 12 months, and propose changes."),
    ProcessKind.cypp_annual_review: (
        "To report progress on each priority of the Children and Young People's Plan, as "
        "rated by its lead partner, for the annual review of the Plan."),
    ProcessKind.joint_needs_analysis: (
        "To present the joint needs analysis, including the child poverty needs "
        "assessment, as the evidence base for the next Children and Young People's Plan "
        "and the child poverty strategy."),
    ProcessKind.child_poverty_strategy: (
        "To set out the measures the Trust's partners propose to reduce child poverty, "
        "linked to the needs found by the child poverty needs assessment."),
}
RECOMMENDATION = {
    ProcessKind.membership_review: "That {body} notes the review and agrees the changes "
                                   "to membership proposed in the returns.",
    ProcessKind.cypp_annual_review: "That {body} notes progress against the priorities of "
                                    "the Children and Young People's Plan.",
    ProcessKind.joint_needs_analysis: "That {body} agrees the joint needs analysis and the "
                                      "child poverty needs assessment.",
    ProcessKind.child_poverty_strategy: "That the child poverty strategy is approved for "
                                        "publication.",
}
FINANCIAL = ("There are no direct financial implications arising from this report. Any "
             "resources needed to act on it will be met from partners' existing budgets "
             "or reported separately.")
EQUALITY = ("The returns cover all children and young people in the area; where partners "
            "report by ward or group, differences in outcomes are shown so that action can "
            "be targeted. An equality impact assessment will accompany any change proposed.")
STATUS = {"received": "Received", "waived": "Waived", "open": "Missing",
          "missing": "Missing"}
DRAFT_STATUS = "Draft for sign-off"
# What the law says a child poverty strategy is (Child Poverty Act 2010 s23, as enacted):
# it is published, not a paper for a meeting, so LGA 1972 s100B does not govern it.
STRATEGY_LAW = (
    "The responsible local authority and its partner authorities prepare a joint child "
    "poverty strategy setting out the measures each proposes to take to reduce, and mitigate "
    "the effects of, child poverty in the area (s23(2)). The measures must include measures "
    "relating to the matters identified in the child poverty needs assessment (s23(3)). In "
    "preparing or modifying it the authority must consult children, parents and "
    "organisations working with or representing them (s23(6)); it must consider whether "
    "the strategy needs modifying whenever it revises the needs assessment (s23(5)); and "
    "the authority and each partner must have regard to the strategy (s23(8)).")


def report_day(dates: ProcessDates) -> date:
    """The day the paper is for: the receiving meeting, else the publication date."""
    at = dates.meeting or dates.publish
    assert at is not None
    return date(at.year, at.month, at.day)


def returns_table(cfg: TrustConfig, records: list[ReturnRecord]) -> Table:
    """The returns a draft used and those missing, one row each."""
    titles = {(pid, r.id): r.title for pid, p in cfg.processes.items() for r in p.returns}
    rows = [[cfg.partners[r.partner].name if r.partner in cfg.partners else r.partner,
             titles.get((r.process, r.return_id), r.return_id),
             STATUS.get(r.status, r.status.capitalize()) if not r.received else "Received",
             r.version or "", long_iso(r.received_on), (r.sha256 or "")[:12]]
            for r in records]
    return table(["Partner", "Return", "Status", "Version", "Received", "sha256"], rows)


def needs_process(cfg: TrustConfig, pid: str) -> str | None:
    """The joint needs analysis a child poverty strategy answers (CPA 2010 s23)."""
    kinds = {k: p for k, p in cfg.processes.items() if p.kind is ProcessKind.joint_needs_analysis}
    for key, proc in kinds.items():
        if pid in proc.triggers:
            return key
    return next(iter(kinds), None)


def legal_implications(cfg: TrustConfig, pid: str, day: date, published: bool) -> str:
    """The legal implications: the process's basis, and the rule on its papers."""
    proc = cfg.processes[pid]
    assert proc.receiving is not None
    if proc.kind is ProcessKind.child_poverty_strategy:
        return f"{proc.legal_basis}. {STRATEGY_LAW}"
    if published:
        return f"{proc.legal_basis}. This document is published on {long_date(day)}."
    return (f"{proc.legal_basis}. Papers for a meeting are open to inspection at least "
            f"{proc.receiving.clear_days} clear days before it (Local Government Act 1972 "
            f"s100B).")


def build_report(cfg: TrustConfig, pid: str, year: int, inputs: DraftInputs,
                 written: date | None = None) -> Report:
    """The whole draft for process `pid` in cycle year `year`, written on `written`."""
    if written is None:
        written = clock.today()
    written = date(written.year, written.month, written.day)
    proc = cfg.processes[pid]
    assert proc.receiving is not None, f"{pid} has no receiving body"
    dates = resolve_process(cfg, pid, year)
    day = report_day(dates)
    body = cfg.bodies[proc.receiving.body]
    records = complete(cfg, pid, [r for r in inputs.returns if r.process == pid])
    kind = proc.kind
    report_only = narrative.report_only(cfg, pid)
    if report_only:
        sections, recs, summary = narrative.sections(cfg, pid, records)
    elif kind is ProcessKind.membership_review:
        sections, recs, summary = membership.sections(cfg, pid, day, records,
                                                      list(inputs.attendance))
    elif kind is ProcessKind.cypp_annual_review:
        sections, recs, summary = cypp.sections(cfg, records)
    elif kind is ProcessKind.joint_needs_analysis:
        sections, recs, summary = needs.sections(cfg, records)
    elif kind is ProcessKind.child_poverty_strategy:
        related = needs_process(cfg, pid)
        assessment = complete(cfg, related, inputs.of(related)) if related else []
        sections, recs, summary = strategy.sections(cfg, records, assessment)
    else:
        raise ValueError(f"process {pid!r} of kind {kind.value} has no draft")
    if not report_only:  # a report-only draft lists each report's documents with it
        sections = (*sections, *attachments.section(cfg, records))
    received = sum(1 for r in records if r.received)
    # One count for the draft, the summary and the timeline (`calendar.punctuality`).
    counts = tally(r.timing or classify(received=r.received, waived=r.status == "waived")
                   for r in records)
    missing = [r for r in records if not r.received and r.status != "waived"]
    assert dates.request is not None and dates.deadline is not None
    background = (
        f"Legal basis: {proc.legal_basis}.",
        f"Returns were requested from partners on {long_date(dates.request)} with a deadline "
        f"of {long_date(dates.deadline)}. {received} of {len(records)} returns were received"
        + (f"; {len(missing)} {'is' if len(missing) == 1 else 'are'} missing and shown as "
           "missing in this report."
           if missing else ".") + f" By when they came: {tally_words(counts)}.",
    )
    legal = legal_implications(cfg, pid, day, dates.meeting is None)
    fmt = {"body": body.name, "title": proc.title}
    if dates.meeting is not None:
        report_to = f"{body.name}, {long_date(day)}"
    else:
        report_to = f"{body.name} (publication on {long_date(day)})"
    officer, manager = cfg.trust.officer, cfg.trust.manager
    return Report(
        process=pid,
        kind=narrative.KIND if report_only else kind.value,
        title=proc.title,
        trust=cfg.trust.name,
        report_to=report_to,
        report_from=f"{manager.name}" + (f", {manager.role}" if manager.role else ""),
        date=long_date(written),
        meeting=dates.meeting.isoformat() if dates.meeting else "",
        status=DRAFT_STATUS,
        purpose=(narrative.PURPOSE if report_only else PURPOSE[kind]).format(**fmt),
        recommendations=((narrative.RECOMMENDATION if report_only else RECOMMENDATION[kind])
                         .format(**fmt), *recs),
        background=background,
        sections=tuple(sections),
        financial=FINANCIAL,
        legal=legal,
        equality=EQUALITY,
        contact=Contact(officer.name, officer.role or "", officer.email, officer.phone or ""),
        returns=returns_table(cfg, records),
        fingerprint=returns_sha256(records),
        summary=summary,
        written=written,
        house_style=str(cfg.directory / cfg.trust.house_style) if cfg.trust.house_style else "",
    )


def approved(report: Report, by: str, on: date) -> Report:
    """The papers' copy of an approved report: who approved it and when, not "Draft"."""
    return replace(report, status=f"Approved by {by} on {long_date(on)}")


__all__ = ["Section", "approved", "build_report", "long_date", "report_day"]
