"""A council's relay (issue 14): STARTTLS or implicit TLS required, AUTH required, and a
certificate from a CA made here. TLS is verified, the username goes as configured, and a
refused certificate or login is reported, once, without charging any message."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pendulum
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prefect import flow
from prefect.blocks.system import Secret
from sqlalchemy import select

from tasks.mail import SECRET_BLOCK, SmtpRelayRefused, deliver_outbox
from tests.integration.test_outbox_task import queue
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage
from trustcycle.mail.sink import LoopbackController
from trustcycle.outbox import RELAY_ALERT_KIND

NOW = pendulum.datetime(2026, 5, 8, 9, 0, tz="Europe/London")
OFFICER = "officer@rutland.example.gov.uk"
USER, PASSWORD = "trust", "correct horse battery staple"
MAIL_FROM = "Rutland Children's Trust <childrens.trust@rutland.example.gov.uk>"


# --- a test CA and the relay's certificates ---------------------------------------------


@dataclass(frozen=True)
class Pki:
    """A CA, and certificates it signed for the relay: one for 127.0.0.1, one for another
    host name (a certificate that does not match)."""

    ca_file: Path
    relay: tuple[Path, Path]  # (certificate, key) naming 127.0.0.1 and localhost
    other_host: tuple[Path, Path]  # naming relay.example.org only


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    names: list[x509.GeneralName],
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(directory: Path, name: str, cert: x509.Certificate, key: Any) -> tuple[Path, Path]:
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Rutland Test CA", ca_key, None, [])
    ca_file, _ = _write(directory, "ca", ca, ca_key)
    issuer = ("Rutland Test CA", ca_key)
    relay_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    loopback = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    relay = _certificate("relay", relay_key, issuer, loopback)
    elsewhere = [x509.DNSName("relay.example.org")]
    other = _certificate("relay.example.org", other_key, issuer, elsewhere)
    return Pki(
        ca_file,
        _write(directory, "relay", relay, relay_key),
        _write(directory, "other", other, other_key),
    )


# --- the relay --------------------------------------------------------------------------


@dataclass
class Seen:
    """What the relay saw: AUTH commands, logins, and messages."""

    auth_commands: int = 0
    logins: list[tuple[str, bool]] = field(default_factory=list)
    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _CountingSMTP(SMTP):
    async def smtp_AUTH(self, arg: str) -> None:  # noqa: N802
        self.event_handler.seen.auth_commands += 1
        await super().smtp_AUTH(arg)


class _Handler:
    def __init__(self) -> None:
        self.seen = Seen()

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password.decode() == PASSWORD
        login = data.login.decode() if isinstance(data, LoginPassword) else "?"
        with self.seen.lock:
            self.seen.logins.append((login, ok))
        return AuthResult(success=ok, handled=False, auth_data=data)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.seen.lock:
            self.seen.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


class _Controller(LoopbackController):
    def factory(self) -> SMTP:
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


class TlsRelay:
    """aiosmtpd on loopback requiring TLS (STARTTLS, or implicit on its own port) and AUTH."""

    def __init__(self, cert: tuple[Path, Path], *, implicit: bool) -> None:
        self.handler = _Handler()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*cert)
        # Trap: aiosmtpd 1.4 counts only STARTTLS as TLS for AUTH; on its implicit-TLS port
        # the whole connection is TLS, so its "AUTH only over TLS" check is switched off.
        tls: dict[str, Any] = (
            {"ssl_context": context, "auth_require_tls": False}
            if implicit
            else {"tls_context": context, "require_starttls": True}
        )
        self._controller = _Controller(
            self.handler,
            hostname="127.0.0.1",
            port=0,
            auth_required=True,
            authenticator=self.handler.authenticate,
            **tls,
        )
        self._controller.start()
        self.port = int(self._controller.port)
        self.implicit = implicit

    @property
    def seen(self) -> Seen:
        return self.handler.seen

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def relay_for(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Start a relay with the given certificate and point trustcycle's settings at it:
    `relay_for("relay" | "other_host", implicit=False, trust_ca=True, password=PASSWORD)`."""
    started: list[TlsRelay] = []

    def start(
        cert: str = "relay",
        *,
        implicit: bool = False,
        trust_ca: bool = True,
        password: str | None = PASSWORD,
    ) -> TlsRelay:
        relay = TlsRelay(getattr(pki, cert), implicit=implicit)
        started.append(relay)
        env = {
            "TRUSTCYCLE_SMTP_HOST": "127.0.0.1",
            "TRUSTCYCLE_SMTP_PORT": str(relay.port),
            "TRUSTCYCLE_SMTP_STARTTLS": str(not implicit).lower(),
            "TRUSTCYCLE_SMTP_SSL": str(implicit).lower(),
            "TRUSTCYCLE_SMTP_USER": USER,
            "TRUSTCYCLE_SMTP_TIMEOUT": "10",
            "TRUSTCYCLE_MAIL_FROM": MAIL_FROM,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        for name, value in {
            "TRUSTCYCLE_SMTP_CA_FILE": str(pki.ca_file) if trust_ca else None,
            "TRUSTCYCLE_SMTP_PASSWORD": password,
        }.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        monkeypatch.delenv("TRUSTCYCLE_SMTP_INSECURE_LOOPBACK_TLS", raising=False)
        return relay

    yield start
    for relay in started:
        relay.stop()


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = Database.from_url(sqlite_url)
    yield database
    database.dispose()


def rows(db: Database) -> list[OutboxMessage]:
    with db.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def deliver(db: Database) -> Any:
    return deliver_outbox.fn(db, now=NOW, officer_email=OFFICER)


# --- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
def test_a_relay_whose_certificate_the_ca_file_trusts_gets_the_mail_with_the_plain_username(
    db: Database, relay_for: Any, implicit: bool
) -> None:
    relay = relay_for(implicit=implicit)
    queue(db, 3)
    report = deliver(db)
    assert report.sent == 3 and len(relay.seen.messages) == 3
    assert relay.seen.logins == [(USER, True)]  # "trust", not "trust@gmail.com"
    parsed = email.message_from_bytes(relay.seen.messages[0][1])
    assert parseaddr(parsed["From"]) == (
        "Rutland Children's Trust",
        "childrens.trust@rutland.example.gov.uk",
    )  # TRUSTCYCLE_MAIL_FROM, whatever the username


@pytest.mark.parametrize(
    ("cert", "trust_ca", "why"),
    [
        ("relay", False, "unable to get local issuer certificate"),  # the test CA not given
        ("other_host", True, "IP address mismatch"),  # trusted CA, another host's name
    ],
    ids=["untrusted-ca", "other-host"],
)
def test_a_certificate_that_cannot_be_verified_is_refused_before_any_auth_or_message(
    db: Database, relay_for: Any, cert: str, trust_ca: bool, why: str
) -> None:
    relay = relay_for(cert, trust_ca=trust_ca)
    queue(db, 3)
    with pytest.raises(SmtpRelayRefused, match="certificate is not trusted") as refused:
        deliver(db)
    assert why in str(refused.value)
    assert relay.seen.auth_commands == 0 and relay.seen.messages == []  # no password sent
    assert [(r.status, r.attempts) for r in rows(db) if r.kind == "reminder"] == [
        ("pending", 0)
    ] * 3


def test_a_wrong_password_fails_the_run_as_authentication_failed_and_tells_the_officer_once(
    db: Database, relay_for: Any
) -> None:
    relay = relay_for(password="wrong")
    queue(db, 3)

    @flow
    def tick(url: str) -> None:
        deliver_outbox(url, now=NOW, officer_email=OFFICER)

    url = db.engine.url.render_as_string(hide_password=False)
    for _ in range(2):  # two ticks, one alert
        state = tick(url, return_state=True)
        assert state.is_failed()
        assert "the SMTP relay refused trustcycle: authentication failed" in str(state.message)
        assert "535" in str(state.message)
    # smtplib tries each mechanism offered (PLAIN, then LOGIN): two refusals a tick, and no
    # retry of the task (a refused login will be refused again in 30 s).
    assert relay.seen.logins == [(USER, False)] * 4
    assert [(r.status, r.attempts) for r in rows(db) if r.kind == "reminder"] == [
        ("pending", 0)
    ] * 3  # nothing charged
    (alert,) = [r for r in rows(db) if r.kind == RELAY_ALERT_KIND]
    assert alert.to_addrs == [OFFICER] and "authentication failed" in alert.subject
    relay_for(password=PASSWORD)  # the password is put right: everything goes, the alert too
    assert deliver(db).sent == 4
    assert "authentication failed" in alert.body_text


def test_ssl_cert_file_trusts_a_private_ca_and_a_domain_username_goes_unchanged(
    db: Database, relay_for: Any, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = relay_for(trust_ca=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))  # OpenSSL's own variable
    monkeypatch.setenv("TRUSTCYCLE_SMTP_USER", "COUNCIL\\svc-trustcycle")
    queue(db, 1)
    assert deliver(db).sent == 1
    assert relay.seen.logins == [("COUNCIL\\svc-trustcycle", True)]


def test_the_password_comes_from_the_prefect_secret_block(db: Database, relay_for: Any) -> None:
    relay = relay_for(password=None)  # nothing in the environment
    queue(db, 1)
    Secret(value=PASSWORD).save(SECRET_BLOCK, overwrite=True)
    try:
        assert deliver(db).sent == 1
    finally:
        Secret.delete(SECRET_BLOCK)  # type: ignore[call-arg]
    assert relay.seen.logins == [(USER, True)]
