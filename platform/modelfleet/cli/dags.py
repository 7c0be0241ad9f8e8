"""`modelfleet dags sync`: one DAG file per team, generated from the tenant folders, like CODEOWNERS."""

from __future__ import annotations

from rich.console import Console

from modelfleet import dag_files, paths


def sync(check: bool, console: Console) -> int:
    changes = dag_files.plan()
    lines = changes.describe(paths.repo_root())
    if check:
        if changes:
            console.print("[red]the teams' DAG files are out of date[/red]: run `modelfleet dags sync` and commit dags/tenants/")
            for line in lines:
                console.print(f"  {line}")
            return 1
        console.print(f"every team in {paths.tenants_dir()} has its DAG file in {dag_files.tenant_dag_files_dir()}")
        return 0
    dag_files.apply(changes)
    for line in lines or ["nothing to change"]:
        console.print(line)
    return 0
