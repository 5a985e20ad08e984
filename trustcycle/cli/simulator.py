"""Drive a simulated cycle year: visit each planned day, let scripted partners answer,
run the cycle driver flow in Prefect, then write the drafts and the summary.

An entrypoint shell (it imports the flows), kept out of the domain modules.
"""

from __future__ import annotations

import os
import secrets
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import pendulum
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from sqlalchemy import func, select

from flows.cycle import run_cycle
from tasks.chase import read_config, shared_database
from trustcycle.attendance import import_scenario_attendance
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.calendar.timeline import timeline
from trustcycle.chasing.report import ProcessSummary, emails_sent, summary_json, year_summary
from trustcycle.chasing.requests import partner_ids, process_ids
from trustcycle.config.loader import TrustConfig
from trustcycle.db import Database
from trustcycle.db.models import ContributionRequest, Draft, Process
from trustcycle.mail.sink import MailSink
from trustcycle.simulation import ScriptedReturn, days_to_visit, scripted_returns

ANSWER_HOUR = 8  # scripted partners answer before the 09:00 chase
CYCLE_HOUR = 9  # the cycle driver's hour on each visited day


@dataclass
class SimulationResult:
    summary: dict[str, object]
    report: str


class ScriptedPartners:
    """Scripted partners answering through the portal's own submission path (in-process
    ASGI: the same forms, validation, storage and receipt as a partner's browser)."""

    BASE_URL = "http://127.0.0.1:8080"

    def __init__(self, db: Database, cfg: TrustConfig, year: int, uploads: Path) -> None:
        from trustcycle.portal.app import create_app

        self.db, self.cfg, self.year = db, cfg, year
        self.secret = os.environ.setdefault("TRUSTCYCLE_PORTAL_SECRET", secrets.token_urlsafe(48))
        # The scripted partners talk plain http in-process: a trust whose emailed links are
        # https would otherwise get Secure cookies its own simulated partners never send.
        self.app = create_app(db, cfg, self.secret, uploads, secure_cookies=False)

    def _token(self, answer: ScriptedReturn) -> str | None:
        with self.db.session_factory() as session:
            process = process_ids(session, self.cfg, self.year)[answer.process]
            partner = partner_ids(session, self.cfg)[answer.partner]
            return session.scalar(
                select(ContributionRequest.token).where(
                    ContributionRequest.process_id == process,
                    ContributionRequest.partner_id == partner,
                    ContributionRequest.return_id == answer.return_id,
                )
            )

    def answer(self, answer: ScriptedReturn) -> None:
        """Submit one scripted return at 08:30 on its day, before the 09:00 chase."""
        from trustcycle.chasing.links import config_cycle_end, token_link
        from trustcycle.portal.scripted import submit_scripted

        assert answer.day is not None
        with use_clock(FixedClock.on(answer.day, ANSWER_HOUR, 30)):
            token = self._token(answer)
            if token is None:
                raise RuntimeError(f"{answer}: no request open to answer")
            link = token_link(
                self.BASE_URL, token, config_cycle_end(self.cfg, self.year), self.secret.encode()
            )
            result = submit_scripted(self.app, link, self.cfg, answer.process, answer.partner)
        if not result.ok:
            raise RuntimeError(f"{answer}: the portal answered {result.status}")


def _write_drafts(db: Database, cfg: TrustConfig, year: int, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with db.session_factory() as session:
        ids = process_ids(session, cfg, year)
        latest = (
            select(Draft.process_id, func.max(Draft.version).label("v"))
            .where(Draft.process_id.in_(ids.values()))
            .group_by(Draft.process_id)
            .subquery()
        )
        rows = session.execute(
            select(Process.config_id, Draft.version, Draft.format, Draft.content)
            .join(latest, (latest.c.process_id == Draft.process_id) & (latest.c.v == Draft.version))
            .join(Process, Process.id == Draft.process_id)
        ).all()
    for config_id, version, fmt, content in rows:
        (out / f"{config_id}-{year}-v{version}.{fmt}").write_bytes(content)
    return len(rows)


def _report(cfg: TrustConfig, year: int, summary: dict[str, object]) -> str:
    lines = [f"{cfg.trust.name}: cycle year {year}-{(year + 1) % 100:02d}", ""]
    head = ("process", *(f.name for f in fields(ProcessSummary)))
    lines.append(f"{head[0]:<26}" + "".join(f"{h:>14}" for h in head[1:]))
    processes = summary["processes"]
    assert isinstance(processes, dict)
    for pid, counts in processes.items():
        lines.append(f"{pid:<26}" + "".join(f"{counts[h]:>14}" for h in head[1:]))
    lines += ["", f"emails sent: {summary['emails']}", "", "Timeline:"]
    for step in timeline(cfg, year):
        lines.append(
            f"  {step.at.format('YYYY-MM-DD ddd HH:mm')}  {step.process:<32} "
            f"{step.name:<22} {step.body or '-'}"
        )
    return "\n".join(lines)


@contextmanager
def environ(updates: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the simulation, and put them back afterwards."""
    before = {k: os.environ.get(k) for k in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_simulation(
    config_dir: Path, out: Path, year: int, *, progress: bool = True
) -> SimulationResult:
    """Simulate the cycle year `year` of the configuration in `config_dir` into `out`."""
    # The flows' own configuration and engine: one parse and one pool for the whole year.
    cfg = read_config(config_dir)
    db_url = f"sqlite:///{out / 'trustcycle.db'}"
    db = shared_database(db_url)
    answers: dict[pendulum.Date, list[ScriptedReturn]] = defaultdict(list)
    for answer in scripted_returns(cfg, year):
        if answer.day is not None:
            answers[answer.day].append(answer)
    days = days_to_visit(cfg, year)
    with (
        ExitStack() as stack,
        MailSink(out / "mail") as sink,
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        stack.enter_context(environ(
            {
                # Settings, not run parameters: the simulator's own database, inbox and
                # dry-run folder, and drafts approved at once.
                "TRUSTCYCLE_DATABASE_URL": db_url,
                "TRUSTCYCLE_SIGNOFF": "auto",
                "TRUSTCYCLE_INBOX_DIR": str(out / "inbox"),
                "TRUSTCYCLE_DRY_RUN_DIR": str(out / "mail" / "dry-run"),
                "TRUSTCYCLE_PUBLIC_DIR": str(out / "public"),  # what publication writes
                "TRUSTCYCLE_SMTP_HOST": sink.host,
                "TRUSTCYCLE_SMTP_PORT": str(sink.port),
                "TRUSTCYCLE_MAIL_FROM": cfg.trust.officer.email,
            }
        ))
        partners = ScriptedPartners(db, cfg, year, out / "uploads")
        first = FixedClock.on(days[0], ANSWER_HOUR)  # last year's attendance, recorded first
        with use_clock(first), db.sessions.begin() as session:
            import_scenario_attendance(session, cfg, now=first.now())
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(days), unit="day", dynamic_ncols=True)
        for day in days:
            if bar is not None:
                bar.set_description(day.format("YYYY-MM-DD ddd"))
            for answer in answers.get(day, []):
                partners.answer(answer)
            # The simulator's virtual day is the wall clock of everything it records and
            # sends (the two clocks agree here, and only here).
            with use_clock(FixedClock.on(day, CYCLE_HOUR)):
                run_cycle(as_of=day, config_dir=str(config_dir), cycle_year=year)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
    _write_drafts(db, cfg, year, out / "drafts")
    with db.session_factory() as session:
        summary = summary_json(year_summary(session, cfg, year), emails_sent(session))
    db.dispose()
    return SimulationResult(summary, _report(cfg, year, summary))
