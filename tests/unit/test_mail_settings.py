"""SMTP settings from the environment: the password never shows, the sink is the default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from trustcycle.mail.settings import SmtpSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "STARTTLS", "SSL"):
        monkeypatch.delenv(f"TRUSTCYCLE_SMTP_{name}", raising=False)
    monkeypatch.delenv("TRUSTCYCLE_MAIL_FROM", raising=False)


def test_no_host_means_the_embedded_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SmtpSettings()
    assert settings.uses_sink
    assert settings.sender_address.endswith("@trustcycle.local")


def test_the_password_is_never_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SMTP_HOST", "smtp.example.gov.uk")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_USER", "trust")
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
