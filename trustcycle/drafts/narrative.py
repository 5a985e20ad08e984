"""Report-only processes: partners return narrative notes, not ratings or data (e.g. the
safeguarding board's annual report feeding the CYPP review, a partner's annual statement).

A process is report-only when its returns are a note and nothing else: a kind with no
draft of its own (the portal asks such a return for `notes` alone), or a CYPP review asked
only of partners who lead no priority (their form asks for comments alone, so a
priorities table would show every priority "missing"). Its draft sets out every partner's
note in full (bounded, `payloads.MAX_TEXT`) with the documents sent with it, and lists who
has not returned. Each process's draft reads only its own returns, so two report-only
processes in one configuration are two drafts.
"""

from __future__ import annotations

from trustcycle.calendar.dates import long_iso
from trustcycle.config.asked import partners_asked
from trustcycle.config.loader import TrustConfig
from trustcycle.config.schema import ProcessKind
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.attachments import described
from trustcycle.drafts.document import Bullets, Para, Section, paras
from trustcycle.drafts.inputs import ReturnRecord

KIND = "report"
PURPOSE = ("To set out the reports partners returned for {title}, for {body} to note, and "
           "to say which partners have not yet returned theirs.")
RECOMMENDATION = "That {body} notes the reports set out in this paper."
OWN_DRAFTS = (ProcessKind.membership_review, ProcessKind.cypp_annual_review,
              ProcessKind.joint_needs_analysis, ProcessKind.child_poverty_strategy)
# Keys a report-only return is read from; anything else it holds is shown after its note.
NOTE_KEYS = ("notes",)
_SKIP = {"notes", "files", "kind", "filename", "bytes"}


def report_only(cfg: TrustConfig, pid: str) -> bool:
    """Whether the process's returns are notes alone (see the module's docstring)."""
    proc = cfg.processes[pid]
    if proc.kind is ProcessKind.event:
        return False
    if proc.kind not in OWN_DRAFTS:
        return True
    if proc.kind is not ProcessKind.cypp_annual_review:
        return False
    leads = {p.lead_partner for p in cfg.priorities.values()}
    asked = {partner for spec in proc.returns for partner in partners_asked(cfg, spec)}
    return not asked & leads


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def other_fields(payload: dict[str, object] | None) -> list[str]:
    """'Label: value' for every other non-empty field a note-only return holds."""
    out = []
    for key, value in (payload or {}).items():
        if key in _SKIP or value in (None, "", [], {}):
            continue
        if isinstance(value, str | int | float | bool):
            out.append(f"{_label(key)}: {pl.text(payload, key)}")
        elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            out.append(f"{_label(key)}: " + "; ".join(pl.bounded(str(v), pl.MAX_LINE)
                                                     for v in value))
        else:
            out.append(f"{_label(key)}: {pl.bounded(str(value))}")
    return out


def sections(
    cfg: TrustConfig, pid: str, records: list[ReturnRecord]
) -> tuple[tuple[Section, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """One section per partner's report (configuration order), then the reports missing."""
    titles = {r.id: r.title for r in cfg.processes[pid].returns}
    names = {p: spec.name for p, spec in cfg.partners.items()}
    out: list[Section] = []
    missing: list[str] = []
    waived = 0
    for rec in records:
        name = names.get(rec.partner, rec.partner)
        title = titles.get(rec.return_id, rec.return_id)
        if not rec.received:
            if rec.status == "waived":
                waived += 1
                reason = f" ({rec.waived_reason})" if rec.waived_reason else ""
                missing.append(f"{name}: {title}: waived{reason}.")
            else:
                missing.append(f"{name}: {title}: not received.")
            continue
        note = pl.text(rec.payload, *NOTE_KEYS)
        docs = described(rec)
        heard = f"Received {long_iso(rec.received_on)}" if rec.received_on else "Received"
        out.append(Section(f"{name}: {title}", (
            Para(f"{heard} (version {rec.version or 1})."),
            *(paras(note) if note else paras("The return has no written note.")),
            *paras(*other_fields(rec.payload)),
            *((Para("Documents sent with it:"), Bullets(tuple(docs))) if docs else ()),
        )))
    received = len(out)
    out.append(Section("Reports not yet received", (Bullets(tuple(missing)),) if missing
                       else paras("Every partner asked has returned its report.")))
    recs: tuple[str, ...] = ()
    if len(missing) > waived:
        recs = ("That the partners whose reports have not been received send them, to be "
                "reported to the next meeting.",)
    summary = (("Reports asked", str(len(records))), ("Received", str(received)),
               ("Not received", str(len(missing) - waived)), ("Waived", str(waived)))
    return tuple(out), recs, summary
