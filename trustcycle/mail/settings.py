"""SMTP settings from the environment (`TRUSTCYCLE_SMTP_*`, `TRUSTCYCLE_MAIL_FROM`).

With no `TRUSTCYCLE_SMTP_HOST` the embedded default is used: the project's own loopback
sink (`trustcycle.mail.sink`), which writes every message as an `.eml` file under
`var/mail/`. A real host must come with an explicit sender address (STYLE rule 4: no
silent defaults for anything that sends mail).

TLS to the relay is verified (README, "Your council's relay"): the system's CA store, or
`TRUSTCYCLE_SMTP_CA_FILE` for a council's private CA (OpenSSL also reads `SSL_CERT_FILE`),
and the certificate must name the host. The one opt-out,
`TRUSTCYCLE_SMTP_INSECURE_LOOPBACK_TLS`, is refused for anything but a loopback relay.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only for the embedded sink, which never leaves the machine.
SINK_MAIL_FROM = "trustcycle@trustcycle.local"


class SmtpSettingsError(ValueError):
    """The SMTP settings are unusable: one line per problem, naming the variable."""


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: a relay that never leaves the machine."""
    if not host:
        return True
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SmtpSettings(BaseSettings):
    """Where and how trustcycle sends email; the password is a secret, never logged."""

    model_config = SettingsConfigDict(env_prefix="TRUSTCYCLE_SMTP_", extra="ignore")

    host: str | None = Field(None, description="SMTP host; empty for the embedded sink")
    port: int | None = Field(None, description="SMTP port; default 465 with SSL, else 587")
    user: str | None = Field(
        None, description="login user, sent to the relay exactly as given; empty: no login"
    )
    password: SecretStr | None = Field(None, description="login password (or Secret block)")
    starttls: bool = Field(False, description="upgrade the connection with STARTTLS (587)")
    ssl: bool = Field(False, description="connect over implicit TLS (SMTPS, 465)")
    ca_file: Path | None = Field(
        None, description="PEM file of the CA(s) to trust instead of the system store"
    )
    insecure_loopback_tls: bool = Field(
        False, description="skip certificate checks; allowed for a loopback relay only"
    )
    timeout: float = Field(30.0, description="socket timeout in seconds")
    max_per_second: float | None = Field(
        None,
        gt=0,
        description="the relay's rate for every deliverer together (a Prefect rate limit, "
        "trustcycle-smtp); empty: no limit",
    )
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
        if self.insecure_loopback_tls and not is_loopback(self.host):
            raise ValueError(
                f"TRUSTCYCLE_SMTP_INSECURE_LOOPBACK_TLS is refused for {self.host}: only a "
                "loopback relay (127.0.0.1, ::1, localhost) may skip certificate checks"
            )
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ValueError(f"TRUSTCYCLE_SMTP_CA_FILE: no such file: {self.ca_file}")
        if self.user and not (self.ssl or self.starttls) and not is_loopback(self.host):
            raise ValueError(
                "TRUSTCYCLE_SMTP_USER is set without TRUSTCYCLE_SMTP_STARTTLS or "
                "TRUSTCYCLE_SMTP_SSL: the password would cross the network unencrypted"
            )
        return self

    @property
    def uses_sink(self) -> bool:
        """True when no host is configured and the embedded loopback sink receives mail."""
        return not self.host

    @property
    def sender_address(self) -> str:
        """The From address: the configured one, or the sink's local placeholder."""
        return self.mail_from or SINK_MAIL_FROM

    @property
    def uses_tls(self) -> bool:
        """True when the connection to the relay is encrypted (STARTTLS or implicit TLS)."""
        return self.ssl or self.starttls

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context for the relay: certificate and host name verified, from the
        system store (which honours `SSL_CERT_FILE`) or `ca_file`."""
        if self.insecure_loopback_tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        cafile = str(self.ca_file) if self.ca_file is not None else None
        return ssl.create_default_context(cafile=cafile)


def load_smtp_settings() -> SmtpSettings:
    """`SmtpSettings()` from the environment, or one line per problem (never a traceback)."""
    try:
        return SmtpSettings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            where = _ENV_NAMES.get(field, f"TRUSTCYCLE_SMTP_{field.upper()}") if field else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{where + ': ' if where else 'SMTP settings: '}{message}")
        raise SmtpSettingsError("\n".join(lines)) from None


_ENV_NAMES = {"mail_from": "TRUSTCYCLE_MAIL_FROM", "sink_dir": "TRUSTCYCLE_MAIL_SINK_DIR"}
