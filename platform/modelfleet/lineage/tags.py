"""Names of the lineage tags on MLflow runs and model versions: one place, read by `modelfleet lineage` and `reproduce`."""

from __future__ import annotations

PREFIX = "lineage."

TRAINING_SET = "lineage.data.training_set"
"""DVC snapshot of the training set the trainer read: `<this>.md5`, `.remote`, `.remote_path`, `.size`."""
VALIDATION_REPORT = "lineage.data.validation_report"
"""DVC snapshot of the validation report of the same run (absent when the run had none)."""
INPUT_PATH = "lineage.data.input_path"
INPUT_SHA256 = "lineage.data.input_sha256"
CODE_REVISION = "lineage.code.revision"
"""git revision of the repository (`-dirty` when tracked files differed from it)."""
TENANT_REVISION = "lineage.code.tenant_revision"
"""Last commit that touched the tenant's folder."""
SPEC_FILE = "lineage.spec.file"
SPEC_SHA256 = "lineage.spec.sha256"
DAG_ID = "lineage.airflow.dag_id"
DAG_RUN_ID = "lineage.airflow.run_id"
TRACE_ID = "lineage.trace_id"
FEATURE_VIEWS = "lineage.feast.views"
"""JSON {view name: hash of its definition} of the views the training set was built from."""
RUN_ID = "lineage.mlflow.run_id"
"""On a model version: the run that produced it."""
METRIC = "metric"
"""On a model version: the name of the spec's evaluation metric."""
HOLDOUT_METRIC = "holdout_metric"
"""On a model version: its hold-out value of that metric when registered (the Fleet page's trend, no run lookups)."""
CANDIDATE = "candidate"
PARTITION = "partition"
SEED = "seed"


def lineage_tags(tags: dict[str, str]) -> dict[str, str]:
    """The lineage subset of a run's tags, copied onto the model version it becomes."""
    return {k: v for k, v in tags.items() if k.startswith(PREFIX)}
