"""The lineage of one model version, read back from the registry: version <- run <- data <- spec and code <- DAG run <- trace."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from modelfleet.lineage import tags

DEFAULT_ALIAS = "champion"


class LineageError(LookupError):
    """The reference names no model version, or the version carries no lineage."""


@dataclass(frozen=True)
class ModelRef:
    """`<tenant>/<model>[@alias|:version]`: a registered model and which of its versions."""

    tenant: str
    model: str
    alias: str | None = None
    version: str | None = None

    @property
    def registered_name(self) -> str:
        return f"{self.tenant}__{self.model}"

    def __str__(self) -> str:
        return f"{self.tenant}/{self.model}" + (f":{self.version}" if self.version else f"@{self.alias}")

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        head, colon, version = text.partition(":")
        head, at, alias = head.partition("@")
        tenant, slash, model = head.partition("/")
        if not slash or not tenant or not model or (colon and at) or (colon and not version.isdigit()) or (at and not alias):
            raise LineageError(f"{text!r} is not a model reference: write <tenant>/<model>, <tenant>/<model>@<alias> "
                               "or <tenant>/<model>:<version> (e.g. payments/card_fraud@champion)")
        return cls(tenant, model, alias=None if version else (alias or DEFAULT_ALIAS), version=version or None)


@dataclass
class ModelLineage:
    ref: ModelRef
    version: str
    aliases: list[str]
    run_id: str
    run_name: str
    experiment: str
    metric_name: str
    metric: float | None
    params: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)
    """Run tags, overlaid with the version's lineage tags (they agree; the version keeps them if the run is gone)."""

    def tag(self, name: str, default: str = "") -> str:
        return self.tags.get(name, default)

    def snapshot(self, prefix: str) -> dict[str, str] | None:
        """A DVC snapshot's md5, remote, remote_path and size, recorded under `prefix`; None if not recorded."""
        found = {key.removeprefix(prefix + "."): value for key, value in self.tags.items() if key.startswith(prefix + ".")}
        return found or None

    @property
    def feature_views(self) -> dict[str, str]:
        return json.loads(self.tag(tags.FEATURE_VIEWS) or "{}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": str(self.ref), "registered_model": self.ref.registered_name, "version": self.version,
            "aliases": self.aliases, "run": {"id": self.run_id, "name": self.run_name, "experiment": self.experiment,
                                              "metric": {self.metric_name: self.metric}, "params": self.params},
            "data": {"training_set": self.snapshot(tags.TRAINING_SET), "validation_report": self.snapshot(tags.VALIDATION_REPORT),
                     "input_path": self.tag(tags.INPUT_PATH), "input_sha256": self.tag(tags.INPUT_SHA256) or None,
                     "feature_views": self.feature_views},
            "spec": {"file": self.tag(tags.SPEC_FILE), "sha256": self.tag(tags.SPEC_SHA256)},
            "code": {"revision": self.tag(tags.CODE_REVISION), "tenant_revision": self.tag(tags.TENANT_REVISION)},
            "airflow": {"dag_id": self.tag(tags.DAG_ID), "run_id": self.tag(tags.DAG_RUN_ID)},
            "trace_id": self.tag(tags.TRACE_ID) or None,
            "candidate": self.tag(tags.CANDIDATE), "partition": self.tag(tags.PARTITION) or None,
        }


def resolve_version(client: Any, ref: ModelRef) -> Any:
    """The registry's ModelVersion for `ref`, or LineageError naming what is missing."""
    from modelfleet.hooks.mlflow_registry import is_not_found

    try:
        if ref.version:
            return client.get_model_version(ref.registered_name, ref.version)
        return client.get_model_version_by_alias(ref.registered_name, ref.alias)
    except Exception as exc:
        if is_not_found(exc):
            what = f"version {ref.version}" if ref.version else f"alias {ref.alias!r}"
            raise LineageError(f"{ref}: registered model {ref.registered_name!r} has no {what} "
                               f"(list versions in MLflow, or use {ref.tenant}/{ref.model}@champion)") from exc
        raise


def load_lineage(client: Any, ref: ModelRef) -> ModelLineage:
    version = resolve_version(client, ref)
    run = client.get_run(version.run_id)
    merged = {**run.data.tags, **tags.lineage_tags(dict(version.tags or {}))}
    if tags.TRAINING_SET + ".md5" not in merged:
        raise LineageError(f"{ref} (version {version.version}) was trained before lineage was recorded: "
                           f"its run {version.run_id} has no {tags.TRAINING_SET}.md5 tag")
    metric_names = [name for name in run.data.metrics if name.startswith("holdout_")]
    metric_name = metric_names[0].removeprefix("holdout_") if metric_names else ""
    experiment = client.get_experiment(run.info.experiment_id).name
    return ModelLineage(
        ref=ref, version=str(version.version), aliases=sorted(getattr(version, "aliases", []) or []),
        run_id=version.run_id, run_name=run.info.run_name or "", experiment=experiment, metric_name=metric_name,
        metric=run.data.metrics.get(f"holdout_{metric_name}"), params=dict(run.data.params), tags=merged,
    )


def chain_lines(lineage: ModelLineage, spans: int | None = None, airflow_url: str | None = None) -> list[str]:
    """The chain as text, newest link first: what `modelfleet lineage` prints."""
    d = lineage.as_dict()
    data = d["data"]
    lines = [f"{d['model']} = {d['registered_model']} version {d['version']}"
             + (f" (aliases: {', '.join(d['aliases'])})" if d["aliases"] else "")]
    metric = f"holdout {lineage.metric_name} {lineage.metric:.6f}" if lineage.metric is not None else "no hold-out metric"
    lines.append(f"  <- run       {lineage.run_id} '{lineage.run_name}' in experiment {lineage.experiment}: "
                 f"candidate {d['candidate'] or 'main'}{', partition ' + d['partition'] if d['partition'] else ''}, "
                 f"seed {lineage.params.get('seed', '?')}, {metric}")
    for label, snap in (("training set", data["training_set"]), ("validation", data["validation_report"])):
        if snap:
            lines.append(f"  <- data      {label}: DVC md5 {snap.get('md5')} ({snap.get('size', '?')} bytes) "
                         f"at {snap.get('remote_path') or snap.get('remote')}")
    if data["input_path"]:
        lines.append(f"  <- input     {data['input_path']}" + (f" sha256 {data['input_sha256']}" if data["input_sha256"] else ""))
    if data["feature_views"]:
        views = ", ".join(f"{name}@{version}" for name, version in sorted(data["feature_views"].items()))
        lines.append(f"  <- features  Feast views {views}")
    lines.append(f"  <- spec      {d['spec']['file']} sha256 {d['spec']['sha256'][:16]}")
    lines.append(f"  <- code      revision {d['code']['revision']} (tenant folder last changed in {d['code']['tenant_revision']})")
    dag_run = f"  <- DAG run   {d['airflow']['dag_id']} / {d['airflow']['run_id']}"
    if airflow_url:
        dag_run += f" ({airflow_url}/dags/{d['airflow']['dag_id']}/runs/{d['airflow']['run_id']})"
    lines.append(dag_run)
    if d["trace_id"]:
        lines.append(f"  <- trace     {d['trace_id']}" + (f" ({spans} spans kept locally)" if spans else ""))
    else:
        lines.append("  <- trace     none recorded (tracing was off for this run)")
    return lines
