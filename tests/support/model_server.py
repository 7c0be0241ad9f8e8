"""The platform's model server (modelfleet.serving) on loopback, in a thread of the test process.

The same app, state and HTTP as the `model-server` component, so a test can
deploy to it and predict through it; the e2e tests run it as a process.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class RunningModelServer:
    url: str
    state: Any
    """The server's ServingState: what is online, what is loaded."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_model_server(tracking_uri: str, timeout: float = 30.0) -> Iterator[RunningModelServer]:
    import uvicorn

    from modelfleet.serving.app import create_app
    from modelfleet.serving.server import adopt_all, build_state

    state = build_state(tracking_uri)
    adopt_all(state)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(state), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True, name="model-server")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the model server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield RunningModelServer(f"http://127.0.0.1:{port}", state)
    finally:
        server.should_exit = True
        thread.join(timeout)
