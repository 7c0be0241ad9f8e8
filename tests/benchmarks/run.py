"""Run the benchmarks and write docs/BENCHMARKS.md: `make bench` (= python -m tests.benchmarks.run)."""

from __future__ import annotations

import argparse
import os
import platform as host
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from tests.benchmarks import (alert_latency, dag_processor_parse, executor_latency, fleet_view_endpoints, gpu_scheduling, lineage_overhead,
                              online_serving, overhead, scheduler_at_scale)

REPO = Path(__file__).resolve().parents[2]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores ({cpu}), {memory} GiB, Python {host.python_version()}, load {load:.1f} at start"


GPU_HEADING = "## Fleet GPU scheduling"
SERVING_HEADING = "## Online serving"
LINEAGE_HEADING = "## Lineage overhead"


def replace_section(text: str, heading: str, section: str, before: str) -> str:
    """`text` with the `heading` section (up to the next `## `) replaced by `section`, else inserted before `before`."""
    section = section.rstrip("\n") + "\n\n"
    start = text.find(heading)
    if start < 0:
        at = text.find(before)
        return text + "\n" + section if at < 0 else text[:at] + section + "\n" + text[at:]
    end = text.find("\n## ", start + len(heading))
    return text[:start] + section + (text[end + 1:] if end >= 0 else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--overhead-repeats", type=int, default=3)
    parser.add_argument("--alert-failures", type=int, default=24)
    parser.add_argument("--lineage-repeats", type=int, default=3)
    parser.add_argument("--executor-loads", default="10,50,100", help="concurrent runs per load of the executors suite")
    parser.add_argument("--only", choices=["parse", "gpu", "serving", "alerts", "lineage", "executors", "fleetview", "scheduler"], help="run one suite and replace only its section of the file")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    args = parser.parse_args()
    revision = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    stamp = f"- machine: {machine()}\n- revision: {revision}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n"
    header = (
        "# Benchmarks\n\n"
        "Written by `make bench` (`.venv/bin/python -m tests.benchmarks.run`); figures are ratios against a baseline "
        "measured in the same run, because these machines are noisy.\n\n" + stamp + "\n"
    )
    previous = args.output.read_text() if args.output.exists() else ""
    sections = {
        "parse": (lambda: dag_processor_parse.markdown(dag_processor_parse.measure()), dag_processor_parse.HEADING),
        "serving": (lambda: online_serving.markdown(online_serving.measure()), SERVING_HEADING),
        "alerts": (lambda: alert_latency.markdown(alert_latency.measure(args.alert_failures)), alert_latency.HEADING),
        "lineage": (lambda: lineage_overhead.markdown(lineage_overhead.measure(args.lineage_repeats)), LINEAGE_HEADING),
        "executors": (lambda: executor_latency.markdown(executor_latency.measure(tuple(int(n) for n in args.executor_loads.split(",")))),
                      executor_latency.HEADING),
        "fleetview": (lambda: fleet_view_endpoints.markdown(fleet_view_endpoints.measure()), fleet_view_endpoints.HEADING),
        "scheduler": (lambda: scheduler_at_scale.markdown(scheduler_at_scale.measure()), scheduler_at_scale.HEADING),
    }
    if args.only in sections:
        write, heading = sections[args.only]
        text = replace_section(previous or header, heading, write() + "\n" + stamp, GPU_HEADING)
        args.output.write_text(text)
        print(text)
        return
    parse_section = gpu_section = ""
    if args.only is None:
        parse_section = (dag_processor_parse.markdown(dag_processor_parse.measure()) + "\n"
                         + overhead.markdown(overhead.measure(args.overhead_repeats), args.overhead_repeats))
        parse_section += "\n" + online_serving.markdown(online_serving.measure()) + "\n"
        parse_section += "\n" + alert_latency.markdown(alert_latency.measure(args.alert_failures)) + "\n"
        parse_section += "\n" + lineage_overhead.markdown(lineage_overhead.measure(args.lineage_repeats)) + "\n"
    rows = gpu_scheduling.measure(pictures=args.output.parent / "img")
    gpu_section = gpu_scheduling.markdown(rows) + "\n" + stamp
    before, _, after = previous.partition(GPU_HEADING)
    if args.only == "gpu":
        text = (before or header) + gpu_section
    else:
        # The executors suite (~25 min, two platforms), the Fleet page's (two platforms, 1,000 models registered) and
        # the scheduler at 1,000 pipelines (four platforms) run only with --only; a full run keeps their sections.
        for kept in (executor_latency.HEADING, fleet_view_endpoints.HEADING, scheduler_at_scale.HEADING):
            start = previous.find(kept)
            if start >= 0:
                end = previous.find("\n## ", start + len(kept))
                parse_section += "\n" + (previous[start:end + 1] if end >= 0 else previous[start:]).rstrip("\n") + "\n"
        text = header + parse_section + "\n" + gpu_section
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
