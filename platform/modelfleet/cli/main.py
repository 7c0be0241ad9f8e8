"""The `modelfleet` command: run the fleet, start and stop the embedded platform, check specs."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from modelfleet.runtime.errors import ConfigError

# Piped output (CI logs, files) gets room for the summary tables (13 columns) instead of rich's default 80.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelfleet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the embedded platform (Airflow + MLflow on localhost)")
    up.add_argument("--schedules", action="store_true",
                    help="let the scheduler start runs on the specs' schedules (default: on demand only)")
    up.add_argument("--mode", choices=("embedded", "celery"), default=None,
                    help="embedded (SQLite, LocalExecutor; the default) or celery (PostgreSQL, Redis, Celery workers); "
                         "same as MODELFLEET_MODE")
    sub.add_parser("down", help="stop everything `up` started")
    sub.add_parser("status", help="show which components run and their health")
    run = sub.add_parser("run", help="run every fleet pipeline for one logical date and summarise")
    run.add_argument("--date", type=date.fromisoformat, default=None, help="logical date YYYY-MM-DD (default: yesterday, UTC)")
    run.add_argument("--tenant", action="append", help="only this tenant's pipelines (repeatable)")
    run.add_argument("--pipeline", action="append", help="only this dag id (repeatable)")
    run.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the runs (default 3600)")
    validate = sub.add_parser("validate", help="check all specs, or one tenant's (exit 1 on any problem)")
    validate.add_argument("path", nargs="?", help="tenants/<team> or a spec file; default: every tenant")
    pools = sub.add_parser("pools", help="GPU pools generated from infra/capacity.yaml and the teams' quotas")
    pools_sub = pools.add_subparsers(dest="pools_command", required=True)
    pools_sub.add_parser("sync", help="create and resize the GPU pools to the guarantees (refuses an invalid or over-committed config)")
    gpus = sub.add_parser("gpus", help="GPU inventory, live leases, borrowed slots and waiting GPU work per team")
    gpus_sub = gpus.add_subparsers(dest="gpus_command")
    gpus_sub.add_parser("audit", help="check the lease history for two holders on one device (exit 1 on any)")
    dlq = sub.add_parser("dlq", help="dead-letter queue: task instances that failed for good; replay or discard them")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    dlq_list = dlq_sub.add_parser("list", help="entries, newest last (default: open ones)")
    dlq_list.add_argument("--state", choices=["open", "replayed", "discarded", "all"], default="open")
    dlq_list.add_argument("--tenant", help="only this tenant's entries")
    dlq_sub.add_parser("show", help="one entry in full: error class, message, log").add_argument("id", type=int)
    dlq_replay = dlq_sub.add_parser("replay", help="rerun the entry's failed tasks for the same logical date (Airflow API)")
    dlq_replay.add_argument("id", type=int, nargs="+")
    dlq_replay.add_argument("--whole-run", action="store_true", help="clear every task of the run, not only the failed ones")
    dlq_discard = dlq_sub.add_parser("discard", help="close entries without a replay")
    dlq_discard.add_argument("id", type=int, nargs="+")
    dlq_discard.add_argument("--reason", required=True, help="why nothing is to be done (kept with the entry)")
    lineage = sub.add_parser("lineage", help="the chain from a model version back to its data, spec, code, DAG run and trace")
    lineage.add_argument("model", help="<tenant>/<model>[@alias|:version], e.g. payments/card_fraud@champion (default alias: champion)")
    lineage.add_argument("--json", action="store_true", help="machine-readable output")
    reproduce = sub.add_parser("reproduce", help="retrain a model version from its lineage alone and compare its metric")
    reproduce.add_argument("model", help="<tenant>/<model>:<version> (or @alias)")
    reproduce.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a new temporary folder, kept)")
    reproduce.add_argument("--tolerance", type=float, default=None, help="largest accepted |metric difference| (default 1e-9)")
    reproduce.add_argument("--allow-dirty", action="store_true",
                           help="retrain a model trained from uncommitted code with its base revision (the spec hash is still checked)")
    k8s = sub.add_parser("k8s", help="Kubernetes mode: Kueue queues, namespaces and pod templates from the same quotas")
    k8s_sub = k8s.add_subparsers(dest="k8s_command", required=True)
    k8s_render = k8s_sub.add_parser("render", help="render and check the manifests (default --out .modelfleet/k8s)")
    k8s_render.add_argument("--out", type=Path, default=None, help="folder to write them to")
    k8s_render.add_argument("--values", type=Path, default=None, help="Helm values (default infra/helm/values.yaml)")
    k8s_render.add_argument("--release", default="airflow", help="the Helm release name (default airflow)")
    k8s_render.add_argument("--namespace", default="airflow", help="the release's namespace (default airflow)")
    report = sub.add_parser("report", help="write the fleet report: HTML with plots of runs, champions and GPUs (default .modelfleet/report)")
    report.add_argument("--out", type=Path, default=None, help="folder to write index.html and the plots to")
    codeowners = sub.add_parser("codeowners", help="write or check CODEOWNERS from the tenants' owners")
    codeowners.add_argument("--check", action="store_true", help="exit 1 if CODEOWNERS is out of date")
    dags = sub.add_parser("dags", help="the teams' DAG files (dags/tenants/<team>.py)")
    dags_sub = dags.add_subparsers(dest="dags_command", required=True)
    dags_sync = dags_sub.add_parser("sync", help="write the DAG file of every team in tenants/, remove those of teams that are gone")
    dags_sync.add_argument("--check", action="store_true", help="change nothing; exit 1 if a team's DAG file is missing or out of date")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            from modelfleet.cli.validate import main as validate_main

            return validate_main(args.path, console)
        if args.command == "k8s":
            from modelfleet.cli import k8s as k8s_commands

            return k8s_commands.render(console, args.out, args.values, args.release, args.namespace)
        if args.command == "codeowners":
            from modelfleet.cli.codeowners import main as codeowners_main

            return codeowners_main(args.check, console)
        if args.command == "dags":
            from modelfleet.cli.dags import sync

            return sync(args.check, console)
        if args.command in ("lineage", "reproduce"):
            from modelfleet.cli import lineage as lineage_commands

            if args.command == "lineage":
                return lineage_commands.show(console, args.model, args.json)
            from modelfleet.lineage.reproduce import DEFAULT_TOLERANCE

            tolerance = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
            return lineage_commands.reproduce(console, args.model, args.workdir, tolerance, args.allow_dirty)
        if args.command == "dlq":
            from modelfleet.cli import dlq as dlq_commands

            if args.dlq_command == "list":
                return dlq_commands.list_entries(console, args.state, args.tenant)
            if args.dlq_command == "show":
                return dlq_commands.show(console, args.id)
            if args.dlq_command == "replay":
                return dlq_commands.replay(console, args.id, args.whole_run)
            return dlq_commands.discard(console, args.id, args.reason)
        if args.command == "report":
            from modelfleet.cli import report as report_command

            return report_command.main(console, args.out)
        if args.command in ("pools", "gpus"):
            from modelfleet.cli import gpus as gpu_commands

            if args.command == "pools":
                return gpu_commands.pools_sync(console)
            return gpu_commands.audit(console) if args.gpus_command == "audit" else gpu_commands.show(console)
        from modelfleet.cli import lifecycle

        if args.command == "up":
            if args.schedules:
                os.environ["MODELFLEET_SCHEDULES"] = "on"
            if args.mode:
                os.environ["MODELFLEET_MODE"] = args.mode
            return lifecycle.up(console)
        if args.command == "down":
            return lifecycle.down(console)
        if args.command == "status":
            return lifecycle.status(console)
        if args.command == "run":
            logical_date = args.date or (datetime.now(timezone.utc).date() - timedelta(days=1))
            return lifecycle.run(console, logical_date, args.tenant, args.pipeline, args.timeout)
    except ConfigError as exc:
        console.print(f"[red]error[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        console.print("interrupted; the platform keeps running (`modelfleet down` stops it)")
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
