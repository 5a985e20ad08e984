"""The officer's views in the Prefect UI that more than one flow leaves."""

from __future__ import annotations

from prefect.artifacts import create_table_artifact

from trustcycle.outbox.preview import PreviewLine


def publish_mail_preview(lines: list[PreviewLine], description: str) -> None:
    """A dry run's mail as a table artifact: to, cc, subject, rung, kind and the `.eml` file."""
    table = [{"to": x.to, "cc": x.cc or "none", "subject": x.subject, "rung": x.rung or "none",
              "kind": x.kind, "file": x.file} for x in lines]
    create_table_artifact(
        table=table or [{"to": "none", "cc": "none", "subject": "(no mail would be sent)",
                         "rung": "none", "kind": "none", "file": "none"}],
        key="dry-run-mail", description=description)
