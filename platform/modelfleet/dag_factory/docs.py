"""doc_md for generated DAGs: what a person opening the DAG in the UI needs first."""

from __future__ import annotations

from modelfleet.specs.loader import BrokenPipeline, PipelineSpec


def pipeline_doc(pipeline: PipelineSpec) -> str:
    spec, tenant = pipeline.model, pipeline.tenant
    resources = spec.training.resources
    device = f"{resources.gpus} x {resources.gpu_class or 'any'} GPU" if resources.device == "gpu" else "CPU"
    lines = [
        f"# {tenant.name}: {spec.name}",
        spec.description or "",
        "",
        "| | |", "|---|---|",
        f"| tenant | `{tenant.id}` ({tenant.priority_tier}) |",
        f"| owners | {', '.join(pipeline.owners)} |",
        f"| task | {spec.task}, {spec.framework} on {device} |",
        f"| data | `{pipeline.data_path}` ({spec.data.format}) |",
        f"| metric | {spec.evaluation.metric} (threshold {spec.evaluation.threshold}, min improvement {spec.evaluation.min_improvement}) |",
        f"| spec | `{pipeline.file}` |",
    ]
    if spec.candidates:
        lines.append(f"| challengers | {', '.join(f'{c.name} ({c.framework})' for c in spec.candidates)} |")
    if spec.partitions:
        lines.append(f"| partitions | {spec.partitions.key}: {', '.join(spec.partitions.values)} |")
    return "\n".join(lines)


def broken_doc(broken: BrokenPipeline) -> str:
    items = "\n".join(f"- **{p.field or '(file)'}**: {p.message}. *Fix:* {p.fix}" for p in broken.problems)
    return (
        f"# Broken spec: `{broken.file}`\n\n"
        "This pipeline is disabled until its spec is fixed; every other pipeline is unaffected.\n\n"
        f"{items}\n\nCheck locally with `modelfleet validate tenants/{broken.tenant_id}`."
    )
