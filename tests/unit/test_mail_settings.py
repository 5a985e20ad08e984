"""SMTP settings from the environment: the password never shows, the sink is the default."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from trustcycle.mail.settings import SmtpSettings, SmtpSettingsError, load_smtp_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HOST", "PORT", "USER", "PASSWORD", "STARTTLS", "SSL", "CA_FILE", "INSECURE_LOOPBACK_TLS"
    ):
        monkeypatch.delenv(f"TRUSTCYCLE_SMTP_{name}", raising=False)
    monkeypatch.delenv("TRUSTCYCLE_MAIL_FROM", raising=False)


def test_no_host_means_the_embedded_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SmtpSettings()
    assert settings.uses_sink
    assert settings.sender_address.endswith("@trustcycle.local")


def test_the_password_is_never_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SMTP_HOST", "smtp.example.gov.uk")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_USER", "trust")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_STARTTLS", "true")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("TRUSTCYCLE_MAIL_FROM", "trust@example.gov.uk")
    settings = SmtpSettings()
    assert "hunter2-secret" not in repr(settings) + str(settings)
    assert settings.password is not None
    assert settings.password.get_secret_value() == "hunter2-secret"


def test_a_real_host_without_a_from_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SMTP_HOST", "smtp.example.gov.uk")
    with pytest.raises(ValidationError, match="TRUSTCYCLE_MAIL_FROM"):
        SmtpSettings()


def test_ssl_and_starttls_together_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SMTP_SSL", "true")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_STARTTLS", "true")
    with pytest.raises(ValidationError, match="exclude each other"):
        SmtpSettings()


def relay(monkeypatch: pytest.MonkeyPatch, host: str = "smtp.example.gov.uk", **env: str) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SMTP_HOST", host)
    monkeypatch.setenv("TRUSTCYCLE_MAIL_FROM", "trust@example.gov.uk")
    for name, value in env.items():
        monkeypatch.setenv(f"TRUSTCYCLE_SMTP_{name.upper()}", value)


def test_tls_is_verified_against_the_system_store_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay(monkeypatch, starttls="true")
    context = SmtpSettings().tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_skipping_certificate_checks_is_refused_for_a_relay_off_this_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay(monkeypatch, starttls="true", insecure_loopback_tls="true")
    with pytest.raises(SmtpSettingsError) as refused:
        load_smtp_settings()
    assert str(refused.value) == (
        "SMTP settings: TRUSTCYCLE_SMTP_INSECURE_LOOPBACK_TLS is refused for "
        "smtp.example.gov.uk: only a loopback relay (127.0.0.1, ::1, localhost) may skip "
        "certificate checks"
    )
    relay(monkeypatch, host="127.0.0.1", starttls="true", insecure_loopback_tls="true")
    assert SmtpSettings().tls_context().verify_mode == ssl.CERT_NONE


def test_a_login_without_tls_to_a_relay_off_this_machine_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay(monkeypatch, user="trust", password="x")
    with pytest.raises(SmtpSettingsError, match="the password would cross the network"):
        load_smtp_settings()


def test_a_missing_ca_file_or_a_bad_port_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    relay(monkeypatch, starttls="true", ca_file=str(tmp_path / "council-ca.pem"))
    with pytest.raises(SmtpSettingsError) as missing:
        load_smtp_settings()
    assert str(missing.value) == (
        f"SMTP settings: TRUSTCYCLE_SMTP_CA_FILE: no such file: {tmp_path / 'council-ca.pem'}"
    )
    relay(monkeypatch, port="submission")
    monkeypatch.delenv("TRUSTCYCLE_SMTP_CA_FILE")
    with pytest.raises(SmtpSettingsError) as bad_port:
        load_smtp_settings()
    assert str(bad_port.value).startswith("TRUSTCYCLE_SMTP_PORT: Input should be a valid integer")
