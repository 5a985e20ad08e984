"""`trustcycle config check|apply|schema`."""

from __future__ import annotations

import argparse
from pathlib import Path

from trustcycle.trust import load_config


def _check(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    print(
        f"{args.config}: ok: {cfg.trust.name}, {len(cfg.partners)} partners, "
        f"{len(cfg.bodies)} bodies, {len(cfg.processes)} processes"
    )
    return 0


def _apply(args: argparse.Namespace) -> int:
    from trustcycle.db.apply import apply_config
    from trustcycle.db.session import Database

    cfg = load_config(args.config)  # validated in full before the database is opened
    db = Database.from_url()
    with db.session_factory.begin() as session:
        report = apply_config(session, cfg, actor=args.actor)
    print(report)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from trustcycle.config.json_schema import SCHEMA_DIR, write_schemas

    out = args.out if args.out is not None else Path(args.config) / SCHEMA_DIR
    for path in write_schemas(out):
        print(f"wrote {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("config", help="check or apply the configuration")
    verbs = cmd.add_subparsers(dest="verb", required=True)
    verbs.add_parser("check", help="validate every file").set_defaults(handler=_check)
    apply = verbs.add_parser("apply", help="load the configuration into the database")
    apply.add_argument("--actor", default="cli", help="who applies it (audit log)")
    apply.set_defaults(handler=_apply)
    schema = verbs.add_parser("schema", help="write the JSON Schema editors use for the YAML")
    schema.add_argument("--out", type=Path, default=None,
                        help="folder to write to (default: the configuration's schema/)")
    schema.set_defaults(handler=_schema)
