"""`modelfleet report`: the fleet view as a static HTML report with SVG plots, for people who would rather look.

Reads what the Fleet page reads (modelfleet.fleet_view.assemble, the same code
path), on the operator's machine, and draws with matplotlib: per team a table,
champions' metric across logical dates, DAG-run durations over 7 days, and
the GPU leases of the last 24 hours. Writes `index.html` and the SVG files into
one folder, which can be copied anywhere (no server, no scripts).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from modelfleet.monitoring import records
from modelfleet.fleet_view.schema import FleetView, GpuView

DURATION_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Report:
    index: Path
    plots: list[Path]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller files, searchable, selectable
    import matplotlib.pyplot as plt

    return plt


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def plot_trends(view: FleetView, tenant_id: str, out: Path) -> Path | None:
    """Each registered model's hold-out metric per version, by logical date; the champion's point ringed."""
    tenant = next(t for t in view.tenants if t.id == tenant_id)
    series = [(c, [p for p in c.trend if p.value is not None]) for p in tenant.pipelines for c in p.champions or []]
    series = [(c, points) for c, points in series if points]
    if not series:
        return None
    plt = _pyplot()
    from matplotlib import dates as mdates

    figure, axis = plt.subplots(figsize=(8, 3.2))
    days = [d for _, points in series for p in points if (d := _date(p.logical_date)) is not None]
    if days:  # a day either side: one logical date would otherwise get an axis of years
        axis.set_xlim(min(days) - timedelta(days=1), max(days) + timedelta(days=1))
        axis.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    for champion, points in series:
        xs = [_date(p.logical_date) or i for i, p in enumerate(points)]
        axis.plot(xs, [p.value for p in points], marker="o", label=f"{champion.model_name} ({champion.metric})")
        current = [(x, p.value) for x, p in zip(xs, points) if p.version == champion.version]
        if current:
            axis.scatter(*zip(*current), s=120, facecolors="none", edgecolors="black", zorder=3)
    axis.set_title(f"{tenant_id}: hold-out metric of every registered version (ringed: champion)", fontsize=10)
    axis.legend(fontsize=7, loc="best")
    axis.grid(alpha=0.3)
    figure.autofmt_xdate()
    path = out / f"trend_{tenant_id}.svg"
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return path


def plot_durations(runs: list[records.RunRow], dag_ids: set[str], out: Path) -> Path | None:
    """Minutes per finished DAG run over the window, one row per team (a dot per run, failed runs in red).

    One row per team, not per pipeline, so the plot keeps its size at 1,000 pipelines.
    """
    by_tenant: dict[str, list[records.RunRow]] = {}
    for run in runs:
        if run.dag_id in dag_ids and run.duration_s is not None:
            by_tenant.setdefault(run.dag_id.split("__", 1)[0], []).append(run)
    if not by_tenant:
        return None
    plt = _pyplot()
    rows = sorted(by_tenant)
    figure, axis = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    for y, tenant in enumerate(rows):
        mine = by_tenant[tenant]
        axis.scatter([r.duration_s / 60 for r in mine], [y] * len(mine), s=18, alpha=0.7,
                     c=["tab:red" if r.state == "failed" else "tab:blue" for r in mine])
    axis.set_yticks(range(len(rows)), [f"{t} ({len(by_tenant[t])} runs)" for t in rows], fontsize=8)
    axis.set_xlabel("minutes per DAG run (red: failed)")
    axis.set_title(f"DAG-run durations per team, last {DURATION_WINDOW.days} days", fontsize=10)
    axis.grid(alpha=0.3, axis="x")
    path = out / "durations.svg"
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return path


def plot_gpu_timeline(view: GpuView, out: Path) -> Path | None:
    """One lane per declared device, a bar per lease over the last 24 hours, coloured by team."""
    if not view.devices:
        return None
    plt = _pyplot()
    lanes = [f"{d.gpu_class} {d.host}:{d.device}" for d in view.devices]
    index = {(d.gpu_class, d.host, d.device): i for i, d in enumerate(view.devices)}
    end = _date(view.generated_at) or datetime.now(timezone.utc)
    start = end - timedelta(hours=24)
    colours: dict[str, Any] = {}
    palette = plt.get_cmap("tab10")
    figure, axis = plt.subplots(figsize=(8, 0.35 * len(lanes) + 1.2))
    for interval in view.timeline:
        lane = index.get((interval.gpu_class, interval.host, interval.device))
        if lane is None:
            continue
        a = max(_date(interval.start) or start, start)
        b = _date(interval.end) or end
        colour = colours.setdefault(interval.tenant, palette(len(colours) % 10))
        axis.broken_barh([(a, max(b - a, timedelta(seconds=30)))], (lane - 0.35, 0.7), color=colour)
    axis.set_yticks(range(len(lanes)), lanes, fontsize=7)
    axis.set_xlim(start, end)
    axis.set_title("GPU leases, last 24 hours", fontsize=10)
    if colours:
        axis.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()], labels=list(colours), fontsize=7,
                    loc="upper left")
    figure.autofmt_xdate()
    path = out / "gpu_timeline.svg"
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return path


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _pipeline_rows(tenant: Any) -> str:
    rows = []
    for p in tenant.pipelines:
        run = p.last_run
        state = f'<span class="s-{_e(run.state)}">{_e(run.state)}</span> {_e(run.logical_date or "")[:10]}' if run else "no runs yet"
        rate = "–" if p.success_7d.rate is None else f"{p.success_7d.rate:.1%}"
        if p.champions is None:
            champions = "MLflow not read"
        else:
            champions = "; ".join(f"{_e(c.model_name)} v{_e(c.version)}" + (f" {_e(c.metric)} {c.value:.4f}" if c.value is not None else "")
                                  if c.version else f"{_e(c.model_name)}: no champion" for c in p.champions) or "no model yet"
        rows.append(f"<tr><td>{_e(p.model)}</td><td>{state}</td><td>{rate} ({p.success_7d.succeeded}/"
                    f"{p.success_7d.succeeded + p.success_7d.failed})</td><td>{champions}</td><td>{_e(p.drift.status)}</td>"
                    f"<td>{'n/a' if p.dead_letters is None else p.dead_letters}</td></tr>")
    return "\n".join(rows)


STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2328}table{border-collapse:collapse;margin:6px 0 14px}
th,td{border-bottom:1px solid #d0d7de;padding:4px 10px;text-align:left}th{background:#f6f8fa}.s-failed{color:#cf222e}
.s-success{color:#1a7f37}.missing{background:#fff8c5;padding:8px;border:1px solid #d4a72c}img{max-width:100%}"""


def runs(count: int) -> str:
    return f"{count} run" + ("" if count == 1 else "s")


def render_html(view: FleetView, gpus: GpuView, plots: dict[str, Path | None]) -> str:
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>modelfleet report</title><style>{STYLE}</style>"
             f"</head><body><h1>modelfleet fleet report</h1><p>generated {_e(view.generated_at)}</p>"]
    missing = view.missing + gpus.missing
    if missing:
        parts.append(f"<p class='missing'>Not shown: {_e('; '.join(missing))}</p>")
    for tenant in view.tenants:
        summary = "no runs yet" if tenant.runs_7d == 0 else f"{runs(tenant.runs_7d)} in 7 days, {tenant.failed_7d} failed"
        parts.append(f"<h2 id='tenant-{_e(tenant.id)}'>{_e(tenant.id)} <small>{summary}</small></h2>"
                     "<table><tr><th>pipeline</th><th>last run</th><th>success 7d</th><th>champion</th><th>drift</th>"
                     f"<th>dead letters</th></tr>{_pipeline_rows(tenant)}</table>")
        if plot := plots.get(f"trend_{tenant.id}"):
            parts.append(f"<img src='{plot.name}' alt='{_e(tenant.id)} metric trends'>")
    for key, title in (("durations", "Run durations"), ("gpu_timeline", "GPU timeline")):
        if plot := plots.get(key):
            parts.append(f"<h2>{title}</h2><img src='{plot.name}' alt='{title}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(session: Any, out: Path, *, base_url: str, mlflow_url: str | None, now: datetime | None = None) -> Report:
    """Assemble the views, draw the plots and write `out/index.html`; returns what was written."""
    from modelfleet.fleet_view.assemble import fleet_view, gpu_view

    now = now or datetime.now(timezone.utc)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.svg"):  # plots of a previous report that this one may not draw
        old.unlink()
    view = fleet_view(session, base_url=base_url, mlflow_url=mlflow_url, now=now)
    gpus = gpu_view(session, now=now)
    dag_ids = {p.dag_id for t in view.tenants for p in t.pipelines}
    plots: dict[str, Path | None] = {f"trend_{t.id}": plot_trends(view, t.id, out) for t in view.tenants}
    plots["durations"] = plot_durations(records.finished_runs(session, now - DURATION_WINDOW), dag_ids, out)
    plots["gpu_timeline"] = plot_gpu_timeline(gpus, out)
    index = out / "index.html"
    index.write_text(render_html(view, gpus, plots), encoding="utf-8")
    return Report(index, sorted(p for p in plots.values() if p is not None))
