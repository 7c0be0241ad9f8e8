"""Real local receivers for alerts: HTTP servers for Slack webhooks (plain HTTP) and the PagerDuty Events
API (HTTPS with a throwaway self-signed certificate: the `pagerduty` client accepts only https:// URLs),
and an aiosmtpd SMTP server. Each records what arrived and when (time.time() at receipt), so the alert
tests read the real payloads and the latency benchmark reads receipt times."""

from __future__ import annotations

import datetime
import ipaddress
import json
import logging
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    body: Any
    at: float


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1, written to `folder`; the certificate is its own CA bundle."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "receiver.pem", folder / "receiver.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class HttpAlertReceiver:
    """Answers like Slack (`200 ok`) on any path and like PagerDuty (`202` with the dedup key) on /v2/enqueue.

    With `tls`, serves HTTPS; `ca_file` is then the certificate a client must trust.
    """

    tls: bool = False
    url: str = ""
    ca_file: str = ""
    received: list[Received] = field(default_factory=list)
    status: int | None = None
    """Force this status on every answer (e.g. 500 to test a failing channel)."""

    def slack(self) -> list[Any]:
        return [r.body for r in self.received if r.path != "/v2/enqueue"]

    def pagerduty(self) -> list[Any]:
        return [r.body for r in self.received if r.path == "/v2/enqueue"]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.time()
                body = json.loads(raw or b"null")
                receiver.received.append(Received(self.path, body, at))
                if self.path == "/v2/enqueue":
                    status = receiver.status or 202
                    answer = json.dumps({"status": "success", "message": "Event processed",
                                         "dedup_key": body.get("dedup_key") or "generated"}).encode()
                    kind = "application/json"
                else:
                    status, answer, kind = receiver.status or 200, b"ok", "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if self.tls:
            self._certs = tempfile.TemporaryDirectory(prefix="alert-receiver-")
            cert, key = self_signed_certificate(Path(self._certs.name))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.ca_file, scheme = str(cert), "https"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self.tls:
            self._certs.cleanup()


@dataclass
class SmtpAlertReceiver:
    """aiosmtpd on loopback; keeps each message parsed, with its recipients and receipt time."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[tuple[EmailMessage, list[str], float]] = field(default_factory=list)

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command otherwise
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's naming
                at = time.time()
                message = message_from_bytes(envelope.content, policy=policy.default)
                receiver.messages.append((message, list(envelope.rcpt_tos), at))  # type: ignore[arg-type]
                return "250 OK"

        with socket.socket() as sock:
            sock.bind((self.host, 0))
            self.port = sock.getsockname()[1]
        self._controller = Controller(Handler(), hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def connections(slack: HttpAlertReceiver, pagerduty: HttpAlertReceiver, smtp: SmtpAlertReceiver,
                prefix: str = "acme") -> dict[str, str]:
    """Airflow connections (as AIRFLOW_CONN_* environment values) pointing the three providers at the receivers.

    Slack: the webhook URL in the password, as the provider documents it. PagerDuty: the routing key in
    the password, the Events API URL in the host and its CA in the extra (notifiers/pagerduty.py).
    SMTP: plain, no TLS, no retries.
    """
    return {
        f"AIRFLOW_CONN_{prefix.upper()}_SLACK": json.dumps(
            {"conn_type": "slackwebhook", "password": f"{slack.url}/services/T0/B0/{prefix}"}),
        f"AIRFLOW_CONN_{prefix.upper()}_PAGERDUTY": json.dumps(
            {"conn_type": "pagerduty_events", "password": f"routing-key-{prefix}", "host": pagerduty.url,
             "extra": {"ca_file": pagerduty.ca_file}}),
        "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps(
            {"conn_type": "smtp", "host": smtp.host, "port": smtp.port,
             "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "modelfleet@platform.example",
                       "retry_limit": 0, "timeout": 10}}),
    }
