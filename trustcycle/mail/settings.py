"""SMTP settings from the environment (`TRUSTCYCLE_SMTP_*`, `TRUSTCYCLE_MAIL_FROM`).

With no `TRUSTCYCLE_SMTP_HOST` the embedded default is used: the project's own loopback
sink (`trustcycle.mail.sink`), which writes every message as an `.eml` file under
`var/mail/`. A real host must come with an explicit sender address (STYLE rule 4: no
silent defaults for anything that sends mail).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only for the embedded sink, which never leaves the machine.
SINK_MAIL_FROM = "trustcycle@trustcycle.local"


class SmtpSettings(BaseSettings):
    """Where and how trustcycle sends email; the password is a secret, never logged."""

    model_config = SettingsConfigDict(env_prefix="TRUSTCYCLE_SMTP_", extra="ignore")

    host: str | None = Field(None, description="SMTP host; empty for the embedded sink")
    port: int | None = Field(None, description="SMTP port; default 465 with SSL, else 587")
    user: str | None = Field(None, description="login user; empty to skip login")
    password: SecretStr | None = Field(None, description="login password (or Secret block)")
    starttls: bool = Field(False, description="upgrade the connection with STARTTLS")
    ssl: bool = Field(False, description="connect over implicit TLS (SMTPS)")
    timeout: float = Field(30.0, description="socket timeout in seconds")
    mail_from: str | None = Field(
        None,
        validation_alias=AliasChoices("TRUSTCYCLE_MAIL_FROM", "mail_from"),
        description="the From address of every message",
    )
    sink_dir: Path = Field(
        Path("var/mail"),
        validation_alias=AliasChoices("TRUSTCYCLE_MAIL_SINK_DIR", "sink_dir"),
        description="where the embedded sink writes .eml files",
    )

    @model_validator(mode="after")
    def _coherent(self) -> SmtpSettings:
        if self.host and not self.mail_from:
            raise ValueError("TRUSTCYCLE_MAIL_FROM is required when TRUSTCYCLE_SMTP_HOST is set")
        if self.ssl and self.starttls:
            raise ValueError("TRUSTCYCLE_SMTP_SSL and TRUSTCYCLE_SMTP_STARTTLS exclude each other")
        return self

    @property
    def uses_sink(self) -> bool:
        """True when no host is configured and the embedded loopback sink receives mail."""
        return not self.host

    @property
    def sender_address(self) -> str:
        """The From address: the configured one, or the sink's local placeholder."""
        return self.mail_from or SINK_MAIL_FROM
