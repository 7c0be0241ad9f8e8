"""The spec watcher: a platform component that makes the DAG processor re-parse a team's DAG file when its specs change.

The DAG processor re-parses an unchanged file only every
`min_file_process_interval` (long, so that a large fleet costs little CPU),
but at once when the file is newer than its last parse. Every `interval`
seconds the watcher gives the DAG file of each team whose specs changed a
new modification time (modelfleet.dag_files.touch_changed), and once more
`settle` seconds later: a parse that had already started when the spec
changed finishes after the first touch and would otherwise keep the old
DAGs until the next periodic pass. On the repository's own layout it also
writes the DAG file of a new team and removes that of a team that is gone.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

from modelfleet import dag_files, paths
from modelfleet.runtime.daemon import serve

log = logging.getLogger(__name__)


class SpecWatcher:
    def __init__(self, interval: float = 2.0, settle: float = 30.0, write_files: bool = False) -> None:
        self.interval = interval
        self.settle = settle
        self.write_files = write_files
        self._again: dict[str, float] = {}  # team -> when to touch its file once more

    def step(self, now: float) -> list[str]:
        """One pass; returns the teams whose DAG file was touched."""
        if self.write_files and (changes := dag_files.plan()):
            for line in changes.describe(paths.repo_root()):
                log.info("DAG files: %s", line)
            dag_files.apply(changes)
        touched = dag_files.touch_changed()
        due = [team for team, at in self._again.items() if at <= now and team not in touched]
        for team in due:
            path = dag_files.dag_file(team)
            if path.exists():
                os.utime(path)
            del self._again[team]
        for team in touched:
            log.info("specs of %s changed: its DAG file is re-parsed now", team)
            self._again[team] = now + self.settle
        return sorted({*touched, *due})

    def run(self, stop: threading.Event) -> None:
        log.info("spec watcher started (every %.1fs, DAG files in %s)", self.interval, dag_files.tenant_dag_files_dir())
        while not stop.is_set():
            try:
                self.step(time.monotonic())
            except Exception:  # noqa: BLE001 - a failed pass is retried; the processor's periodic pass still runs
                log.exception("spec watcher pass failed; retrying")
            stop.wait(self.interval)


def main() -> int:
    return serve(SpecWatcher(interval=float(os.environ.get("MODELFLEET_SPEC_WATCH_INTERVAL", "2")),
                             write_files=dag_files.owns_repository_layout()).run)


if __name__ == "__main__":
    sys.exit(main())
