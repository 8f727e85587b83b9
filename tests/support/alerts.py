"""Real parts for the alert tests (tests/test_alerts.py, tests/faults/): articles
with analyses the way the crawler stores them, a free port, and a real SMTP server
(aiosmtpd with STARTTLS and AUTH, self-signed certificate) on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from pathlib import Path
from typing import Any

from index.ids import article_id

SECRET = "s3cret-hook-key"


def make_article(url: str, lang: str, title: str, text: str,
                 events: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    analysis = {
        "lang": lang, "relevant": True, "relevance_score": 0.9,
        "regulators": [{"id": e["actor"], "name": e["actor"], "country": e["jurisdiction"]}
                       for e in events if e["measure"] != "platform_measure"],
        "countries": sorted({e["jurisdiction"] for e in events if e["jurisdiction"]}),
        "platforms": sorted({e["target"] for e in events if e["target"]}),
        "measures": sorted({e["measure"] for e in events}),
        "events": events,
    }
    return {"id": article_id(url), "url": url, "canonical_url": url, "source": "fixture",
            "title": title, "text": text, "lang": lang, "published": "2026-01-12",
            "analysis": analysis, **extra}


def ev(actor: str, measure: str, target: str, jurisdiction: str, status: str,
       evidence: str) -> dict[str, Any]:
    return {"actor": actor, "measure": measure, "target": target, "jurisdiction": jurisdiction,
            "status": status, "date": None, "evidence": evidence, "confidence": 0.9}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "smtp.crt", tmp / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Mailbox:
    """What the SMTP server received; ``port`` and ``cert`` say how to reach it."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[bytes] = []
        self.port = 0
        self.cert = Path()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@contextmanager
def smtp_server(tmp: Path) -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS, login toezicht / pw."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = self_signed(tmp)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = auth_data.login == b"toezicht" and auth_data.password == b"pw"
        if ok:
            box.logins.append(auth_data.login)
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=authenticator,
                            auth_require_tls=True)
    controller.start()
    box.port, box.cert = port, cert
    try:
        yield box
    finally:
        controller.stop()


def smtp_section(box: Mailbox, timeout: float = 5) -> str:
    """The ``[smtp]`` section for a :func:`smtp_server`."""
    return (f'[smtp]\nhost = "127.0.0.1"\nport = {box.port}\nstarttls = true\n'
            f'username = "toezicht"\npassword = "pw"\nca_file = "{box.cert}"\n'
            f"timeout = {timeout}\n")
