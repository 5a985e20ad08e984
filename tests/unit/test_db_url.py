"""A database URL without a driver gets the installed one, or a one-line hint (pure)."""

from __future__ import annotations

import pytest

from trustcycle.db.session import DatabaseUrlError, resolve_url


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_plain_postgresql_url_gets_psycopg2_when_it_is_installed(scheme: str) -> None:
    url = f"{scheme}://trust:s3cret@db.example:5432/trustcycle"
    assert resolve_url(url) == "postgresql+psycopg2://trust:s3cret@db.example:5432/trustcycle"


def test_psycopg_3_is_used_when_it_is_the_only_driver_installed() -> None:
    only_psycopg = {"psycopg"}.__contains__
    assert resolve_url("postgresql://db.example/t", only_psycopg) == "postgresql+psycopg://db.example/t"


def test_no_driver_installed_is_one_line_saying_what_to_install_without_the_password() -> None:
    with pytest.raises(DatabaseUrlError) as caught:
        resolve_url("postgresql://trust:s3cret@db.example/trustcycle", lambda module: False)
    message = str(caught.value)
    assert message.startswith("no PostgreSQL driver is installed: install one (pip install "
                              "psycopg2-binary) or name it in the URL")
    assert "\n" not in message and "s3cret" not in message


def test_a_named_driver_that_is_missing_is_named() -> None:
    with pytest.raises(DatabaseUrlError, match="^the PostgreSQL driver asyncpg is not installed"):
        resolve_url("postgresql+asyncpg://db.example/t", {"psycopg2"}.__contains__)


@pytest.mark.parametrize("url", ["sqlite:///var/trustcycle.db", "postgresql+psycopg2://h/d"])
def test_other_urls_pass_unchanged(url: str) -> None:
    assert resolve_url(url) == url


def test_an_unreadable_url_is_refused_without_repeating_it() -> None:
    with pytest.raises(DatabaseUrlError, match="^the database URL cannot be read") as caught:
        resolve_url("trust:s3cret@db.example")
    assert "s3cret" not in str(caught.value)
