"""Fleet GPU scheduling: the real scheduler runs every GPU pipeline of the fleet plus a flood, plain Airflow vs modelfleet.

Workload, from the real specs: each GPU training task of the fleet (main or
challenger) is one job of its team and tier; its GPU work is a calibrated
sleep of `epochs x hidden_units / 32 x UNIT` seconds (the network's size and
training length, scaled so a run takes minutes). On top: a flood of 16
3-second jobs from an ad-hoc batch team, and (N >= 2) one 2-GPU critical job
arriving 5 s in. Everything arrives at once, as a nightly batch does.

Two configurations in the same go, on the same started platform, for N = 1,
2, 4 and 8 virtual GPUs on hosts of at most 4:
- plain Airflow: one shared `gpu` pool of N slots, default priority weights,
  no device assignment (CUDA hands every task device 0);
- modelfleet: per-team pools from guarantees proportional to N, borrowing
  and reclaim by the quota controller, tiers as absolute weights, leases.

Run: `.venv/bin/python -m tests.benchmarks.run --only gpu` (about 15 minutes on 2 cores).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import gpu_metrics
from tests.support.gpu_fleet import Arrival, GpuFleet, Outcome, Pipeline, Scenario, Team

REPO = Path(__file__).resolve().parents[2]
UNIT = 0.5
"""Seconds of sleep per epoch of a 32-unit network."""
SIZES = (1, 2, 4, 8)
TIERS = ("critical", "high", "standard", "batch")
FLOOD_TEAM, FLOOD_RUNS, FLOOD_SECONDS = "adhoc", 16, 3.0
WIDE_SECONDS = 10.0


def fleet_jobs() -> list[Pipeline]:
    """Every GPU training task of the fleet's specs, with its team, tier and calibrated duration."""
    from modelfleet.specs.loader import load_fleet

    jobs = []
    for pipeline in load_fleet().pipelines:
        spec = pipeline.model
        configs = [("main", spec.framework, spec.training.hyperparameters, spec.training.resources)] + [
            (c.name, c.framework, c.hyperparameters, c.resources) for c in spec.candidates]
        for name, _, hyper, resources in configs:
            if resources.device != "gpu":
                continue
            seconds = int(hyper.get("epochs", 8)) * int(hyper.get("hidden_units", 32)) / 32 * UNIT
            suffix = "" if name == "main" else f"_{name}"
            jobs.append(Pipeline(f"{pipeline.dag_id}{suffix}", pipeline.tenant.id, resources.gpus, seconds,
                                 spec.priority_tier or pipeline.tenant.priority_tier))
    return jobs


def teams_for(n: int, jobs: list[Pipeline]) -> dict[str, Team]:
    """Guarantees proportional to each team's share of the fleet's GPU work, summing to at most N; the flood team has none."""
    from modelfleet.specs.loader import load_fleet

    tiers = {tid: t.priority_tier for tid, t in load_fleet().tenants.items()}
    work: dict[str, float] = {}
    for job in jobs:
        work[job.tenant] = work.get(job.tenant, 0.0) + job.gpus * job.seconds
    total = sum(work.values())
    nominal = {tid: math.floor(n * w / total) for tid, w in work.items()}
    for tid in sorted(work, key=lambda t: (-work[t], t)):  # hand out what rounding left, biggest users first
        if sum(nominal.values()) < n:
            nominal[tid] += 1
    teams = {tid: Team(nominal[tid], tier=tiers[tid]) for tid in sorted(work)}
    teams[FLOOD_TEAM] = Team(0, tier="batch")
    return teams


def scenario(n: int, mode: str) -> Scenario:
    jobs = fleet_jobs()
    per_host = min(n, 4)
    hosts = {f"gpu-{i + 1}": per_host for i in range(n // per_host)}
    pipelines = [*(Pipeline(f"n{n}{mode[0]}__{j.dag_id}", j.tenant, j.gpus, j.seconds, j.tier) for j in jobs),
                 Pipeline(f"n{n}{mode[0]}__flood", FLOOD_TEAM, 1, FLOOD_SECONDS, "batch")]
    arrivals = [Arrival(0, p.dag_id) for p in pipelines[:-1]] + [Arrival(0, pipelines[-1].dag_id, FLOOD_RUNS)]
    teams = teams_for(n, jobs)
    if n >= 2:
        wide = Pipeline(f"n{n}{mode[0]}__wide", "payments", 2, WIDE_SECONDS, "critical")
        pipelines.append(wide)
        arrivals.append(Arrival(5, wide.dag_id))
    return Scenario(f"n{n}{mode[0]}", mode, hosts, teams, pipelines, arrivals)


@dataclass
class Row:
    n: int
    mode: str
    outcome: Outcome

    def metrics(self) -> dict[str, Any]:
        o = self.outcome
        records, arrived = o.records, o.arrived
        makespan, bound = gpu_metrics.makespan_ratio(records, arrived, self.n)
        wide = [w for r, w in zip(records, gpu_metrics.waits(records, arrived)) if r["gpus"] > 1]
        reclaims = [e["seconds"] for e in o.events if e["kind"] == "reclaim_done" and e["seconds"] is not None]
        return {
            "makespan": makespan, "bound": bound, "ratio": makespan / bound,
            "utilization": gpu_metrics.utilization_while_queued(records, arrived, self.n),
            "tiers": gpu_metrics.wait_by(records, arrived, "tier"),
            "tenants": gpu_metrics.wait_by(records, arrived, "tenant"),
            "shares": gpu_metrics.shares(records),
            "wide_wait": max(wide) if wide else None,
            "reclaim": (max(reclaims), len(reclaims)) if reclaims else None,
            "inversions": gpu_metrics.priority_inversions(records, arrived),
            "conflicts": gpu_metrics.conflicts(records),
            "failed": sum(s != "success" for s in o.run_states.values()),
            "audit": o.audit_summary,
        }


def measure(sizes: tuple[int, ...] = SIZES, pictures: Path | None = None) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="gpu-bench-") as tmp:
        fleet = GpuFleet(Path(tmp), parallelism=14)
        fleet.up()
        try:
            for n in sizes:
                for mode in ("plain", "modelfleet"):
                    outcome = fleet.run(scenario(n, mode), timeout=1800)
                    rows.append(Row(n, mode, outcome))
                    print(f"N={n} {mode}: {len(outcome.records)} jobs, makespan ratio {rows[-1].metrics()['ratio']:.2f}", flush=True)
        finally:
            fleet.down()
    if pictures is not None:
        for row in rows:
            if row.n == 4:
                gantt(row, pictures / f"gpu-timeline-n4-{row.mode}.png")
    return rows


def gantt(row: Row, path: Path) -> None:
    """One lane per device (modelfleet: the leased device; plain: CUDA's device 0 for every task), bars per team."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = row.outcome.records
    t0 = min(row.outcome.arrived.values())
    uses = gpu_metrics.device_uses(records)
    lanes = sorted({u[0] for u in uses})
    teams = sorted({r["tenant"] for r in records})
    colours = {t: plt.get_cmap("tab10")(i % 10) for i, t in enumerate(teams)}
    team_of = {r["run_id"]: r["tenant"] for r in records}
    fig, ax = plt.subplots(figsize=(12, 1.2 + 0.45 * max(len(lanes), 3)))
    for device, start, end, run_id in uses:
        ax.barh(lanes.index(device), end - start, left=start - t0, color=colours[team_of[run_id]], alpha=0.55 if row.mode == "plain" else 0.9,
                edgecolor="black", linewidth=0.4)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_xlabel("seconds since the batch arrived")
    metrics = row.metrics()
    ax.set_title(f"{row.mode}, N={row.n}: makespan {metrics['makespan']:.0f}s (bound {metrics['bound']:.0f}s), "
                 f"{metrics['conflicts']} device conflicts")
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=colours[t]) for t in teams], labels=teams, fontsize=7,
              loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(rows: list[Row]) -> str:
    out = [
        "## Fleet GPU scheduling: plain Airflow vs modelfleet\n",
        __doc__.split("\n\n", 1)[1].split("\n\nRun:")[0].strip() + "\n",
        "Waits run from trigger to the start of GPU work, so they include Airflow's own scheduling latency "
        "(several seconds per task on 2 cores) in both configurations. Makespan bound: the larger of total GPU work / N "
        "and the longest job. Inversions: starts of a lower-tier job while a higher-tier job that arrived no later still "
        "waited (under quotas, a team using its own guarantee is not an inversion of policy, but it is counted). "
        "Conflicts: pairs of jobs on one device at once; plain Airflow assigns no device, so CUDA gives every job device 0.\n",
        "| N | config | makespan / bound | GPU use while queued | wait p50/p95 critical | high | standard | batch | longest 2-GPU wait | reclaim (max, count) | inversions | conflicts |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        m = row.metrics()
        tiers = [f"{m['tiers'][t][0]:.0f}/{m['tiers'][t][1]:.0f} s" if t in m["tiers"] else "-" for t in TIERS]
        wide = "-" if m["wide_wait"] is None else f"{m['wide_wait']:.0f} s"
        reclaim = "-" if m["reclaim"] is None else f"{m['reclaim'][0]:.1f} s, {m['reclaim'][1]}"
        out.append(f"| {row.n} | {row.mode} | {m['makespan']:.0f}/{m['bound']:.0f} s = **{m['ratio']:.2f}** | {m['utilization']:.0%} | "
                   + " | ".join(tiers) + f" | {wide} | {reclaim} | {m['inversions']} | {m['conflicts']} |")
    out.append("\nShare of GPU time per team (modelfleet entitlement: its guarantee / N; everything beyond is borrowed idle capacity):\n")
    teams = sorted({t for row in rows for t in row.metrics()["shares"]})
    out.append("| N | config | " + " | ".join(teams) + " |")
    out.append("|---:|---|" + "---:|" * len(teams))
    for row in rows:
        shares = row.metrics()["shares"]
        entitled = {tid: team.nominal / row.n for tid, team in row.outcome.scenario.teams.items()}
        cells = [f"{shares.get(t, 0):.0%}" + (f" ({entitled.get(t, 0):.0%})" if row.mode == "modelfleet" else "") for t in teams]
        out.append(f"| {row.n} | {row.mode} | " + " | ".join(cells) + " |")
    out.append("\nQueue wait p50/p95 per team (seconds):\n")
    out.append("| N | config | " + " | ".join(teams) + " |")
    out.append("|---:|---|" + "---:|" * len(teams))
    for row in rows:
        waits = row.metrics()["tenants"]
        out.append(f"| {row.n} | {row.mode} | " + " | ".join(f"{waits[t][0]:.0f}/{waits[t][1]:.0f}" if t in waits else "-" for t in teams) + " |")
    audits = [f"N={row.n}: {row.metrics()['audit']}" for row in rows if row.mode == "modelfleet"]
    out.append("\n`modelfleet gpus audit` after each modelfleet run: " + "; ".join(audits) + "\n")
    out.append("GPU timelines at N=4 (one lane per device; plain Airflow's jobs all land on device 0):\n\n"
               "![plain Airflow, N=4](img/gpu-timeline-n4-plain.png)\n\n![modelfleet, N=4](img/gpu-timeline-n4-modelfleet.png)\n")
    return "\n".join(out)
