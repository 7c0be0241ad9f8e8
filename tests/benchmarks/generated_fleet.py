"""A fleet of any size for the benchmarks: the real specs cloned into synthetic tenants t000, t001, ...

Each synthetic tenant gets a copy of every real spec (25 pipelines), so the
generated fleet has the real mix of pipelines (GPU and CPU, partitions, batch
scoring, shared feature views) and tenants of the real size.
"""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def generated_fleet(target: Path, size: int) -> Path:
    """`size` pipelines cloned from the real specs into synthetic tenants under `target`; returns `target`."""
    real = sorted((REPO / "tenants").glob("*/models/*.yaml"))
    tenants = {p.parent.parent.name: yaml.safe_load((p.parent.parent / "tenant.yaml").read_text()) for p in real}
    made = 0
    index = 0
    while made < size:
        tid = f"t{index:03d}"
        for spec_path in real:
            if made >= size:
                break
            source_tenant = spec_path.parent.parent.name
            folder = target / tid
            (folder / "models").mkdir(parents=True, exist_ok=True)
            if not (folder / "tenant.yaml").exists():
                tenant = dict(tenants[source_tenant], id=tid, data_root=tid, allowed_queues=["cpu", "gpu"],
                              gpu_quota={c: {"nominal": 0, "borrowing_limit": 2} for c in ("a10g", "a100")})
                tenant["alerts"] = {k: v.replace(source_tenant, tid) if isinstance(v, str) else v for k, v in tenant.get("alerts", {}).items()}
                (folder / "tenant.yaml").write_text(yaml.safe_dump(tenant))
            text = spec_path.read_text().replace(f"{source_tenant}__", f"{tid}__").replace(f"{source_tenant}.datagen", f"{tid}.datagen")
            name = f"{source_tenant}_{spec_path.stem}"
            text = text.replace(f"name: {spec_path.stem}", f"name: {name}", 1)
            (folder / "models" / f"{name}.yaml").write_text(text)
            made += 1
        index += 1
    return target
