"""Validate a frame against a spec's rules with pandera and summarise the result.

pandera does the column checks (dtype, nulls, ranges, categories, mean/std);
the frame-level rules (row count, duplicates, freshness) are pandera
DataFrame checks too, so one lazy validation collects every violation.

Each violation has a severity. `unusable` means nothing can be trained on the
data: a required column is missing, a column has the wrong type, or there are
fewer rows than `min_rows`. Every other violation is `degraded`: it lowers
the quality score, and the quality gate routes the run on that score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from modelfleet.specs.model import ColumnRule, ValidationRules

if TYPE_CHECKING:
    import pandas as pd

_PANDERA_DTYPES = {"int": "int64", "float": "float64", "str": "str", "category": "str", "bool": "bool", "datetime": None}
UNUSABLE, DEGRADED = "unusable", "degraded"


@dataclass
class ValidationReport:
    passed: bool
    rows: int
    checks: int
    violations: list[dict[str, Any]] = field(default_factory=list)
    judged_at: str | None = None
    """The data interval end that freshness was measured from (ISO 8601)."""

    @property
    def quality_score(self) -> float:
        """Share of checks that passed (1.0 = clean); routes the run in the quality gate."""
        failed = len({(v["column"], v["check"]) for v in self.violations})
        return round(1.0 - failed / self.checks, 4) if self.checks else 1.0

    @property
    def unusable(self) -> list[dict[str, Any]]:
        """Violations that make the data unusable for training (missing column, wrong type, too few rows)."""
        return [v for v in self.violations if v.get("severity") == UNUSABLE]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "quality_score": self.quality_score}

    def summary(self, limit: int = 20) -> str:
        head = f"{'PASSED' if self.passed else 'FAILED'}: {self.rows} rows, {self.checks} checks, quality score {self.quality_score}"
        lines = [head] + [
            f"  - {v['column']}: {v['check']} (e.g. {v['example']!r}, {v['count']} rows){' [unusable]' if v.get('severity') == UNUSABLE else ''}"
            for v in self.violations[:limit]
        ]
        if len(self.violations) > limit:
            lines.append(f"  ... and {len(self.violations) - limit} more (see the report artifact)")
        return "\n".join(lines)


def _column(rule: ColumnRule) -> Any:
    import pandera.pandas as pa

    checks = []
    if rule.min is not None:
        checks.append(pa.Check.ge(rule.min, name=f"min {rule.min}"))
    if rule.max is not None:
        checks.append(pa.Check.le(rule.max, name=f"max {rule.max}"))
    if rule.allowed is not None:
        checks.append(pa.Check.isin(rule.allowed, name="allowed values"))
    if rule.mean_between is not None:
        lo, hi = rule.mean_between
        checks.append(pa.Check(lambda s, lo=lo, hi=hi: lo <= s.mean() <= hi, name=f"mean between {lo} and {hi}"))
    if rule.std_between is not None:
        lo, hi = rule.std_between
        checks.append(pa.Check(lambda s, lo=lo, hi=hi: lo <= s.std() <= hi, name=f"std between {lo} and {hi}"))
    dtype = _PANDERA_DTYPES[rule.dtype]
    if rule.dtype == "datetime":  # any resolution, naive or tz-aware
        from pandas.api.types import is_datetime64_any_dtype

        checks.insert(0, pa.Check(is_datetime64_any_dtype, name="datetime dtype"))
    # Non-nullable columns reject nulls; nullable ones may hold nulls, but the
    # frame-level null budget (max_null_fraction) still bounds them.
    return pa.Column(dtype, checks=checks, nullable=rule.nullable, coerce=rule.dtype in ("int", "float") and rule.nullable, required=True)


def _rows_check_name(rules: ValidationRules) -> str:
    return f"at least {rules.min_rows} rows"


def severity(check: str, rules: ValidationRules) -> str:
    """`unusable` for schema-level failures and too few rows; `degraded` for everything else."""
    if check == "column_in_dataframe" or check.startswith("dtype(") or check == _rows_check_name(rules):
        return UNUSABLE
    return DEGRADED


def _frame_checks(rules: ValidationRules, judged_at: datetime) -> list[Any]:
    import pandera.pandas as pa

    checks = [
        pa.Check(lambda df: len(df) >= rules.min_rows, name=_rows_check_name(rules)),
        pa.Check(lambda df: df.duplicated().mean() <= rules.max_duplicate_fraction if len(df) else True,
                 name=f"duplicate rows at most {rules.max_duplicate_fraction:.1%}"),
        pa.Check(lambda df: (df.isna().mean() <= rules.max_null_fraction).all() if len(df) else True,
                 name=f"nulls per column at most {rules.max_null_fraction:.1%}"),
    ]
    if rules.freshness_column and rules.max_staleness is not None:
        column, staleness = rules.freshness_column, rules.max_staleness
        checks.append(pa.Check(
            lambda df: bool(len(df)) and (judged_at - df[column].max().to_pydatetime()) <= staleness,
            name=f"newest {column} within {staleness} of the data interval end",
        ))
    return checks


def validate_frame(df: pd.DataFrame, rules: ValidationRules, *, judged_at: datetime) -> ValidationReport:
    """Check `df` against `rules`, collecting every violation at once.

    `judged_at` is the instant the freshness rule measures staleness from: the
    end of the run's data interval (`modelfleet.data_interval`), so a date's
    data gets the same verdict on any day it is validated. There is no
    wall-clock default on purpose.
    """
    import pandera.pandas as pa

    schema = pa.DataFrameSchema({rule.name: _column(rule) for rule in rules.columns}, checks=_frame_checks(rules, judged_at), strict=False)
    n_checks = len(schema.checks) + sum(1 + len(c.checks) for c in schema.columns.values())
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        violations = []
        for (column, check), group in cases.groupby([cases["column"].fillna("(frame)"), cases["check"].astype(str)], dropna=False):
            example = group["failure_case"].iloc[0]
            violations.append({"column": str(column), "check": check, "example": None if example is None else str(example),
                               "count": int(len(group)), "severity": severity(check, rules)})
        return ValidationReport(False, len(df), n_checks, violations, judged_at.isoformat())
    return ValidationReport(True, len(df), n_checks, judged_at=judged_at.isoformat())
