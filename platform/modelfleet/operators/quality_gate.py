"""Route a run on its data-quality score: the full pipeline, a reduced one (no deploy) or an alert only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow.providers.standard.operators.branch import BaseBranchOperator

FULL_QUALITY = 0.98
"""At or above: train, evaluate, register and deploy (the champion may move)."""
REDUCED_QUALITY = 0.90
"""At or above (and below FULL_QUALITY): train, evaluate and register a challenger; the champion stays."""
FULL, REDUCED, ALERT = "full", "reduced", "alert"
XCOM_KEY = "quality"
"""The gate's result is pushed under this key: a branch task's return value is lost when it skips tasks."""


def quality_path(score: float, full: float = FULL_QUALITY, reduced: float = REDUCED_QUALITY) -> str:
    """`full`, `reduced` or `alert` for a quality score in [0, 1]."""
    if score >= full:
        return FULL
    if score >= reduced:
        return REDUCED
    return ALERT


class QualityGateOperator(BaseBranchOperator):
    """Reads the validation task's quality score and follows one path; the other paths are skipped.

    `branches` maps each path (`full`, `reduced`, `alert`) to the task ids
    directly downstream of the gate that it runs. Pushes
    `{"path": ..., "quality_score": ...}` as XCom key `quality` before
    branching (Airflow 3 ends a branching task by raising
    DownstreamTasksSkipped, so a return value would never be stored).
    """

    template_fields: Sequence[str] = ()
    ui_color = "#fce8b2"

    def __init__(
        self,
        *,
        branches: Mapping[str, Sequence[str]],
        validate_task_id: str = "validate_data",
        full_threshold: float = FULL_QUALITY,
        reduced_threshold: float = REDUCED_QUALITY,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if set(branches) != {FULL, REDUCED, ALERT}:
            raise ValueError(f"branches must name exactly {FULL!r}, {REDUCED!r} and {ALERT!r}, got {sorted(branches)}")
        if not 0.0 <= reduced_threshold <= full_threshold <= 1.0:
            raise ValueError(f"thresholds must satisfy 0 <= reduced ({reduced_threshold}) <= full ({full_threshold}) <= 1")
        self.branches = {path: list(ids) for path, ids in branches.items()}
        self.validate_task_id = validate_task_id
        self.full_threshold = full_threshold
        self.reduced_threshold = reduced_threshold

    def route(self, context: Any) -> tuple[str, float]:
        result = context["ti"].xcom_pull(task_ids=self.validate_task_id)
        if not isinstance(result, dict) or "quality_score" not in result:
            raise ValueError(f"{self.validate_task_id} returned no quality_score (got {result!r})")
        score = float(result["quality_score"])
        path = quality_path(score, self.full_threshold, self.reduced_threshold)
        explain = {
            FULL: f">= {self.full_threshold}: full pipeline",
            REDUCED: f"below {self.full_threshold}: train and register a challenger, no deploy (champion unchanged)",
            ALERT: f"below {self.reduced_threshold}: nothing is trained; alerting the team",
        }[path]
        (self.log.info if path == FULL else self.log.warning)("quality score %s %s", score, explain)
        return path, score

    def choose_branch(self, context: Any) -> list[str]:
        return self.branches[self.route(context)[0]]

    def execute(self, context: Any) -> dict[str, Any]:
        path, score = self.route(context)
        outcome = {"path": path, "quality_score": score}
        context["ti"].xcom_push(key=XCOM_KEY, value=outcome)
        self.do_branch(context, self.branches[path])
        return outcome
