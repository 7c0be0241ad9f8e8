"""DAG-file parse time, measured the way the DAG processor parses: a fresh process per file parse.

Compared, in the same run, with a one-task hello-world DAG file, so the
figures are ratios that survive a noisy machine. Airflow itself is imported
before the clock starts (the DAG processor has it loaded already).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]

HELLO_WORLD = '''"""Airflow hello-world DAG: one task."""
from datetime import datetime

from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(dag_id="hello_world", schedule="@daily", start_date=datetime(2026, 1, 1), catchup=False):
    EmptyOperator(task_id="hello")
'''

_MEASURE = r"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=None, collect_dags=False)
start = time.perf_counter()
found = bag.process_file(sys.argv[1])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "dags": len(found), "errors": len(bag.import_errors)}))
"""


def parse_once(dag_file: Path, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(dag_file)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def generated_fleet(target: Path, size: int) -> Path:
    """`size` pipelines cloned from the real specs into synthetic tenants t000, t001, ..."""
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


def measure(repeats: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        hello = tmp_path / "hello_world.py"
        hello.write_text(HELLO_WORLD)
        base_env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
        fleets = {"fleet (real specs)": REPO / "tenants", "generated 1,000": generated_fleet(tmp_path / "tenants1000", 1000)}
        files = {"fleet (real specs)": "fleet.py", "generated 1,000": "fleet.py", "features (real specs)": "features.py"}
        fleets["features (real specs)"] = REPO / "tenants"
        results: dict = {}
        # Interleave the cases so drift in machine load hits all of them alike.
        samples: dict[str, list[float]] = {"hello-world": [], **{k: [] for k in fleets}}
        counts: dict[str, int] = {}
        for _ in range(repeats):
            sample = parse_once(hello, base_env)
            samples["hello-world"].append(sample["seconds"])
            counts["hello-world"] = sample["dags"]
            for label, tenants in fleets.items():
                sample = parse_once(REPO / "dags" / files[label], {**base_env, "MODELFLEET_TENANTS_DIR": str(tenants)})
                assert sample["errors"] == 0, f"{label}: import errors"
                samples[label].append(sample["seconds"])
                counts[label] = sample["dags"]
        baseline = statistics.median(samples["hello-world"])
        for label, values in samples.items():
            median = statistics.median(values)
            results[label] = {"dags": counts[label], "median_s": median, "ratio": median / baseline,
                              "per_dag_ms": 1000 * median / max(counts[label], 1)}
        return results


def markdown(results: dict, repeats: int) -> str:
    rows = "\n".join(
        f"| {label} | {r['dags']} | {r['median_s'] * 1000:.0f} ms | {r['per_dag_ms']:.1f} ms | {r['ratio']:.1f}x |"
        for label, r in results.items()
    )
    return (
        f"Median of {repeats} parses, each in a fresh process with Airflow already imported "
        "(as in the DAG processor), cases interleaved. `fleet` cases parse `dags/fleet.py` (a DAG per pipeline plus "
        "its batch-scoring DAG); `features` parses `dags/features.py` (one feature DAG per team).\n\n"
        "| case | DAGs | parse time | per DAG | vs hello-world |\n|---|---:|---:|---:|---:|\n" + rows + "\n"
    )
