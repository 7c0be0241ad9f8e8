"""A real MLflow tracking server, behind a proxy that can fail on purpose: 5xx for chosen requests, or down.

The registry-failure tests need the real client against the real server
and real failures between them (HTTP 5xx, connection refused), not a mock
of MlflowClient.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class FaultyProxy:
    """Forwards to `upstream`; answers `status` instead for requests whose "METHOD path" matches a pattern in `failing`."""

    upstream_port: int
    port: int = field(default_factory=free_port)
    failing: list[tuple[str, int]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Every request answered with an injected failure, as "METHOD path"."""
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, pattern: str, status: int = 503) -> None:
        """Answer `status` to requests matching the regex `pattern` (e.g. "GET .*/registered-models/alias")."""
        self.failing.append((pattern, status))

    def heal(self) -> None:
        self.failing.clear()

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                if proxy._server is None:  # stopped: a kept-alive connection is dropped, as a dead server's would be
                    self.close_connection = True
                    return
                request = f"{self.command} {self.path}"
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                for pattern, status in proxy.failing:
                    if re.search(pattern, request):
                        proxy.failed.append(request)
                        payload = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "injected by the test"}'
                        self.send_response(status)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                        return
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward  # noqa: N815 - http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Close the port: every request is refused until `start()` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def mlflow_server(folder: Path, timeout: float = 120.0) -> Iterator[FaultyProxy]:
    """`mlflow server` (SQLite backend, served artifacts) in `folder`, and a started FaultyProxy in front of it."""
    import httpx

    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "mlflow-server.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mlflow"), "server", "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--artifacts-destination", str(folder / "artifacts"), "--serve-artifacts",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start; log: {folder / 'mlflow-server.log'}")
            time.sleep(0.3)
        proxy = FaultyProxy(port)
        proxy.start()
        try:
            yield proxy
        finally:
            proxy.stop()
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
        log.close()
