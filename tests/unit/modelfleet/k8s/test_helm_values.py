"""infra/helm/values.yaml: only keys the official chart has, only Airflow options that exist, and the same names as the
rendered pod templates and Kueue objects."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from support.k8s_render import REPO, FleetRender, gpu_tasks

from modelfleet.k8s import names

VALUES = REPO / "infra" / "helm" / "values.yaml"

CHART_KEYS = {
    "airflowHome", "airflowVersion", "allowPodLaunching", "apiSecretKeySecretName", "config", "createUserJob",
    "createUserJob.enabled", "dags", "dags.gitSync", "dags.gitSync.branch", "dags.gitSync.credentialsSecret",
    "dags.gitSync.depth", "dags.gitSync.enabled", "dags.gitSync.period", "dags.gitSync.ref", "dags.gitSync.repo",
    "dags.gitSync.rev", "dags.gitSync.sshKeySecret", "dags.gitSync.subPath", "dags.mountPath", "data",
    "data.brokerUrlSecretName", "data.metadataSecretName", "data.resultBackendSecretName", "defaultAirflowRepository",
    "defaultAirflowTag", "env", "executor", "fernetKeySecretName", "images", "images.airflow", "images.airflow.repository",
    "images.airflow.tag", "images.gitSync", "images.gitSync.repository", "images.gitSync.tag", "jwtSecretName",
    "multiNamespaceMode", "podTemplate", "ports", "ports.apiServer", "postgresql", "postgresql.enabled", "redis",
    "redis.enabled", "redis.passwordSecretName", "scheduler", "scheduler.extraVolumeMounts", "scheduler.extraVolumes",
    "volumeMounts", "volumes", "workers", "workers.args", "workers.command", "workers.replicas", "workers.resources",
}
"""Keys of the official chart's values.yaml (chart 1.18.x, default Airflow 3.1.3), read at apache/airflow commit
d6ba4817823e8ffd2d3f676fc92aa7381e7d30f0 (chart/values.yaml): the ones these values use, and their neighbours.
`dags.gitSync.credentialsSecret` and `sshKeySecret` appear there in the commented example the chart documents."""

FREE_FORM = {"config", "env", "volumes", "volumeMounts", "workers.args", "workers.command", "workers.resources", "scheduler.extraVolumes",
             "scheduler.extraVolumeMounts"}
"""Values whose content is not chart keys: airflow.cfg sections, container lists and resources."""


def key_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        found.append(path)
        if isinstance(value, dict) and path not in FREE_FORM:
            found += key_paths(value, path + ".")
    return found


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return yaml.safe_load(VALUES.read_text())


def test_values_use_only_keys_the_chart_has(values: dict[str, Any], real: FleetRender) -> None:
    assert sorted(set(key_paths(values)) - CHART_KEYS) == []
    assert sorted(set(key_paths(real.rendered.values)) - CHART_KEYS) == []  # the generated overlay too


def test_every_airflow_option_in_the_values_exists_in_airflow(values: dict[str, Any], real: FleetRender) -> None:
    from airflow.configuration import conf

    described = conf.configuration_description
    for config in (values["config"], real.rendered.values["config"]):
        for section, options in config.items():
            for option in options:
                assert option in described.get(section, {}).get("options", {}), f"[{section}] {option} is not an Airflow 3.3.2 option"
    manager = values["config"]["core"]["auth_manager"]
    module, _, cls = manager.rpartition(".")
    assert getattr(__import__(module, fromlist=[cls]), cls)


def test_executors_and_queues_agree_with_the_dag_factory(values: dict[str, Any], real: FleetRender) -> None:
    from modelfleet.specs.model import Resources

    executors = values["executor"].split(",")
    assert executors[0] == "CeleryExecutor"  # the default: every task that does not name another
    assert {task.executor for task in gpu_tasks(real.fleet)} == {"KubernetesExecutor"} <= set(executors)
    assert values["config"]["operators"]["default_queue"] == Resources().queue == "cpu"
    assert values["workers"]["args"][-1].endswith("airflow celery worker --queues cpu")


def test_names_agree_between_values_pod_templates_and_kueue(values: dict[str, Any], real: FleetRender) -> None:
    deploy = real.deploy
    volume = next(v for v in values["scheduler"]["extraVolumes"] if "configMap" in v)
    mount = next(m for m in values["scheduler"]["extraVolumeMounts"] if m["name"] == volume["name"])
    configmap = real.one("ConfigMap", volume["configMap"]["name"])
    assert configmap["metadata"]["namespace"] == deploy.airflow_namespace  # where the chart's scheduler runs
    assert mount["mountPath"] == names.POD_TEMPLATES_DIR
    for task in gpu_tasks(real.fleet):
        path = task.executor_config["pod_template_file"]
        folder, _, file_name = path.rpartition("/")
        assert folder == mount["mountPath"] and file_name in configmap["data"]

    watched = real.rendered.values["config"]["kubernetes_executor"]["multi_namespace_mode_namespace_list"].split(",")
    assert watched == [deploy.airflow_namespace, *sorted(n["metadata"]["name"] for n in real.rendered.of_kind("Namespace"))]
    for queue in real.rendered.of_kind("LocalQueue"):
        assert queue["metadata"]["namespace"] in watched

    image = f"{values['defaultAirflowRepository']}:{values['defaultAirflowTag']}"
    git = values["dags"]["gitSync"]
    execution_url = real.rendered.values["config"]["core"]["execution_api_server_url"]
    assert execution_url == "http://airflow-api-server.airflow.svc.cluster.local:8080/execution/"  # chart default port 8080
    for file_name, text in configmap["data"].items():
        template = yaml.safe_load(text)
        base = template["spec"]["containers"][0]
        assert base["name"] == "base" and base["image"] == image, file_name
        env = {e["name"]: e.get("value") for e in base["env"]}
        assert {e["name"]: e["value"] for e in values["env"]}.items() <= env.items(), file_name
        assert env["MODELFLEET_MODE"] == "kubernetes"  # the DAG factory's and the train task's switch
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == f"{env['MODELFLEET_REPO']}/plugins"  # the Fleet page
        state = next(v for v in values["volumes"] if v["name"] == names.STATE_VOLUME)
        assert state in template["spec"]["volumes"], file_name  # the run folders the chart's own containers mount
        state_mount = next(m for m in values["volumeMounts"] if m["name"] == names.STATE_VOLUME)
        assert state_mount in base["volumeMounts"] and state_mount["mountPath"] == env["MODELFLEET_HOME"], file_name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == execution_url
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == f"/opt/airflow/dags/repo/{git['subPath']}"
        sync = {e["name"]: e["value"] for e in template["spec"]["initContainers"][0]["env"]}
        assert (sync["GITSYNC_REPO"], sync["GITSYNC_REF"]) == (git["repo"], git["ref"])
        assert template["spec"]["initContainers"][0]["image"] == f"{values['images']['gitSync']['repository']}:{values['images']['gitSync']['tag']}"
    assert env["PYTHONPATH"].split(":") == ["/opt/airflow/dags/repo/platform", "/opt/airflow/dags/repo/tenants"]


@pytest.mark.parametrize(("change", "expected"), [
    pytest.param(lambda v: v["volumes"][0].update(nfs=None, persistentVolumeClaim={"claimName": "state"}),
                 "is a persistentVolumeClaim, which the GPU pods in the team namespaces cannot mount", id="claim"),
    pytest.param(lambda v: v["volumeMounts"][0].update(mountPath="/data"), "mount it at MODELFLEET_HOME (/opt/airflow/modelfleet)",
                 id="elsewhere"),
    pytest.param(lambda v: v.pop("volumes"), "volumes and volumeMounts need the shared volume 'modelfleet-state'", id="missing"),
    pytest.param(lambda v: v.update(env=[e for e in v["env"] if e["name"] != "MODELFLEET_HOME"]), "env has no MODELFLEET_HOME",
                 id="no-home"),
])
def test_the_run_folders_volume_is_shared_by_every_pod_or_refused(values: dict[str, Any], change: Any, expected: str) -> None:
    import copy

    from modelfleet.k8s.helm import Deployment

    changed = copy.deepcopy(values)
    change(changed)
    with pytest.raises(ValueError, match="infra/helm/values.yaml") as raised:
        Deployment.from_values(changed)
    assert expected in str(raised.value)
