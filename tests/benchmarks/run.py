"""Run the benchmarks and write docs/BENCHMARKS.md: `make bench` (= python -m tests.benchmarks.run)."""

from __future__ import annotations

import argparse
import os
import platform as host
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from tests.benchmarks import overhead, parse_time

REPO = Path(__file__).resolve().parents[2]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores ({cpu}), {memory} GiB, Python {host.python_version()}, load {load:.1f} at start"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--overhead-repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    args = parser.parse_args()
    revision = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    header = (
        "# Benchmarks\n\n"
        "Written by `make bench` (`.venv/bin/python -m tests.benchmarks.run`); figures are ratios against a baseline "
        "measured in the same run, because these machines are noisy.\n\n"
        f"- machine: {machine()}\n- revision: {revision}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n\n"
    )
    results = parse_time.measure(args.repeats)
    section = "## DAG parse time\n\n" + parse_time.markdown(results, args.repeats)
    text = header + section + "\n" + overhead.markdown(overhead.measure(args.overhead_repeats), args.overhead_repeats)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
