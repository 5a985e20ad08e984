"""`trustcycle doctor`: one line per check, OK or what to do; exit status 1 if any FAIL.

The shell around `trustcycle.doctor`: it reads what only Prefect knows (the API URL and
auth string from Prefect's settings, the SMTP password and portal secret from Secret
blocks, the deployments a configuration registers) and hands them to the checks.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from trustcycle.calendar import clock
from trustcycle.cli import UserError
from trustcycle.doctor.findings import (
    PORTAL_SECRET_ENV,
    SMTP_PASSWORD_ENV,
    Finding,
    Status,
    exit_status,
    fail,
    skip,
)

if TYPE_CHECKING:
    from trustcycle.config import TrustConfig
    from trustcycle.doctor.services import PrefectApi

CHECKS = ("timezone", "clock", "database", "mail", "portal", "prefect")
SERVE_API = "http://127.0.0.1:4200/api"  # what `trustcycle serve` starts by default


def _prefect_api() -> PrefectApi:
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

    from trustcycle.doctor.services import PrefectApi

    auth = PREFECT_API_AUTH_STRING.value()
    secret = auth.get_secret_value() if hasattr(auth, "get_secret_value") else auth
    return PrefectApi(str(PREFECT_API_URL.value() or SERVE_API).rstrip("/"), secret or None)


def _deployment_names(cfg: TrustConfig) -> list[str]:
    from deployments.build import plan

    return [p.name for p in plan(cfg)]


def _smtp_password(api_up: bool) -> tuple[str | None, str | None]:
    """The password and, when it could not be looked for everywhere, why."""
    from trustcycle.mail.settings import SmtpSettingsError, load_smtp_settings

    try:
        settings = load_smtp_settings()
    except SmtpSettingsError:
        return None, None  # check_mail reports the settings themselves
    if not settings.user:
        return None, None
    if api_up:
        from tasks.mail import smtp_password  # the Secret block first, as the outbox does

        return smtp_password(settings), None
    env = os.environ.get(SMTP_PASSWORD_ENV) or None
    return env, (None if env else "no Prefect API to read the Secret block "
                 "trustcycle-smtp-password from, and TRUSTCYCLE_SMTP_PASSWORD is not set")


def _portal_secret(block: str | None, api_up: bool) -> str | None:
    if os.environ.get(PORTAL_SECRET_ENV) or not block or not api_up:
        return os.environ.get(PORTAL_SECRET_ENV)
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(block).get())
    except Exception:  # noqa: BLE001 - a missing block reads as no secret, said by the check
        return None


def _shift_days() -> int | Finding:
    try:
        clock.SystemClock().now()  # validates the setting
    except ValueError as exc:
        return fail("clock", str(exc))
    value = os.environ.get(clock.SHIFT_ENV, "").strip()
    return int(value) if value else 0


def run_checks(config_dir: Path, skipped: set[str], portal_block: str | None) -> list[Finding]:
    """Every check, in the order an officer fixes things."""
    # Lazy: every command's parser is built at start, and these pull in the mail and DB code.
    from trustcycle.db.session import database_url
    from trustcycle.doctor.local import check_config, check_timezone
    from trustcycle.doctor.services import (
        check_clock,
        check_database,
        check_mail,
        check_portal,
        check_prefect,
    )

    config, cfg = check_config(config_dir)
    findings = [config]
    year = cfg.trust.cycle_year if cfg is not None else clock.today().year
    if "timezone" not in skipped:
        findings.append(check_timezone(year))
    api = _prefect_api()
    prefect: list[Finding] = []
    server_now = None
    if "prefect" not in skipped:
        if cfg is None:
            prefect = [skip("prefect", "fix the configuration first (it names the deployments)")]
        else:
            prefect, server_now = check_prefect(api, _deployment_names(cfg))
    api_up = bool(prefect) and prefect[0].status is Status.OK
    if "clock" not in skipped:
        shift = _shift_days()
        findings.append(shift if isinstance(shift, Finding) else check_clock(
            clock.wall_now(), server_now, same_machine=api.on_this_machine, shift_days=shift))
    if "database" not in skipped:
        findings.append(check_database(database_url()))
    if "mail" not in skipped:
        password, note = _smtp_password(api_up)
        findings.append(check_mail(password, password_note=note))
    if "portal" not in skipped and cfg is not None:
        findings.append(check_portal(cfg.trust.portal_url, _portal_secret(portal_block, api_up)))
    return findings + prefect


def _skipped(text: str | None) -> set[str]:
    chosen = {c.strip() for c in (text or "").split(",") if c.strip()}
    unknown = sorted(chosen - set(CHECKS))
    if unknown:
        raise UserError(f"--skip {unknown[0]}: choose from {', '.join(CHECKS)}")
    return chosen


def _skipped_note(skipped: set[str]) -> str:
    return f" (skipped: {', '.join(sorted(skipped))})" if skipped else ""


def _doctor(args: argparse.Namespace) -> int:
    skipped = _skipped(args.skip)
    findings = run_checks(Path(args.config), skipped, args.portal_secret_block)
    for finding in findings:
        print(finding.line())
    counts = {s: sum(f.status is s for f in findings) for s in Status}
    status = exit_status(findings, strict=args.strict)
    verdict = "all in order" if not status else "fix the FAIL lines" + (
        " and WARN lines (--strict)" if args.strict and not counts[Status.FAIL] else "")
    print(f"{len(findings)} checks: {counts[Status.OK]} OK, {counts[Status.WARN]} WARN, "
          f"{counts[Status.FAIL]} FAIL, {counts[Status.SKIP]} SKIP"
          f"{_skipped_note(skipped)}: {verdict}")
    return status


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("doctor", help="check the set-up: config, database, mail, Prefect...")
    cmd.add_argument("--skip", metavar="CHECKS",
                     help=f"comma-separated checks to leave out: {', '.join(CHECKS)}")
    cmd.add_argument("--strict", action="store_true", help="a WARN fails too (exit status 1)")
    cmd.add_argument("--portal-secret-block", default=None,
                     help="Prefect Secret block holding the portal secret (as `portal` uses)")
    cmd.set_defaults(handler=_doctor)
