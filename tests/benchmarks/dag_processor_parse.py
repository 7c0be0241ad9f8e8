"""DAG parsing as the real DAG processor pays it: `airflow dag-processor --num-runs K` over a DAG folder.

Each case is a DAG folder parsed by Airflow's own DAG processor (its manager,
its parse subprocesses, serialization, and the writes to a migrated SQLite
database), with `min_file_process_interval` 0 so the K parses follow each
other, at 25 (the real specs), 250 and 1,000 pipelines. Two layouts, in the
same go:

- before: the code as it was before the fleet got a DAG file per team (a git
  worktree of BEFORE_REVISION, first on PYTHONPATH): `dags/fleet.py` with every
  pipeline and `dags/features.py` with every team's feature DAG;
- after: this checkout, one DAG file per team (modelfleet.dag_files) and the
  DAG processor's environment of the platform (MODELFLEET_PRELOAD).

What is reported, per case:

- first parse: CPU seconds of the processor's whole process tree for one pass
  over the folder (every DAG new to the database), minus the same command's
  cost on the hello-world folder (the processor's own start-up);
- re-parse: CPU seconds of one more pass when nothing changed, from
  K=3 minus K=1, halved: what the processor pays every
  `min_file_process_interval` at steady state;
- Airflow's own `last_parse_duration` (wall time of the parse subprocess,
  from the `dag` table): the largest over the folder's files and their sum;
- DAGs and import errors the processor recorded.

CPU is the sum of user and system time of every process the processor
started and waited for (`RUSAGE_CHILDREN`), so it counts both parse
subprocesses and the manager's database writes; it does not depend on how
busy the machine is, the wall times do.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from modelfleet import dag_files
from modelfleet.runtime.config import EmbeddedConfig
from modelfleet.runtime.preload import DAG_PROCESSOR_PRELOAD, PRELOAD
from tests.benchmarks.generated_fleet import generated_fleet
from tests.benchmarks.overhead import scoped_environ

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).parent / "airflow")

HELLO_WORLD = '''"""Airflow hello-world DAG: one task."""
from datetime import datetime

from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(dag_id="hello_world", schedule="@daily", start_date=datetime(2026, 1, 1), catchup=False):
    EmptyOperator(task_id="hello")
'''


@dataclass(frozen=True)
class Pass:
    cpu_s: float
    wall_s: float
    dags: int
    errors: list[str]
    durations: dict[str, float]  # DAG file -> last_parse_duration


def environment(home: Path, dags: Path, tenants: Path | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "MODELFLEET_"))}
    env.update({
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "0",
        # The one-file layout at 1,000 pipelines takes longer than Airflow's defaults (30 s, 50 s) allow: raised so
        # that it can be measured at all; the report says which parses exceeded the defaults.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "900",
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "1000",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # Airflow skips comparing a DAG with its stored copy when that was written less than this ago (default 30 s). The
        # passes of one measurement follow each other within seconds; a real re-parse comes an interval later and compares.
        "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "0",
        "MODELFLEET_HOME": str(home / "modelfleet"),
    })
    if tenants is not None:
        env["MODELFLEET_TENANTS_DIR"] = str(tenants)
    return {**env, **(extra or {})}


def migrated_database(work: Path) -> Path:
    """One migrated SQLite database, copied for every pass so each starts from the same empty state."""
    home = work / "template"
    home.mkdir()
    env = environment(home, work, None)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    return home / "airflow.db"


def run_processor(template: Path, work: Path, dags: Path, tenants: Path | None, passes: int,
                  extra: dict[str, str] | None = None) -> Pass:
    """One `airflow dag-processor --num-runs passes` from an empty database; CPU of its whole process tree."""
    home = Path(tempfile.mkdtemp(dir=work))
    shutil.copy(template, home / "airflow.db")
    env = environment(home, dags, tenants, extra)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([AIRFLOW, "dag-processor", "--num-runs", str(passes)], env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"dag-processor failed ({done.returncode}): {done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with sqlite3.connect(home / "airflow.db") as db:
        dags_found = db.execute("select count(*) from dag where not is_stale").fetchone()[0]
        durations = dict(db.execute("select relative_fileloc, max(last_parse_duration) from dag group by relative_fileloc").fetchall())
        errors = [f"{name}: {trace.strip().splitlines()[-1]}" for name, trace in db.execute("select filename, stacktrace from import_error")]
    shutil.rmtree(home, ignore_errors=True)
    return Pass(cpu, wall, dags_found, errors, durations)


class LiveProcessor:
    """`airflow dag-processor` left running, as the platform runs it, with the CPU of its whole process tree at hand."""

    def __init__(self, template: Path, work: Path, dags: Path, tenants: Path, extra: dict[str, str], interval: int) -> None:
        import psutil

        self.home = Path(tempfile.mkdtemp(dir=work))
        shutil.copy(template, self.home / "airflow.db")
        env = environment(self.home, dags, tenants, {**extra, "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": str(interval)})
        self.proc = subprocess.Popen([AIRFLOW, "dag-processor"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.manager = psutil.Process(self.proc.pid)
        self.files = len(list(dags.rglob("*.py")))

    def parsed_at(self) -> dict[str, str]:
        while True:
            try:
                with sqlite3.connect(self.home / "airflow.db") as db:
                    return dict(db.execute("select relative_fileloc, max(last_parsed_time) from dag group by relative_fileloc"))
            except sqlite3.OperationalError:  # the processor holds the write lock a moment
                time.sleep(0.2)

    def wait(self, done, timeout: float = 1800) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the DAG processor did not get there")
            time.sleep(0.5)

    def cpu(self) -> float:
        """User + system seconds of the manager, the parse processes it reaped, and those still running."""
        import psutil

        own = self.manager.cpu_times()
        total = own.user + own.system + own.children_user + own.children_system
        for child in self.manager.children(recursive=True):
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.home, ignore_errors=True)


def live(template: Path, work: Path, dags: Path, tenants: Path, layout: Layout, window: float, team: str | None,
         edits: int = 5) -> dict:
    """Once every file has been parsed: the processor's CPU over an idle `window` (nothing changed), then, per team
    layout, `edits` times a touch of one team's DAG file (what the spec watcher does on an edit) and its re-parse."""
    processor = LiveProcessor(template, work, dags, tenants, layout.extra, layout.interval)
    try:
        processor.wait(lambda: len(processor.parsed_at()) >= processor.files)
        time.sleep(5)  # the last parse's writes
        start_cpu, start = processor.cpu(), time.monotonic()
        time.sleep(window)
        result: dict = {"interval_s": layout.interval, "window_s": time.monotonic() - start, "cpu_s": processor.cpu() - start_cpu}
        if team is not None:
            name = f"{dag_files.TENANT_DAGS_DIR}/{team}.py"
            costs, walls = [], []
            for _ in range(edits):
                before, start_cpu, start = processor.parsed_at()[name], processor.cpu(), time.monotonic()
                os.utime(dags / name)
                processor.wait(lambda: processor.parsed_at()[name] != before, timeout=300)
                walls.append(time.monotonic() - start)
                costs.append(processor.cpu() - start_cpu)
            idle_per_s = result["cpu_s"] / result["window_s"]
            result["edit"] = {"team": team, "edits": edits, "cpu_s": statistics.median(costs),
                              "cpu_minus_idle_s": statistics.median(c - idle_per_s * w for c, w in zip(costs, walls)),
                              "touch_to_parsed_s": statistics.median(walls)}
        return result
    finally:
        processor.stop()


BEFORE_REVISION = "756d0c8"
"""The last revision with one DAG file for the whole fleet (dags/fleet.py, dags/features.py)."""
SIZES = (25, 250, 1000)
TEAM_SIZE = 25  # a generated team holds a copy of every real spec


@dataclass(frozen=True)
class Layout:
    name: str
    extra: dict[str, str]  # environment of the DAG processor
    write: object  # (dags folder, tenants folder) -> None
    interval: int  # the min_file_process_interval the layout runs with


def before_layout(work: Path, revision: str) -> Layout:
    """The code of `revision` (a git worktree, first on PYTHONPATH) and its two DAG files."""
    tree = work / "before"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision], check=True, capture_output=True)

    def write(dags: Path, tenants: Path) -> None:
        for name in ("fleet.py", "features.py"):
            shutil.copy(tree / "dags" / name, dags / name)

    return Layout(f"one file ({revision})", {"PYTHONPATH": str(tree / "platform"), "MODELFLEET_REPO": str(tree)}, write, 30)


def after_layout() -> Layout:
    def write(dags: Path, tenants: Path) -> None:
        dag_files.apply(dag_files.plan(dags, tenants))

    return Layout("per team (this checkout)", {PRELOAD: ",".join(DAG_PROCESSOR_PRELOAD)}, write, int(EmbeddedConfig.from_env().dag_reparse_seconds))


FLOOR = '''"""Airflow DAG file: the DAGs of team {team} as plain chains of EmptyOperators, same number of DAGs and tasks."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

for index, tasks in enumerate({shape!r}):
    with DAG(dag_id=f"{team}__floor_{{index}}", schedule="@daily", start_date=datetime(2026, 1, 1), catchup=False) as dag:
        previous = None
        for number in range(tasks):
            task = EmptyOperator(task_id=f"task_{{number}}")
            if previous is not None:
                previous >> task
            previous = task
    globals()[dag.dag_id] = dag
'''


def floor_layout() -> Layout:
    """Airflow's own cost for the fleet's shape: per team, as many DAGs with as many tasks, but EmptyOperator chains
    built from no specs. What the DAG processor pays for this many DAGs and tasks whatever the code that makes them."""

    def write(dags: Path, tenants: Path) -> None:
        from modelfleet.dag_factory.tenant import build_tenant_dags

        folder = dags / dag_files.TENANT_DAGS_DIR
        folder.mkdir()
        with scoped_environ({"MODELFLEET_TENANTS_DIR": str(tenants)}):
            for team_dir in sorted(p for p in tenants.iterdir() if (p / "tenant.yaml").is_file()):
                shape = [len(dag.tasks) for dag in build_tenant_dags(team_dir.name, tenants).values()]
                (folder / f"{team_dir.name}.py").write_text(FLOOR.format(team=team_dir.name, shape=shape))

    return Layout("Airflow floor (same shape, EmptyOperator chains)", {}, write, int(EmbeddedConfig.from_env().dag_reparse_seconds))


def _fleet(work: Path, size: int) -> Path:
    return REPO / "tenants" if size == 25 else generated_fleet(work / f"tenants{size}", size)


def _folder(work: Path, name: str) -> Path:
    folder = work / name
    folder.mkdir(parents=True)
    return folder


def measure(sizes: tuple[int, ...] = SIZES, revision: str = BEFORE_REVISION, window: float = 120.0) -> dict:
    """Every layout at every size, and one team's file alone, each as a first pass and as re-parses."""
    work = Path(tempfile.mkdtemp(prefix="modelfleet-parse-"))
    layouts = [before_layout(work, revision), after_layout(), floor_layout()]
    try:
        template = migrated_database(work)
        hello = _folder(work, "hello")
        (hello / "hello_world.py").write_text(HELLO_WORLD)
        base = {k: run_processor(template, work, hello, None, k) for k in (1, 3, 5)}
        result: dict = {"revision": revision, "hello": _figures(base, base), "cases": []}
        for size in sizes:
            tenants = _fleet(work, size)
            for index, layout in enumerate(layouts):
                dags = _folder(work, f"dags{size}_{index}")
                layout.write(dags, tenants)
                passes = {k: run_processor(template, work, dags, tenants, k, layout.extra) for k in (1, _more(size))}
                case = {"size": size, "layout": layout.name, **_figures(passes, base)}
                if size == max(sizes) and not layout.name.startswith("Airflow floor"):
                    team = sorted(p.stem for p in (dags / dag_files.TENANT_DAGS_DIR).glob("*.py"))[0] if layout.name.startswith("per team") else None
                    case["live"] = live(template, work, dags, tenants, layout, window, team)
                case["interval_s"] = layout.interval
                print(json.dumps(case), file=sys.stderr, flush=True)
                result["cases"].append(case)
        return result
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(work / "before")], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def _more(size: int) -> int:
    """Passes of the re-parse measurement: more where a pass is cheap, so the processor's start-up noise averages out."""
    return 3 if size >= 250 else 5


def _figures(passes: dict[int, Pass], base: dict[int, Pass]) -> dict:
    k = max(passes)
    one, three = passes[1], passes[k]
    if one.errors or three.errors:
        raise RuntimeError(f"import errors: {one.errors[:3] or three.errors[:3]}")
    reparse = (three.cpu_s - one.cpu_s) / (k - 1) - (base[k].cpu_s - base[1].cpu_s) / (k - 1)
    return {
        "dags": one.dags, "files": len(one.durations),
        "first_cpu_s": one.cpu_s - base[1].cpu_s, "reparse_cpu_s": reparse,
        "first_parse_max_s": max(one.durations.values()), "reparse_max_s": max(three.durations.values()),
        "reparse_sum_s": sum(three.durations.values()),
        "processor_cpu_s": one.cpu_s,
    }


def markdown(result: dict) -> str:
    hello = result["hello"]
    after_interval = next(c["interval_s"] for c in result["cases"] if c["layout"].startswith("per team"))
    rows = ""
    for case in result["cases"]:
        over = " (over Airflow's 30 s import timeout)" if case["reparse_max_s"] > 30 else ""
        rows += (f"| {case['size']:,} | {case['layout']} | {case['files']} | {case['dags']:,} | {case['first_cpu_s']:.1f} s "
                 f"| {case['reparse_cpu_s']:.1f} s | {case['reparse_max_s']:.2f} s{over} | {case['interval_s']} s "
                 f"| {case['reparse_cpu_s'] / case['interval_s'] * 60:.1f} s |\n")
    ratios = ""
    for size in sorted({c["size"] for c in result["cases"]}):
        by_layout = {c["layout"].split(" ")[0]: c for c in result["cases"] if c["size"] == size}
        before, after, floor = by_layout.get("one"), by_layout.get("per"), by_layout.get("Airflow")
        if before and after and floor:
            ratios += (f"| {size:,} | {after['reparse_cpu_s'] / before['reparse_cpu_s']:.2f}x | {after['reparse_max_s'] / before['reparse_max_s']:.2f}x "
                       f"| {after['reparse_cpu_s'] / floor['reparse_cpu_s']:.2f}x |\n")
    live_rows = edit_rows = ""
    for case in result["cases"]:
        if "live" not in case:
            continue
        live_case = case["live"]
        in_window = live_case["cpu_s"] / live_case["window_s"] * 60
        if case["interval_s"] < live_case["window_s"]:  # the window holds the periodic passes: it is the steady state
            total, how = in_window, "the window (it holds the periodic passes)"
        else:
            total, how = in_window + case["reparse_cpu_s"] / case["interval_s"] * 60, "the window + re-parse CPU / interval"
        live_rows += (f"| {case['size']:,} | {case['layout']} | {live_case['window_s']:.0f} s | {live_case['cpu_s']:.1f} s | {in_window:.1f} s "
                      f"| {case['interval_s']} s | {total:.1f} s ({total / 60:.1%} of one core): {how} |\n")
        if edit := live_case.get("edit"):
            edit_rows += (f"| {case['size']:,} | `{edit['team']}` | {edit['edits']} | {edit['cpu_s']:.2f} s | {edit['cpu_minus_idle_s']:.2f} s "
                          f"| {edit['touch_to_parsed_s']:.1f} s |\n")
    return (
        f"{HEADING}\n\n"
        "Command: `.venv/bin/python -m tests.benchmarks.run --only parse`. Airflow's own DAG processor "
        "(`airflow dag-processor`, `parsing_processes` 2, SQLite) over a DAG folder, from an empty database; CPU is user + system "
        "time of the processor and every parse process it started. 25 pipelines = the real specs (5 teams); 250 and 1,000 = the "
        f"real specs cloned into teams of {TEAM_SIZE} (tests/benchmarks/generated_fleet.py). Three layouts, in the same go:\n\n"
        f"- **one file ({result['revision']})**: before, the code of revision {result['revision']} run from a git worktree: `dags/fleet.py` "
        "with every pipeline and scoring DAG, `dags/features.py` with every feature DAG;\n"
        "- **per team**: this checkout, as the platform runs it: a DAG file per team (`dags/tenants/<team>.py`), the DAG factory "
        "preloaded in the processor (MODELFLEET_PRELOAD), no DAG Param, callbacks on the tasks rather than in default_args;\n"
        "- **Airflow floor**: per team, the same number of DAGs with the same number of tasks, as chains of EmptyOperators built "
        "from no spec at all: what Airflow charges for this many DAGs and tasks whatever code makes them.\n\n"
        f"**First pass**: `--num-runs 1`, minus the same command on a hello-world DAG folder ({hello['processor_cpu_s']:.1f} s: the "
        "processor's start-up). **Re-parse**: one more pass when nothing changed, (`--num-runs K` - `--num-runs 1`) / (K - 1), K = 5 (3 from 250 pipelines), minus the "
        "hello-world's: what every `min_file_process_interval` costs. **Longest parse**: the largest `last_parse_duration` Airflow "
        "recorded for a file in the last pass (wall time of its parse process). **Per minute**: re-parse CPU x 60 / the layout's "
        f"`min_file_process_interval` (Airflow's default 30 s before; the platform's {after_interval} s after, since the spec watcher has a "
        "changed team re-parsed at once).\n\n"
        "| pipelines | layout | files | DAGs | first pass CPU | re-parse CPU | longest parse | re-parse every | re-parse CPU per minute |\n"
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|\n" + rows +
        "\nRatios, same go:\n\n| pipelines | re-parse CPU, per team / one file | longest parse, per team / one file "
        "| re-parse CPU, per team / Airflow floor |\n|---:|---:|---:|---:|\n" + ratios +
        "\n**Steady state, measured in the running processor** (no `--num-runs`, the layout's interval): CPU of its process tree "
        "(psutil: the manager, the parse processes it reaped, those running) over a window that starts once every file "
        "is parsed. The one-file layout re-parses every 30 s, so its window holds its periodic passes; the per-team layout's window "
        f"holds none (every {after_interval} s), so its steady state adds the measured re-parse CPU / {after_interval} s to the window's:\n\n"
        "| pipelines | layout | window | CPU in the window | per minute in the window | re-parse every | parsing CPU per minute, steady state |\n"
        "|---:|---|---:|---:|---:|---:|---:|\n" + live_rows +
        "\n**A spec edit of one team**, in the same running processor: the team's DAG file touched (what the spec watcher does), "
        "until Airflow recorded its new parse; the median over the edits. CPU is the whole tree's between touch and parse; "
        "minus idle subtracts the idle rate over that time:\n\n"
        "| pipelines | team | edits | CPU per edit | minus idle | touch to parsed (wall) |\n|---:|---|---:|---:|---:|---:|\n" + edit_rows
    )


HEADING = "## DAG parsing in the DAG processor"


if __name__ == "__main__":
    sizes = tuple(int(n) for n in sys.argv[1:]) or SIZES
    measured = measure(sizes)
    print(json.dumps(measured, indent=2))
    print(markdown(measured))
