"""The platform's small loop components (quota controller, spec watcher): log to stdout, stop on SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable


def serve(loop: Callable[[threading.Event], None]) -> int:
    """Run `loop(stop)` until the process is told to stop; the loop returns once `stop` is set."""
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    loop(stop)
    return 0
