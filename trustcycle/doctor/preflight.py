"""The checks `trustcycle serve` runs before it starts anything.

The Prefect checks are left out (serve starts or waits for the server itself), and so is
the clock (nothing to compare with yet). A FAIL that `blocks_serving` stops serve; every
other finding is printed and serve goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from trustcycle.db.session import database_url
from trustcycle.doctor.findings import PORTAL_SECRET_ENV, SMTP_PASSWORD_ENV, Finding, Status
from trustcycle.doctor.local import check_config, check_timezone
from trustcycle.doctor.services import check_database, check_mail, check_portal


def preflight(config_dir: Path, report: Callable[[str], None] = print) -> list[Finding]:
    """Run the local checks, `report` each line, and return the findings."""
    config, cfg = check_config(Path(config_dir))
    findings = [config]
    if cfg is not None:
        findings.append(check_timezone(cfg.trust.cycle_year))
    findings.append(check_database(database_url()))
    findings.append(check_mail(os.environ.get(SMTP_PASSWORD_ENV) or None,
                               password_note="the password may be in the Prefect Secret "
                               "block, read once the server is up (`trustcycle doctor` then)"))
    if cfg is not None:
        findings.append(check_portal(cfg.trust.portal_url, os.environ.get(PORTAL_SECRET_ENV)))
    for finding in findings:
        report(finding.line())
    return findings


def blocking(findings: list[Finding]) -> list[Finding]:
    """The failures that make serving impossible."""
    return [f for f in findings if f.status is Status.FAIL and f.blocks_serving]
