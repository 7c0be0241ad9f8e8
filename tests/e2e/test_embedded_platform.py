"""The embedded default for real: `modelfleet run` starts Airflow + MLflow, runs pipelines, `down` leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from support.platform_processes import processes_with_home

REPO = Path(__file__).resolve().parents[2]
PIPELINES = ["lending__application_default", "payments__card_fraud"]
LOGICAL_DATE = "2026-11-20"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def platform_env(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("embedded") / "home"
    env = {**os.environ, "MODELFLEET_HOME": str(home), "MODELFLEET_API_PORT": str(free_port()),
           "MODELFLEET_MLFLOW_PORT": str(free_port()), "MODELFLEET_SERVING_PORT": str(free_port()),
           "MODELFLEET_OTLP_PORT": str(free_port()), "COLUMNS": "200"}
    env.pop("MODELFLEET_TRACING", None)  # the default: on, kept by the platform's own trace receiver
    env.pop("MODELFLEET_OTLP_ENDPOINT", None)
    env.pop("AIRFLOW_HOME", None)
    env.pop("AIRFLOW__CORE__DAGS_FOLDER", None)
    env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    yield home, env
    subprocess.run([sys.executable, "-m", "modelfleet.cli.main", "down"], env=env, cwd=REPO, timeout=120)


def cli(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def run_args() -> list[str]:
    return ["run", "--date", LOGICAL_DATE, "--timeout", "900", *[a for p in PIPELINES for a in ("--pipeline", p)]]


def registry(env: dict[str, str]):
    from mlflow import MlflowClient

    uri = f"http://127.0.0.1:{env['MODELFLEET_MLFLOW_PORT']}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_run_starts_the_platform_and_every_pipeline_succeeds(platform_env) -> None:
    home, env = platform_env
    result = cli(env, *run_args())
    out = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 of 2 pipelines succeeded" in out
    assert "models: 2 deployed, 0 kept champion, 0 reduced path, 0 no champion" in out
    health = httpx.get(f"http://127.0.0.1:{env['MODELFLEET_API_PORT']}/api/v2/monitor/health", timeout=10).json()
    assert {k: v["status"] for k, v in health.items()} == {
        "metadatabase": "healthy", "scheduler": "healthy", "triggerer": "healthy", "dag_processor": "healthy"}
    client = registry(env)
    for name in PIPELINES:
        champion = client.get_model_version_by_alias(name, "champion")
        assert champion.tags["logical_date"] == LOGICAL_DATE
        run = client.get_run(champion.run_id)
        assert run.data.tags["lineage.data.training_set.md5"] and run.data.tags["lineage.code.revision"]


TRACED_PIPELINE = "payments__card_fraud"


def _ran_in_a_process(ti: dict) -> bool:
    """Queued to the executor and ended; not skipped by the scheduler, nor an EmptyOperator it marks done itself."""
    return ti["queued_when"] is not None and ti["state"] in ("success", "failed", "skipped")


def test_each_pipeline_run_is_one_trace_with_a_span_per_task(platform_env) -> None:
    """The first test's card_fraud run, in the platform's spans file (its trace receiver): one trace for the run;
    its root `dag_run.<dag_id>` span; per task instance that ran, Airflow's `task_run.<task>` span and the task
    process's `worker.<task>` span, each linked up to the root; the stages' spans name the tenant and model."""
    import time
    from importlib import import_module

    from modelfleet.lineage.otlp_receiver import load_spans
    from modelfleet.operators.stage import PipelineStageOperator
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.config import EmbeddedConfig

    home, env = platform_env
    run_id = f"modelfleet__{LOGICAL_DATE}"
    with pytest.MonkeyPatch.context() as patch:
        for key in ("MODELFLEET_HOME", "MODELFLEET_API_PORT"):
            patch.setenv(key, env[key])
        api = AirflowApi(EmbeddedConfig.from_env())
        tis = [t for t in api.task_instances(run_id) if t["dag_id"] == TRACED_PIPELINE]
        tasks = api.request("GET", f"/dags/{TRACED_PIPELINE}/tasks")["tasks"]
    ran = {(t["task_id"], t["map_index"]) for t in tis if _ran_in_a_process(t)}
    assert {"validate_data", "build_features", "train", "register", "deploy"} <= {task for task, _ in ran}, tis
    stages = {t["task_id"] for t in tasks
              if issubclass(getattr(import_module(t["class_ref"]["module_path"]), t["class_ref"]["class_name"]),
                            PipelineStageOperator)}

    def of_run(span: dict) -> bool:
        attributes = span["attributes"]
        return attributes.get("airflow.dag_id") == TRACED_PIPELINE and attributes.get("airflow.dag_run.run_id") == run_id

    def key(span: dict) -> tuple[str, int]:
        return span["attributes"]["airflow.task_id"], span["attributes"]["airflow.task_instance.map_index"]

    # The scheduler and the API server export in batches (every 5 s): wait for the root and every worker span.
    deadline = time.monotonic() + 60
    while True:
        spans = [s for s in load_spans(home / "traces" / "spans.jsonl") if of_run(s)]
        roots = [s for s in spans if s["name"] == f"dag_run.{TRACED_PIPELINE}"]
        workers = [s for s in spans if s["name"].startswith("worker.")]
        if (roots and {key(s) for s in workers} >= ran) or time.monotonic() > deadline:
            break
        time.sleep(2)

    assert len({s["trace_id"] for s in spans}) == 1, sorted({(s["trace_id"], s["name"]) for s in spans})
    [root] = roots
    assert root["parent_span_id"] is None and root["status"]["code"] == "OK" and root["service"] == "modelfleet"
    task_runs = [s for s in spans if s["name"].startswith("task_run.")]
    assert {key(s) for s in task_runs} == ran
    assert {key(s) for s in workers} == ran
    by_id = {s["span_id"]: s for s in spans}
    for worker in workers:
        chain, span = [worker["name"]], worker
        while span["parent_span_id"] is not None:
            span = by_id.get(span["parent_span_id"])
            assert span is not None, f"{' <- '.join(chain)}: its parent is not in the trace"
            chain.append(span["name"])
        assert span is root, chain
        assert by_id[worker["parent_span_id"]]["name"].startswith("task_run."), chain  # worker -> task_run -> dag_run
    stage_spans = [s for s in workers if key(s)[0] in stages]
    assert {key(s)[0] for s in stage_spans} >= {"validate_data", "build_features", "train", "register", "deploy"}
    for span in stage_spans:
        assert span["attributes"]["modelfleet.tenant"] == "payments", span
        assert span["attributes"]["modelfleet.model"] == "card_fraud", span


def test_lineage_of_the_champion_names_its_data_code_spec_run_and_trace(platform_env) -> None:
    """`modelfleet lineage` on the real platform: the champion's chain, its training set fetchable by hash from the
    platform's DVC remote, and its trace id the one of the DAG run's spans kept by the trace receiver."""
    import hashlib

    from modelfleet.lineage.otlp_receiver import spans_of_trace
    from modelfleet.lineage.snapshots import fetch

    home, env = platform_env
    result = cli(env, "lineage", "payments/card_fraud", "--json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    chain = json.loads(result.stdout)
    assert chain["registered_model"] == TRACED_PIPELINE and "champion" in chain["aliases"]
    assert chain["airflow"] == {"dag_id": TRACED_PIPELINE, "run_id": f"modelfleet__{LOGICAL_DATE}"}
    assert chain["spec"]["file"] == "tenants/payments/models/card_fraud.yaml" and len(chain["spec"]["sha256"]) == 64
    assert chain["data"]["feature_views"] and chain["data"]["validation_report"]["md5"]
    snapshot = chain["data"]["training_set"]
    assert snapshot["remote"] == str(home / "dvc-remote")
    fetched = fetch(snapshot["md5"], snapshot["remote"], home.parent / "fetched.parquet")
    assert hashlib.md5(fetched.read_bytes()).hexdigest() == snapshot["md5"]
    spans = spans_of_trace(home / "traces" / "spans.jsonl", chain["trace_id"])
    assert {s["attributes"].get("airflow.dag_id") for s in spans} == {TRACED_PIPELINE}
    assert any(s["attributes"].get("modelfleet.mlflow_run_id") == chain["run"]["id"] for s in spans)

    text = cli(env, "lineage", "payments/card_fraud")
    assert text.returncode == 0 and f"DVC md5 {snapshot['md5']}" in text.stdout and chain["trace_id"] in text.stdout
    print(text.stdout)  # the chain, for the record (pytest -s)


def test_rerun_of_the_same_date_creates_no_duplicate_versions(platform_env) -> None:
    _, env = platform_env
    client = registry(env)
    before = {name: len(client.search_model_versions(f"name='{name}'")) for name in PIPELINES}
    result = cli(env, *run_args())
    assert result.returncode == 0, result.stdout[-2000:]
    after = {name: len(client.search_model_versions(f"name='{name}'")) for name in PIPELINES}
    assert before == after == {name: 1 for name in PIPELINES}


ONLINE_MODEL = "payments__card_fraud"


def online_entities(env: dict[str, str], n: int = 5) -> list[dict[str, int]]:
    """Card ids from the file the run landed for LOGICAL_DATE (materialized by that run)."""
    import pandas as pd

    from modelfleet.io import rendered_data_path
    from modelfleet.specs.loader import load_pipeline

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELFLEET_HOME", env["MODELFLEET_HOME"])
        path = rendered_data_path(load_pipeline("payments", "card_fraud"), LOGICAL_DATE)
    return [{"card_id": int(k)} for k in pd.read_parquet(path)["card_id"].drop_duplicates().head(n)]


def predict(env: dict[str, str], entities: list[dict[str, int]]) -> dict:
    url = f"http://127.0.0.1:{env['MODELFLEET_SERVING_PORT']}/v1/models/{ONLINE_MODEL}/predict"
    response = httpx.post(url, json={"entities": entities}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_model_server_serves_the_online_champion_and_comes_back_with_it(platform_env) -> None:
    """card_fraud is online: after the run the server answers by card id with the champion, on Feast's features;
    killed, `up` restarts it and it serves the same champion again (adopted from the registry)."""
    home, env = platform_env
    champion = str(registry(env).get_model_version_by_alias(ONLINE_MODEL, "champion").version)
    entities = online_entities(env)
    answer = predict(env, entities)
    assert answer["version"] == champion and answer["entities_without_features"] == 0
    assert len(answer["predictions"]) == len(entities) and all(isinstance(p, float) for p in answer["predictions"])

    os.killpg(int((home / "pids" / "model-server.pid").read_text()), signal.SIGKILL)
    result = cli(env, "up", timeout=300)
    assert result.returncode == 0 and "starting the rest: model-server" in " ".join(result.stdout.split()), result.stdout
    again = predict(env, entities)
    assert again["version"] == champion and again["predictions"] == answer["predictions"]


STALE_PIPELINE = "lending__collections_cure"


def land_stale(env: dict[str, str], day: date) -> None:
    """The generator's events of five days before `day`, landed as `day`'s file of the stale pipeline."""
    from modelfleet.io import rendered_data_path
    from modelfleet.runtime.landing import land
    from modelfleet.specs.loader import load_pipeline

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELFLEET_HOME", env["MODELFLEET_HOME"])  # the platform's data root, not the test session's
        pipeline = load_pipeline("lending", "collections_cure")
        earlier = day - timedelta(days=5)
        assert land([pipeline], earlier)
        os.replace(rendered_data_path(pipeline, earlier.isoformat()), rendered_data_path(pipeline, day.isoformat()))


def test_stale_data_takes_the_reduced_path_and_the_run_says_nothing_was_deployed(platform_env) -> None:
    """A pipeline whose file for the date holds events five days older (max_staleness 36h) trains and registers,
    deploys nothing, and `modelfleet run` says so per model; a model left with no champion is not green."""
    _, env = platform_env
    land_stale(env, date.fromisoformat(LOGICAL_DATE))
    result = cli(env, "run", "--date", LOGICAL_DATE, "--timeout", "900", "--pipeline", STALE_PIPELINE)
    out = " ".join(result.stdout.split())
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "landed input data: 0 new file(s)" in out and "1 of 1 pipelines succeeded" in out
    assert "models: 0 deployed, 0 kept champion, 0 reduced path, 1 no champion" in out
    assert "1 model(s) have no champion" in out
    assert "reduced path: data quality" in out.split("models this run did not deploy")[1]
    client = registry(env)
    assert [v.version for v in client.search_model_versions(f"name='{STALE_PIPELINE}'")] == ["1"]  # a challenger, registered
    assert "champion" not in client.get_registered_model(STALE_PIPELINE).aliases


REPLAY_PIPELINE = "lending__application_default"
REPLAY_DATE = "2026-11-21"


def dead_letter_entries(env: dict[str, str]) -> list:
    """The platform's dead-letter queue (its own database under MODELFLEET_HOME)."""
    from modelfleet import dead_letters

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELFLEET_HOME", env["MODELFLEET_HOME"])
        patch.delenv("MODELFLEET_DB_URL", raising=False)
        return dead_letters.entries(dag_id=REPLAY_PIPELINE)


def land_replay_data(env: dict[str, str], rows: int | None, day: str = REPLAY_DATE) -> None:
    """`day`'s input by the tenant's generator: `rows` rows (too few to train on), or the normal landing."""
    from modelfleet.io import rendered_data_path
    from modelfleet.runtime.landing import land
    from modelfleet.specs.loader import load_pipeline
    from modelfleet.training.base import import_string

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELFLEET_HOME", env["MODELFLEET_HOME"])
        pipeline = load_pipeline("lending", "application_default")
        target = Path(rendered_data_path(pipeline, day))
        target.unlink(missing_ok=True)
        if rows is None:
            assert land([pipeline], date.fromisoformat(day))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            import_string(pipeline.model.data.generator)(date.fromisoformat(day), rows=rows).to_parquet(target, index=False)


def versions_of(env: dict[str, str], day: str) -> list[str]:
    return [v.version for v in registry(env).search_model_versions(f"name='{REPLAY_PIPELINE}'") if v.tags.get("logical_date") == day]


def test_dlq_replay_fixes_a_failed_run_and_never_duplicates_a_version(platform_env) -> None:
    """Bad data fails validate_data once (permanent: no retries) and is dead-lettered; once the data is fixed,
    `dlq replay` reruns the run's failed tasks for the same date through Airflow's API and the model is registered;
    replaying the whole run again re-trains and re-registers, and the date still has exactly one version."""
    _, env = platform_env
    land_replay_data(env, rows=20)  # min_rows is 500
    failed = cli(env, "run", "--date", REPLAY_DATE, "--timeout", "600", "--pipeline", REPLAY_PIPELINE)
    assert failed.returncode == 1 and "0 of 1 pipelines succeeded" in " ".join(failed.stdout.split()), failed.stdout[-3000:]
    [entry] = dead_letter_entries(env)
    assert (entry.task_id, entry.try_number, entry.error_class, entry.state) == ("validate_data", 1, "permanent", "open")
    assert entry.logical_date.startswith(REPLAY_DATE) and entry.run_id == f"modelfleet__{REPLAY_DATE}"
    assert str(entry.id) in cli(env, "dlq", "list").stdout

    land_replay_data(env, rows=None)  # the producer fixed the file
    replayed = cli(env, "dlq", "replay", str(entry.id))
    assert replayed.returncode == 0 and "cleared the failed tasks" in replayed.stdout, replayed.stdout + replayed.stderr
    waited = cli(env, "run", "--date", REPLAY_DATE, "--timeout", "600", "--pipeline", REPLAY_PIPELINE)  # waits for the replay
    assert waited.returncode == 0 and "1 of 1 pipelines succeeded" in " ".join(waited.stdout.split()), waited.stdout[-3000:]
    registered = versions_of(env, REPLAY_DATE)
    assert len(registered) == 1
    assert [e.state for e in dead_letter_entries(env)] == ["replayed"]

    again = cli(env, "dlq", "replay", str(entry.id), "--whole-run")
    assert again.returncode == 0 and "cleared every task" in again.stdout, again.stdout + again.stderr
    waited = cli(env, "run", "--date", REPLAY_DATE, "--timeout", "600", "--pipeline", REPLAY_PIPELINE)
    assert waited.returncode == 0, waited.stdout[-3000:]
    client = registry(env)
    trained = client.search_runs([client.get_experiment_by_name(REPLAY_PIPELINE).experiment_id],
                                 f"tags.logical_date = '{REPLAY_DATE}'")
    assert len(trained) == 2  # train really ran again ...
    assert versions_of(env, REPLAY_DATE) == registered  # ... and register reused the date's version
    assert len(dead_letter_entries(env)) == 1  # nothing failed on the replays


FAILED_DATE = "2026-11-22"


def test_monitoring_and_status_find_one_injected_failure(platform_env) -> None:
    """One run left failed (bad data): the monitoring DAG, reading the fleet through the REST API on the real
    platform, reports that team below the 99.5% target; `modelfleet status` shows the pipeline, the task and the
    dead letter on one screen and exits 1."""
    import time

    from modelfleet.monitoring.dag import MONITORING_DAG_ID
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.config import EmbeddedConfig

    home, env = platform_env
    land_replay_data(env, rows=20, day=FAILED_DATE)
    failed = cli(env, "run", "--date", FAILED_DATE, "--timeout", "600", "--pipeline", REPLAY_PIPELINE)
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert f"report: {home / 'report' / 'index.html'}" in failed.stdout  # run says where the report is

    with pytest.MonkeyPatch.context() as patch:
        for key in ("MODELFLEET_HOME", "MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT", "MODELFLEET_SERVING_PORT"):
            patch.setenv(key, env[key])
        api = AirflowApi(EmbeddedConfig.from_env())
        assert api.trigger(MONITORING_DAG_ID, "monitoring_e2e", "2026-11-22T12:00:00+00:00") is not None
        if api.paused_by_dag().get(MONITORING_DAG_ID):
            api.set_paused(MONITORING_DAG_ID, False)
        deadline = time.monotonic() + 300
        while (run := api.get_run(MONITORING_DAG_ID, "monitoring_e2e")) is None or run["state"] not in ("success", "failed"):
            assert time.monotonic() < deadline, f"the monitoring run did not finish: {run}"
            time.sleep(2)
        assert run["state"] == "success"
        routed = api.xcom(MONITORING_DAG_ID, "monitoring_e2e", "check_fleet")
    assert routed and routed["sent"] >= 1, routed  # the lending team's success rate, at least

    status = cli(env, "status")
    screen = " ".join(status.stdout.split())
    assert status.returncode == 1, status.stdout
    assert f"{REPLAY_PIPELINE}:" in screen.split("pipelines below target (1d)")[1].split("failing tasks")[0]
    assert f"{REPLAY_PIPELINE}.validate_data" in screen.split("failing tasks (1d)")[1].split("stuck in queued")[0]


def test_the_fleet_page_in_a_browser_shows_every_tenant_the_failed_pipeline_and_a_gpu_lease(platform_env) -> None:
    """Headless Chromium: sign in with the Airflow UI's own form, open Fleet from the UI, see every team, the
    pipeline the previous test left failed, and a lease held on a device; the report of the failed `run` opens too.
    Screenshots: build/test-artifacts/fleet-*.png. Any console or page error in any frame fails the test."""
    import httpx
    from support.browser import chromium

    from modelfleet.runtime import platform as runtime_platform
    from modelfleet.runtime.config import ADMIN_USER, EmbeddedConfig
    from modelfleet.scheduling import leases
    from modelfleet.scheduling.capacity import load_capacity
    from modelfleet.specs.loader import load_fleet

    home, env = platform_env
    with pytest.MonkeyPatch.context() as patch:
        for key in ("MODELFLEET_HOME", "MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT", "MODELFLEET_SERVING_PORT"):
            patch.setenv(key, env[key])
        config = EmbeddedConfig.from_env()
        password = runtime_platform.admin_password(config)
        lease = leases.try_acquire(load_capacity(), leases.Holder("payments", "payments__card_fraud", "browser_test", "train_mlp_challenger"),
                                   "a10g", 1)
    assert lease is not None
    device = f"{lease.gpu_class}/{lease.host}/{lease.devices[0]}"
    try:
        anonymous = httpx.get(f"{config.api_url}/fleet/api/fleet", timeout=30)
        assert anonymous.status_code == 401  # the plugin takes Airflow's login, not none
        with chromium() as browser:
            page = browser.page
            page.goto(config.api_url)
            page.wait_for_selector("input[name=username]", timeout=60_000)
            page.fill("input[name=username]", ADMIN_USER)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)
            page.wait_for_load_state("networkidle")
            browser.errors.clear()  # from here on: the Fleet page
            page.goto(f"{config.api_url}/plugin/fleet")
            frame = page.frame_locator("iframe")
            frame.locator("body[data-loaded=true]").wait_for(timeout=60_000)
            tenants = sorted(load_fleet().tenants)
            for tenant in tenants:
                assert frame.locator(f"section.tenant[data-tenant={tenant}]").count() == 1, tenant
            failed = frame.locator(f"tr[data-dag-id={REPLAY_PIPELINE}]")
            assert failed.get_attribute("data-state") == "failed"
            assert failed.locator(".last-run .badge").inner_text() == "failed"
            browser.screenshot("fleet-pipelines")
            frame.locator("#tab-gpus").click()
            held = frame.locator(f".device[data-device='{device}']")
            held.wait_for(timeout=30_000)
            assert "leased" in (held.get_attribute("class") or "") and held.get_attribute("data-tenant") == "payments"
            assert "train_mlp_challenger" in held.inner_text()
            browser.screenshot("fleet-gpus")
            report = home / "report" / "index.html"
            assert report.exists()  # `modelfleet run` wrote it
            page.goto(report.as_uri())
            assert page.locator(f"h2#tenant-{REPLAY_PIPELINE.split('__')[0]}").count() == 1
            browser.screenshot("fleet-report")
            assert browser.errors == []
        token = httpx.post(f"{config.api_url}/auth/token", json={"username": ADMIN_USER, "password": password}, timeout=30)
        view = httpx.get(f"{config.api_url}/fleet/api/fleet", headers={"Authorization": f"Bearer {token.json()['access_token']}"}, timeout=60)
        assert view.status_code == 200 and sorted(t["id"] for t in view.json()["tenants"]) == tenants
    finally:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("MODELFLEET_HOME", env["MODELFLEET_HOME"])
            leases.release(lease)


def test_up_restarts_a_component_that_died(platform_env) -> None:
    home, env = platform_env
    pid = int((home / "pids" / "scheduler.pid").read_text())
    os.killpg(pid, signal.SIGKILL)
    result = cli(env, "up", timeout=300)
    out = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stdout
    assert "starting the rest: scheduler" in out and "modelfleet is up" in out


def test_down_leaves_no_process_behind(platform_env) -> None:
    home, env = platform_env
    assert processes_with_home(home), "the platform should be running before down"
    result = cli(env, "down", timeout=300)
    assert result.returncode == 0
    assert "stopped scheduler" in result.stdout
    assert processes_with_home(home) == []
    assert list((home / "pids").glob("*.pid")) == []
