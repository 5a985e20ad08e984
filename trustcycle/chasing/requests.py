"""Opening contribution requests: one per (partner, return) asked, with its request email.

A DB service: every function takes the session of the caller's unit of work and the
instant from `trustcycle.calendar.clock`; nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pendulum
from sqlalchemy import DateTime, delete, func, select, type_coerce, update
from sqlalchemy.orm import Session

from trustcycle.calendar import clock
from trustcycle.calendar.timeline import ProcessDates, resolve_year
from trustcycle.calendar.workdays import at_local, for_trust
from trustcycle.chasing.emails import MailFault, fault_alert, missing_returns_report
from trustcycle.chasing.letters import Built, request_letters, rung_letters
from trustcycle.chasing.rules import (
    Action,
    Owed,
    RequestDates,
    RungDay,
    decide,
    last_sent_index,
    late_request_dates,
    next_rung,
    requests_due_to_open,
    returns_owed,
    rung_days,
)
from trustcycle.chasing.views import RequestView, local_day
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import (
    AuditLog,
    ContributionRequest,
    CycleYear,
    OutboxMessage,
    Partner,
    Process,
    Reminder,
    RequestStatus,
    Trust,
)
from trustcycle.notices import late_step_notice
from trustcycle.outbox import enqueue_many
from trustcycle.outbox.queue import dialect_insert

# Read raw in the set-based selection: the model's UtcDateTime builds a pendulum instance
# per value, which dominates the time of reading 20,000 requests.
_RAW_INSTANT = DateTime(timezone=True)


def _pdate(day: date) -> pendulum.Date:
    return pendulum.date(day.year, day.month, day.day)


class RequestError(ValueError):
    """An unknown trust, process, partner or return: nothing is stored or sent."""


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def view_of(row: ContributionRequest, process: str, partner: str) -> RequestView:
    return RequestView(row.id, row.token, process, partner, row.return_id, row.deadline_at,
                       row.cutoff_at, row.opened_at, row.status)


# --- the rows a configuration maps to ---------------------------------------------------


def cycle_year_id(session: Session, cfg: TrustConfig, year: int | None = None) -> int:
    """The id of the trust's cycle year (the configuration must have been applied)."""
    year = cfg.trust.cycle_year if year is None else year
    found = session.execute(
        select(CycleYear.id).join(Trust).where(Trust.config_id == cfg.trust.id,
                                               CycleYear.year == year)
    ).scalar_one_or_none()
    if found is None:
        raise RequestError(f"trust {cfg.trust.id!r} has no cycle year {year}: apply the config")
    return found


def process_ids(session: Session, cfg: TrustConfig, year: int | None = None) -> dict[str, int]:
    """{process config id: row id} for the cycle year."""
    cy = cycle_year_id(session, cfg, year)
    rows = session.execute(select(Process.config_id, Process.id).where(Process.cycle_year_id == cy))
    return {cid: pid for cid, pid in rows}


def partner_ids(session: Session, cfg: TrustConfig) -> dict[str, int]:
    """{partner config id: row id} for the trust's active partners."""
    rows = session.execute(
        select(Partner.config_id, Partner.id)
        .join(Trust)
        .where(Trust.config_id == cfg.trust.id, Partner.retired_at.is_(None))
    )
    return {cid: pid for cid, pid in rows}


# --- opening ----------------------------------------------------------------------------


def check_owed(cfg: TrustConfig, owed: Owed, processes: dict[str, int],
               partners: dict[str, int]) -> None:
    """Refuse an unknown process, partner or return, naming it."""
    if owed.process not in cfg.processes or owed.process not in processes:
        raise RequestError(f"unknown process {owed.process!r}")
    if owed.partner not in cfg.partners or owed.partner not in partners:
        raise RequestError(f"unknown partner {owed.partner!r}")
    if owed.return_id not in {r.id for r in cfg.processes[owed.process].returns}:
        raise RequestError(f"process {owed.process!r} asks no return {owed.return_id!r}")


def opening_instants(dates: ProcessDates,
                     when: RequestDates | None = None) -> tuple[datetime, datetime]:
    """The deadline and cut-off instants of a request (moved for a late opening)."""
    assert dates.deadline is not None and dates.cutoff is not None
    deadline_at, cutoff_at = dates.deadline, dates.cutoff
    if when is not None and when.late:
        deadline_at = at_local(_pdate(when.deadline), deadline_at.hour, deadline_at.minute)
        cutoff_at = at_local(_pdate(when.cutoff), cutoff_at.hour, cutoff_at.minute)
    return deadline_at, cutoff_at


def new_request(session: Session, owed: Owed, dates: ProcessDates, processes: dict[str, int],
                partners: dict[str, int], *, now: datetime,
                when: RequestDates | None = None) -> RequestView:
    """Insert one open request (flushed, so it has its id and token); `when` moves a late
    request's deadline and cut-off (`late_request_dates`)."""
    deadline_at, cutoff_at = opening_instants(dates.for_return(owed.return_id), when)
    row = ContributionRequest(
        process_id=processes[owed.process],
        partner_id=partners[owed.partner],
        return_id=owed.return_id,
        deadline_at=deadline_at,
        cutoff_at=cutoff_at,
        opened_at=now,
    )
    session.add(row)
    session.flush()
    return view_of(row, owed.process, owed.partner)


def existing_keys(session: Session, process_row_ids: list[int]) -> set[tuple[int, int, str]]:
    rows = session.execute(
        select(ContributionRequest.process_id, ContributionRequest.partner_id,
               ContributionRequest.return_id)
        .where(ContributionRequest.process_id.in_(process_row_ids))
    )
    return {(a, b, c) for a, b, c in rows}


def queue_request_emails(session: Session, cfg: TrustConfig, views: list[RequestView], *,
                         now: datetime) -> list[tuple[RequestView, int]]:
    """Queue each new request's email: [(request, outbox id)]. A request whose email cannot
    be built is deleted again (the next run retries it) and the officer is alerted; every
    other partner is chased as usual."""

    built, faults = request_letters(cfg, views, now=now)  # one per person (people.py)
    failed = {f.request.id for f in faults}
    if failed:
        session.execute(delete(ContributionRequest).where(ContributionRequest.id.in_(failed)))
    outbox = enqueue_many(session, [b.email for b in built]
                          + [fault_alert(cfg, f, now=now) for f in faults])
    letter_of: dict[int, int] = {}
    for b in built:
        for v in b.items:
            letter_of.setdefault(v.id, outbox[b.email.idem_key])
    return [(v, letter_of[v.id]) for v in views if v.id not in failed]


def due_to_open(session: Session, cfg: TrustConfig, *, today: date,
                year: int | None = None) -> tuple[list[Owed], dict[str, ProcessDates]]:
    """The (process, partner, return) whose request day has come and that have no request."""
    dates = resolve_year(cfg, year)
    opens = {
        pid: (local_day(d.request), local_day(d.papers or d.publish or d.cutoff))
        for pid, d in dates.items()
        if d.request is not None and d.cutoff is not None
    }
    owed = returns_owed(cfg, requests_due_to_open(opens, today, for_trust(cfg)))
    if not owed:
        return [], dates
    processes, partners = process_ids(session, cfg, year), partner_ids(session, cfg)
    for item in owed:  # all checked before anything is written or sent
        check_owed(cfg, item, processes, partners)
    have = existing_keys(session, sorted({processes[o.process] for o in owed}))
    todo = [o for o in owed
            if (processes[o.process], partners[o.partner], o.return_id) not in have]
    return todo, dates


def opening_dates(cfg: TrustConfig, dates: ProcessDates, today: date) -> RequestDates:
    """The deadline and cut-off of a request of this process opened on `today`."""
    assert dates.request is not None and dates.deadline is not None
    assert dates.cutoff is not None
    return late_request_dates(local_day(dates.request), local_day(dates.deadline),
                              local_day(dates.cutoff), today, cfg.trust.late_request_notice,
                              for_trust(cfg))


def open_due_requests(session: Session, cfg: TrustConfig, *, now: datetime,
                      today: date | None = None,
                      year: int | None = None) -> list[tuple[RequestView, int]]:
    """Open every request due on `today` (default: `now`'s day) and queue its request
    email: [(request, outbox id)]. What is recorded carries `now`, the wall clock."""
    day = today or local_day(now)
    todo, dates = due_to_open(session, cfg, today=day, year=year)
    if not todo:
        return []
    processes, partners = process_ids(session, cfg, year), partner_ids(session, cfg)
    # Per return: a return may have a deadline of its own (`returns[].deadline`).
    when = {(o.process, o.return_id): opening_dates(cfg, dates[o.process].for_return(o.return_id),
                                                    day) for o in todo}
    views = [new_request(session, owed, dates[owed.process], processes, partners, now=now,
                         when=when[(owed.process, owed.return_id)])
             for owed in todo]
    for pid in sorted({pid for pid, _ in when}):
        late = sorted(w.deadline for (p, _), w in when.items() if p == pid and w.late)
        if late:
            record_late_step(session, cfg, pid, "request", local_day(dates[pid].request),
                             day, now, f"requests opened with deadline {late[0]}")
    return queue_request_emails(session, cfg, views, now=now)


def record_collection_closed(session: Session, cfg: TrustConfig, process: str,
                             now: datetime) -> None:
    """Audit (once per cycle year) that the process's collection closed at its cut-off."""
    year = cfg.trust.cycle_year
    seen = session.scalars(select(AuditLog.detail).where(
        AuditLog.action == "collection.closed", AuditLog.entity == "process",
        AuditLog.entity_id == process))
    if any((d or {}).get("year") == year for d in seen):
        return
    session.add(AuditLog(at=now, actor="collect-returns", action="collection.closed",
                         entity="process", entity_id=process, detail={"year": year}))


def record_late_step(session: Session, cfg: TrustConfig, process: str, step: str,
                     due: date, done: date, now: datetime, what: str) -> None:
    """Audit a step done after its day, and tell the officer (once per process and step)."""

    session.add(AuditLog(at=now, actor="catch-up", action="step.late", entity="process",
                         entity_id=process,
                         detail={"step": step, "due": due.isoformat(),
                                 "done": done.isoformat(), "what": what}))
    enqueue_many(session, [late_step_notice(cfg, process, step, due, done, what, now=now)])


# --- the ladder over every open request (set-based) -------------------------------------


@dataclass(frozen=True)
class DueRung:
    """A rung due today for one request."""

    request: RequestView
    rung: RungDay


@dataclass(frozen=True)
class Selection:
    """The chase's verdicts for today: rungs to send and requests past their cut-off."""

    due: list[DueRung]
    missing: list[RequestView]


class Ladders:
    """Rung days computed once per (process, deadline day): requests share a deadline."""

    def __init__(self, cfg: TrustConfig) -> None:
        self._cfg = cfg
        self._cache: dict[tuple[str, date], tuple[RungDay, ...]] = {}

    def __call__(self, process: str, deadline_day: date) -> tuple[RungDay, ...]:
        key = (process, deadline_day)
        if key not in self._cache:
            self._cache[key] = rung_days(self._cfg.processes[process].ladder, deadline_day,
                                         for_trust(self._cfg))
        return self._cache[key]


def _request_rows(session: Session, cfg: TrustConfig, statuses: tuple[str, ...],
                  year: int | None) -> list[RequestView]:
    raw = [type_coerce(c, _RAW_INSTANT) for c in (ContributionRequest.deadline_at,
                                                  ContributionRequest.cutoff_at,
                                                  ContributionRequest.opened_at)]
    query = (
        select(ContributionRequest.id, ContributionRequest.token, Process.config_id,
               Partner.config_id, ContributionRequest.return_id, *raw,
               ContributionRequest.status)
        .join(Process, ContributionRequest.process_id == Process.id)
        .join(Partner, ContributionRequest.partner_id == Partner.id)
        .where(Process.cycle_year_id == cycle_year_id(session, cfg, year),
               ContributionRequest.status.in_(statuses))
        .order_by(ContributionRequest.id)
    )
    return [RequestView(i, t, p, q, r, _aware(d), _aware(c), _aware(o), s)
            for i, t, p, q, r, d, c, o, s in session.execute(query)]


def _sent_rungs(session: Session, cy: int, statuses: tuple[str, ...]) -> dict[int, list[str]]:
    query = (
        select(Reminder.contribution_request_id, Reminder.rung)
        .join(ContributionRequest, Reminder.contribution_request_id == ContributionRequest.id)
        .join(Process, ContributionRequest.process_id == Process.id)
        .where(Process.cycle_year_id == cy, ContributionRequest.status.in_(statuses))
    )
    sent: dict[int, list[str]] = {}
    for rid, rung in session.execute(query):
        sent.setdefault(rid, []).append(rung)
    return sent


def select_due(session: Session, cfg: TrustConfig, *, today: date,
               year: int | None = None) -> Selection:
    """Every open request's verdict for today, in two queries (requests, rungs sent)."""
    open_ = ("open",)
    views = [v for v in _request_rows(session, cfg, open_, year)
             if v.process in cfg.processes and v.partner in cfg.partners]
    sent = _sent_rungs(session, cycle_year_id(session, cfg, year), open_)
    ladders = Ladders(cfg)
    due: list[DueRung] = []
    missing: list[RequestView] = []
    for view in views:
        rungs = ladders(view.process, view.deadline_day)
        verdict = decide(rungs, last_sent_index(rungs, sent.get(view.id, ())), today,
                         status=view.status, opened_day=view.opened_day,
                         cutoff_day=view.cutoff_day, days=for_trust(cfg))
        if verdict.action is Action.mark_missing:
            missing.append(view)
        elif verdict.rung is not None:
            due.append(DueRung(view, verdict.rung))
    return Selection(due, missing)


@dataclass(frozen=True)
class RungEmails:
    """A batch's letters, rendered: one reminder and one escalation letter per person at
    most, each listing its due rungs; and the rungs whose email cannot be built."""

    rungs: tuple[DueRung, ...]
    letters: list[Built[DueRung]]
    faults: list[MailFault]


class LetterRace(RuntimeError):
    """A parallel run (PostgreSQL, not serialised) sent some of a letter's rungs between
    this run's check and its insert: the transaction is rolled back and the batch retried."""


def rung_messages(cfg: TrustConfig, batch: list[DueRung], *, now: datetime) -> RungEmails:
    """The batch's letters, rendered (pure: no session, so no lock held while rendering)."""
    built, faults = rung_letters(cfg, batch, now=now)
    return RungEmails(tuple(batch), built, faults)


def _insert_letters(session: Session, letters: list[Built[DueRung]]) -> tuple[dict[str, int],
                                                                               set[str]]:
    """Queue the letters: (outbox id by key, the keys this call inserted)."""
    created = clock.now()
    rows = [b.email.validated_row(created) for b in letters]
    insert = dialect_insert(session)
    table = OutboxMessage.__table__
    statement = insert(table).on_conflict_do_nothing(index_elements=["idem_key"]).returning(
        table.c.idem_key, table.c.id)
    mine: dict[str, int] = {}
    for start in range(0, len(rows), 500):
        mine.update((k, i) for k, i in session.execute(statement, rows[start:start + 500]))
    ids = dict(mine)
    others = [b.email.idem_key for b in letters if b.email.idem_key not in mine]
    for start in range(0, len(others), 500):
        ids.update((k, i) for k, i in session.execute(
            select(table.c.idem_key, table.c.id)
            .where(table.c.idem_key.in_(others[start:start + 500]))))
    return ids, set(mine)


def record_rungs(session: Session, cfg: TrustConfig, batch: list[DueRung], *,
                 now: datetime, emails: RungEmails | None = None) -> list[int]:
    """Queue the batch's letters and a `Reminder` row per rung in the caller's transaction;
    the outbox ids of the letters this call queued.

    UNIQUE(request, rung) is the guarantee a rung is never sent twice: a parallel run's
    rows win (`ON CONFLICT DO NOTHING` on the reminder and the letter's key). A letter
    whose rungs all went with a parallel run is not queued; one that lost only some raises
    `LetterRace` (roll back, retry). `emails`, if given, are `rung_messages(cfg, batch,
    now=now)` rendered before the transaction began; rungs sent or answered since are
    taken out and those letters rendered again. A rung whose email cannot be built gets no
    `Reminder` (it stays due) and alerts the officer.
    """

    ids = [d.request.id for d in batch]
    have = set(session.execute(
        select(Reminder.contribution_request_id, Reminder.rung)
        .where(Reminder.contribution_request_id.in_(ids))
    ).tuples())
    still_open = set(session.scalars(
        select(ContributionRequest.id).where(ContributionRequest.id.in_(ids),
                                             ContributionRequest.status == "open")
    ))
    # Sent by a parallel run, or returned since the selection: skipped.
    todo = [d for d in batch
            if (d.request.id, d.rung.name) not in have and d.request.id in still_open]
    if emails is None or list(emails.rungs) != todo:
        emails = rung_messages(cfg, todo, now=now)
    if emails.faults:
        enqueue_many(session, [fault_alert(cfg, f, now=now) for f in emails.faults])
    if not emails.letters:
        return []
    outbox, mine = _insert_letters(session, emails.letters)
    sent_on = local_day(now)
    rows: dict[tuple[int, str], dict[str, object]] = {}
    for b in emails.letters:  # a rung in several letters (a partner's contacts) is one row
        for d in b.items:
            rows.setdefault((d.request.id, d.rung.name), {
                "contribution_request_id": d.request.id, "rung": d.rung.name,
                "sent_on": sent_on, "outbox_message_id": outbox[b.email.idem_key]})
    insert = dialect_insert(session)
    table = Reminder.__table__
    statement = insert(table).on_conflict_do_nothing(
        index_elements=["contribution_request_id", "rung"]
    ).returning(table.c.contribution_request_id, table.c.rung)
    values = list(rows.values())
    inserted: set[tuple[int, str]] = set()
    for start in range(0, len(values), 500):
        inserted.update((r, g) for r, g in session.execute(statement, values[start:start + 500]))
    return _settle(session, emails.letters, outbox, mine, inserted)


def _settle(session: Session, letters: list[Built[DueRung]], outbox: dict[str, int],
            mine: set[str], inserted: set[tuple[int, str]]) -> list[int]:
    """The letters this call queued; a letter of rungs a parallel run sent is withdrawn."""
    queued: set[int] = set()
    withdrawn: list[int] = []
    for b in letters:
        got = [(d.request.id, d.rung.name) in inserted for d in b.items]
        if all(got):
            queued.add(outbox[b.email.idem_key])
        elif any(got):
            raise LetterRace(f"a parallel run sent part of letter {b.email.idem_key}")
        elif b.email.idem_key in mine:
            withdrawn.append(outbox[b.email.idem_key])
    if withdrawn:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(withdrawn)))
    return sorted(queued)


def mark_missing(session: Session, cfg: TrustConfig, views: list[RequestView], *,
                 now: datetime, actor: str, year: int | None = None) -> list[int]:
    """Mark open requests past their cut-off missing; queue the officer's report per process."""
    ids = [v.id for v in views]
    if not ids:
        return []
    changed = set(session.scalars(
        update(ContributionRequest)
        .where(ContributionRequest.id.in_(ids), ContributionRequest.status == "open")
        .values(status=RequestStatus.missing.value)
        .returning(ContributionRequest.id)
    ))
    for view in views:
        if view.id in changed:
            session.add(AuditLog(at=now, actor=actor, action="request.missing",
                                 entity="contribution_request", entity_id=str(view.id),
                                 detail={"cutoff": view.cutoff_at.isoformat()}))
    processes = process_ids(session, cfg, year)
    queued: list[int] = []
    for process in sorted({v.process for v in views}):
        queued.append(officer_report(session, cfg, process, processes[process], now=now))
    session.flush()
    return queued


def officer_report(session: Session, cfg: TrustConfig, process: str, process_row_id: int, *,
                   now: datetime) -> int:
    """Queue (once) the officer's list of a process's missing returns; the outbox id."""

    rows = session.execute(
        select(ContributionRequest, Partner.config_id)
        .join(Partner, ContributionRequest.partner_id == Partner.id)
        .where(ContributionRequest.process_id == process_row_id)
        .order_by(Partner.config_id, ContributionRequest.return_id)
    ).all()
    last = {rid: day for rid, day in session.execute(
        select(Reminder.contribution_request_id, func.max(Reminder.sent_on))
        .join(ContributionRequest)
        .where(ContributionRequest.process_id == process_row_id)
        .group_by(Reminder.contribution_request_id)
    )}
    missing = [(view_of(r, process, pid), str(last[r.id]) if r.id in last else None)
               for r, pid in rows if r.status == RequestStatus.missing.value]
    counts = {s: sum(1 for r, _ in rows if r.status == s) for s in ("received", "waived")}
    message = missing_returns_report(session, cfg, process, process_row_id, missing,
                                     received=counts["received"], waived=counts["waived"],
                                     now=now)
    return message.id


# --- the officer's table ----------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    """One request as the officer sees it in the Prefect UI."""

    process: str
    partner: str
    return_id: str
    status: str
    last_reminder: str | None
    next_rung: str | None
    next_rung_on: date | None


def request_table(session: Session, cfg: TrustConfig, *, today: date,
                  year: int | None = None, process: str | None = None) -> list[TableRow]:
    """Every request of the cycle year: status, last rung sent, next rung and its day."""
    statuses = tuple(s.value for s in RequestStatus)
    views = [v for v in _request_rows(session, cfg, statuses, year)
             if process is None or v.process == process]
    sent = _sent_rungs(session, cycle_year_id(session, cfg, year), statuses)
    ladders = Ladders(cfg)
    out: list[TableRow] = []
    for v in views:
        rungs = ladders(v.process, v.deadline_day) if v.process in cfg.processes else ()
        last = last_sent_index(rungs, sent.get(v.id, ()))
        upcoming = next_rung(rungs, last, today) if v.status == "open" else None
        out.append(TableRow(v.process, v.partner, v.return_id, v.status,
                            rungs[last].name if last >= 0 else None,
                            upcoming.name if upcoming else None,
                            upcoming.day if upcoming else None))
    return out
