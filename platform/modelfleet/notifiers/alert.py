"""What one alert carries, read once from the failed task's context, then shaped per channel.

Everything an on-call needs before opening anything else: whose pipeline,
which task of which run and try, whether retrying could help (the error
class), the log's link and last lines, and the data validation report when
the run wrote one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelfleet import paths
from modelfleet.notifiers import task_log
from modelfleet.notifiers.severity import Severity, severity_of

log = logging.getLogger(__name__)

MAX_DEDUP_KEY = 255
"""PagerDuty's limit on a dedup key."""
REPORT_VIOLATIONS = 10


def dedup_key(dag_id: str, task_id: str, run_id: str, map_index: int = -1) -> str:
    """One key per task instance, whatever its try: every failure and the resolve of that instance share it."""
    key = f"modelfleet/{dag_id}/{task_id}/{run_id}/{map_index}"
    if len(key) <= MAX_DEDUP_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[:MAX_DEDUP_KEY - 17]}#{digest}"


@dataclass(frozen=True)
class Alert:
    tenant: str
    tier: str
    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int
    ds: str | None
    error_class: str
    error: str
    log_url: str
    last_lines: list[str] = field(default_factory=list)
    last_lines_from: str = "log"
    validation: dict[str, Any] | None = None

    @property
    def severity(self) -> Severity:
        return severity_of(self.tier)

    @property
    def dedup_key(self) -> str:
        return dedup_key(self.dag_id, self.task_id, self.run_id, self.map_index)

    @property
    def task(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"

    def title(self, resolved: bool = False) -> str:
        if resolved:
            return f"[resolved] {self.tenant}: {self.dag_id}.{self.task} succeeded again, run {self.run_id}"
        return (f"[{self.severity}] {self.tenant}: {self.dag_id}.{self.task} failed ({self.error_class}), "
                f"run {self.run_id}, try {self.try_number}")

    def fields(self) -> dict[str, Any]:
        """The alert as flat fields (PagerDuty custom details, the e-mail's table)."""
        return {
            "tenant": self.tenant, "tier": self.tier, "severity": self.severity, "dag_id": self.dag_id,
            "task_id": self.task, "run_id": self.run_id, "logical_date": self.ds, "try_number": self.try_number,
            "error_class": self.error_class, "error": self.error, "log_url": self.log_url,
            "dedup_key": self.dedup_key,
        }


def _error_text(exc: Any) -> tuple[str, list[str]]:
    """(`Type: message`, the traceback's last lines) of what the task raised."""
    if exc is None:
        return "", []
    if not isinstance(exc, BaseException):
        text = str(exc)
        return text.splitlines()[0] if text else "", text.splitlines()[-task_log.TAIL_LINES:]
    message = f"{type(exc).__name__}: {exc}".splitlines()[0]
    lines = "".join(traceback.format_exception(exc)).rstrip("\n").splitlines()
    return message, lines[-task_log.TAIL_LINES:]


def validation_summary(dag_id: str, ds: str | None) -> dict[str, Any] | None:
    """The run's validation report (operators/validate_data.py writes it per logical date), shortened; None if none."""
    if not ds:
        return None
    path: Path = paths.state_dir() / "runs" / dag_id / ds / "validation_report.json"
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    violations = report.get("violations") or []
    return {
        "path": str(path), "data": report.get("data"), "passed": report.get("passed"), "rows": report.get("rows"),
        "quality_score": report.get("quality_score"), "violations": len(violations),
        "first_violations": [f"{v.get('column')}: {v.get('check')} ({v.get('count')} rows)"
                             for v in violations[:REPORT_VIOLATIONS]],
    }


def alert_from_context(context: Any, *, tenant: str, tier: str) -> Alert:
    """The alert for the task instance a failure (or success) callback was called for."""
    from modelfleet.error_class import classify

    ti = context["ti"]
    exc = context.get("exception")
    error, exception_lines = _error_text(exc)
    lines = task_log.tail(task_log.local_log_file(ti))
    dag_id = ti.dag_id
    ds = context.get("ds")
    return Alert(
        tenant=tenant, tier=tier, dag_id=dag_id, task_id=ti.task_id, run_id=ti.run_id,
        map_index=-1 if getattr(ti, "map_index", None) is None else ti.map_index,
        try_number=ti.try_number, ds=ds,
        error_class=classify(exc if isinstance(exc, BaseException) else None),
        error=error, log_url=task_log.log_url(ti),
        last_lines=lines or exception_lines, last_lines_from="log" if lines else "exception",
        validation=validation_summary(dag_id, ds),
    )
