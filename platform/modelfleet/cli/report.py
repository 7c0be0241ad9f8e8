"""`modelfleet report`: write the fleet report (modelfleet.fleet_view.report) and say where it is."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape


def default_folder() -> Path:
    from modelfleet import paths

    return paths.state_dir() / "report"


def write(console: Console, out: Path | None = None) -> Path | None:
    """The report's index.html, or None (said on the console) when it could not be written."""
    from modelfleet.cli.gpus import use_platform_database

    use_platform_database()  # before Airflow is imported: it reads its configuration once
    from airflow.utils.session import create_session

    from modelfleet.fleet_view.report import write_report
    from modelfleet.runtime.config import EmbeddedConfig

    config = EmbeddedConfig.from_env()
    try:
        with create_session() as session:
            report = write_report(session, out or default_folder(), base_url=config.api_url, mlflow_url=config.mlflow_url)
    except Exception as exc:  # noqa: BLE001 - the fleet ran; a report that cannot be drawn is said, not fatal
        console.print(f"[yellow]report not written[/yellow]: {escape(str(exc))}")
        return None
    return report.index


def main(console: Console, out: Path | None = None) -> int:
    index = write(console, out)
    if index is None:
        return 1
    console.print(f"report: {index}", soft_wrap=True)
    return 0
