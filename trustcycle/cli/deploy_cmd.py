"""`trustcycle deploy`: every trust's deployments on a Prefect work pool, for workers."""

from __future__ import annotations

import argparse
from pathlib import Path

from trustcycle.cli import UserError

DEFAULT_TRUSTS = Path("trusts")


def _deploy(args: argparse.Namespace) -> int:
    # Lazy: the CLI is the only part of `trustcycle` that may reach Prefect and `deployments`.
    from deployments.pool import deploy_trusts, ensure_automations

    if args.heartbeat is not None and args.heartbeat < 30:
        raise UserError("--heartbeat: at least 30 seconds (Prefect's minimum)")
    deployed = deploy_trusts(args.trusts, args.pool, args.repository, args.branch, args.year)
    for name in ensure_automations(args.heartbeat):
        print(f"automation created: {name}")
    _relay_limit()
    for trust in deployed:
        print(f"{trust.trust_id}: {len(trust.names)} deployments on pool {args.pool} "
              f"(tag {trust.trust_id}): {', '.join(trust.names)}")
    return 0


def _relay_limit() -> None:
    """The relay's rate limit, created or set before any worker delivers (each delivery
    also makes sure of it): only with TRUSTCYCLE_SMTP_MAX_PER_SECOND."""
    from tasks.mail import RELAY_LIMIT, ensure_relay_limit
    from trustcycle.mail.settings import SmtpSettingsError, load_smtp_settings

    try:
        rate = load_smtp_settings().max_per_second
    except SmtpSettingsError as exc:
        raise UserError(str(exc)) from None
    if rate:
        ensure_relay_limit(rate)
        print(f"rate limit {RELAY_LIMIT}: {rate:g} messages a second for every worker")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    deploy = sub.add_parser(
        "deploy", help="register every trust's deployments on a Prefect work pool"
    )
    deploy.add_argument("--pool", required=True, help="the process work pool's name")
    deploy.add_argument(
        "--trusts", type=Path, default=DEFAULT_TRUSTS,
        help="the folder of trusts, one configuration folder per trust (default: trusts)",
    )
    deploy.add_argument(
        "--repository", default=None,
        help="git URL of the trusts folder: each run clones it (else the folder itself, "
        "at the same path on every worker)",
    )
    deploy.add_argument("--branch", default=None, help="the repository's branch")
    deploy.add_argument("--year", type=int, default=None,
                        help="cycle year (default: the current and the next)")
    deploy.add_argument(
        "--heartbeat", type=int, default=None, metavar="SECONDS",
        help="the workers' PREFECT_FLOWS_HEARTBEAT_FREQUENCY: a run silent for 2.5 times "
        "this is marked crashed and retried (a crashed run is always retried)",
    )
    deploy.set_defaults(handler=_deploy)
