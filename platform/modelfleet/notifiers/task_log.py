"""Where a task try's log is, in the Airflow UI and on the worker's disk, and its last lines.

The callback runs in the failed task's own process, on the worker that wrote
the log, so the local file is the freshest copy; when it is not there (a
remote log store, `dag.test()` logging to the console) the caller falls back
to the exception text.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

TAIL_LINES = 20


def log_url(ti: Any) -> str:
    """The try's page in the Airflow UI (`[api] base_url`); Airflow's own `ti.log_url` when the TI has one."""
    url = getattr(ti, "log_url", None)
    if isinstance(url, str) and url:
        return url
    from airflow.sdk.configuration import conf

    base = conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")
    map_index = getattr(ti, "map_index", -1)
    mapped = f"/mapped/{map_index}" if isinstance(map_index, int) and map_index >= 0 else ""
    return f"{base}/dags/{ti.dag_id}/runs/{quote(ti.run_id)}/tasks/{ti.task_id}{mapped}?try_number={ti.try_number}"


def local_log_file(ti: Any) -> Path | None:
    """The try's log file under `[logging] base_log_folder`, rendered like Airflow renders it; None if unknown."""
    try:
        import jinja2

        from airflow.sdk.configuration import conf

        folder = conf.get("logging", "base_log_folder", fallback="")
        template = conf.get("logging", "log_filename_template", fallback="")
        if not folder or not template:
            return None
        relative = jinja2.Template(template).render(ti=ti, try_number=ti.try_number)
        return Path(folder) / relative
    except Exception as exc:  # noqa: BLE001 - an alert without a log tail is still an alert
        log.debug("no log path for %s: %s", getattr(ti, "task_id", "?"), exc)
        return None


def _line(raw: str) -> str:
    """A structured (JSON) log line as `level event`; any other line as it is."""
    try:
        record = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(record, dict):
        return raw
    return f"{record.get('level', '')}: {record.get('event', '')}".strip(": ")


def tail(path: Path | None, lines: int = TAIL_LINES) -> list[str]:
    """The last `lines` lines of the file, readable; empty when it cannot be read."""
    if path is None or not path.is_file():
        return []
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return [_line(raw.rstrip("\n")) for raw in deque(handle, maxlen=lines)]
    except OSError as exc:
        log.debug("log %s not readable: %s", path, exc)
        return []
