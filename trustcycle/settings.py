"""Run settings from the environment: what an installation decides, not an officer's form.

The database and the way drafts are signed off are properties of the installation (a
council's server, the simulator, a test), so they are settings, never fields of a run form
in the Prefect UI where a wrong value would send papers unapproved or write elsewhere.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SignOffMode = Literal["ui", "auto"]


class RunSettings(BaseSettings):
    """`TRUSTCYCLE_SIGNOFF` and friends; read afresh by each run."""

    model_config = SettingsConfigDict(env_prefix="TRUSTCYCLE_", extra="ignore")

    signoff: SignOffMode = Field(
        "ui",
        description="ui: the contact officer approves each draft in the Prefect UI; "
        "auto: approved at once (the simulator only)",
    )
    inbox_dir: str = Field("var/inbox", description="files dropped here are swept as returns")
    dry_run_dir: str = Field(
        "var/mail/dry-run", description="where a dry run writes the mail it would send"
    )


def run_settings() -> RunSettings:
    """The settings as the environment has them now."""
    return RunSettings()
