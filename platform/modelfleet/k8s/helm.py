"""The Helm install the rendered objects belong to: what they take from `infra/helm/values.yaml`, and the values
overlay they add.

The official Apache Airflow chart is installed with `infra/helm/values.yaml`
(hand-written: image, git-sync, database secrets, executors) plus the overlay
`modelfleet k8s render` writes (`helm-values.generated.yaml`: the team
namespaces the KubernetesExecutor watches and the execution API's in-cluster
URL), so nothing that depends on the tenants is written by hand. The GPU pod
templates take the image, the git repository and the common environment from
the same values, so they run what the chart's own pods run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from modelfleet import paths
from modelfleet.k8s import names

DEFAULT_CHART_GIT_SYNC_IMAGE = "registry.k8s.io/git-sync/git-sync:v4.4.2"
"""The chart's default git-sync image (chart 1.18 values.yaml), used when the values do not name one."""


def values_file() -> Path:
    return paths.repo_root() / "infra" / "helm" / "values.yaml"


@dataclass(frozen=True)
class Deployment:
    """The Airflow installation on Kubernetes, as the GPU pods need to know it."""

    image: str
    git_repo: str
    git_ref: str
    git_sync_image: str = DEFAULT_CHART_GIT_SYNC_IMAGE
    git_credentials_secret: str | None = None
    dags_mount: str = "/opt/airflow/dags"
    dags_sub_path: str = "dags"
    env: tuple[tuple[str, str], ...] = ()
    """The environment every Airflow container gets (values `env`), given to the GPU pods too."""
    release: str = "airflow"
    airflow_namespace: str = "airflow"
    api_port: int = 8080
    state_volume: dict[str, Any] = field(default_factory=lambda: {"name": names.STATE_VOLUME, "emptyDir": {}})
    """The volume holding MODELFLEET_HOME (run folders) that the workers, the triggerer and the GPU pods share."""
    state_dir: str = "/opt/airflow/modelfleet"
    """Where it is mounted: MODELFLEET_HOME in values `env`."""

    @classmethod
    def from_values(cls, values: dict[str, Any], release: str = "airflow", airflow_namespace: str = "airflow") -> Deployment:
        """Read from the chart values (keys as in chart 1.18: images, defaultAirflow*, dags.gitSync, env, ports)."""
        images = values.get("images") or {}
        airflow_image = images.get("airflow") or {}
        repository = airflow_image.get("repository") or values.get("defaultAirflowRepository") or "apache/airflow"
        tag = airflow_image.get("tag") or values.get("defaultAirflowTag")
        git = (values.get("dags") or {}).get("gitSync") or {}
        if not git.get("enabled"):
            raise ValueError("infra/helm/values.yaml: dags.gitSync.enabled must be true (the GPU pods fetch the DAGs with git-sync)")
        sync_image = images.get("gitSync") or {}
        sync = f"{sync_image['repository']}:{sync_image['tag']}" if sync_image.get("repository") and sync_image.get("tag") \
            else DEFAULT_CHART_GIT_SYNC_IMAGE
        dags = values.get("dags") or {}
        home = values.get("airflowHome") or "/opt/airflow"
        env = tuple((item["name"], str(item["value"])) for item in values.get("env") or [] if "value" in item)
        ports = values.get("ports") or {}
        state_dir = dict(env).get("MODELFLEET_HOME")
        if not state_dir:
            raise ValueError("infra/helm/values.yaml: env has no MODELFLEET_HOME; add it (the run folders' path in every pod)")
        return cls(
            image=f"{repository}:{tag}" if tag else repository,
            git_repo=git["repo"], git_ref=str(git.get("ref") or git.get("branch") or "main"),
            git_sync_image=sync, git_credentials_secret=git.get("credentialsSecret"),
            dags_mount=dags.get("mountPath") or f"{home}/dags", dags_sub_path=git.get("subPath") or "",
            env=env, release=release, airflow_namespace=airflow_namespace, api_port=int(ports.get("apiServer") or 8080),
            state_volume=shared_state_volume(values, state_dir), state_dir=state_dir,
        )

    @classmethod
    def load(cls, path: Path | None = None, release: str = "airflow", airflow_namespace: str = "airflow") -> Deployment:
        return cls.from_values(yaml.safe_load((path or values_file()).read_text()), release, airflow_namespace)

    @property
    def repo_dir(self) -> str:
        """Where git-sync checks the repository out (the chart links it as `repo` under the DAGs mount)."""
        return f"{self.dags_mount}/repo"

    @property
    def dags_folder(self) -> str:
        return f"{self.repo_dir}/{self.dags_sub_path}".rstrip("/")

    @property
    def api_service(self) -> str:
        """The chart's API server Service (default naming: `<release>-api-server`)."""
        return f"{self.release}-api-server"

    @property
    def execution_api_url(self) -> str:
        """Where task pods, in any namespace, reach the execution API."""
        return f"http://{self.api_service}.{self.airflow_namespace}.svc.cluster.local:{self.api_port}/execution/"


def shared_state_volume(values: dict[str, Any], state_dir: str) -> dict[str, Any]:
    """The `modelfleet-state` volume the chart mounts in every Airflow container (values `volumes`, `volumeMounts`).

    Stages hand files to each other through the run folder, and on
    Kubernetes they run in different pods: a Celery worker replica, a GPU
    pod in the team's namespace. So the folder lives on one ReadWriteMany
    volume declared inline (NFS, CSI) at MODELFLEET_HOME. A
    PersistentVolumeClaim cannot serve: a claim lives in one namespace, and
    the GPU pods run in the teams' namespaces.
    """
    shown = "infra/helm/values.yaml"
    volume = next((v for v in values.get("volumes") or [] if v.get("name") == names.STATE_VOLUME), None)
    mount = next((m for m in values.get("volumeMounts") or [] if m.get("name") == names.STATE_VOLUME), None)
    if volume is None or mount is None:
        raise ValueError(f"{shown}: volumes and volumeMounts need the shared volume {names.STATE_VOLUME!r} mounted at "
                         f"MODELFLEET_HOME ({state_dir}); see docs/operations.md#kubernetes")
    if mount.get("mountPath") != state_dir:
        raise ValueError(f"{shown}: volumeMounts mounts {names.STATE_VOLUME!r} at {mount.get('mountPath')!r}; mount it at "
                         f"MODELFLEET_HOME ({state_dir})")
    if "persistentVolumeClaim" in volume:
        raise ValueError(f"{shown}: volumes {names.STATE_VOLUME!r} is a persistentVolumeClaim, which the GPU pods in the team "
                         "namespaces cannot mount; declare the ReadWriteMany volume inline (nfs: or csi:)")
    return dict(volume)


def values_overlay(deploy: Deployment, team_namespaces: list[str]) -> dict[str, Any]:
    """The generated Helm values: what depends on the tenants or on the release's name and namespace.

    The KubernetesExecutor creates GPU pods in the team namespaces and must
    watch them (multi-namespace mode, with the list), besides its own
    namespace where CPU pods of the chart's default template run.
    """
    watched = [deploy.airflow_namespace, *sorted(team_namespaces)]
    return {
        "multiNamespaceMode": True,
        "config": {
            "core": {"execution_api_server_url": deploy.execution_api_url},
            "kubernetes_executor": {"multi_namespace_mode": "True", "multi_namespace_mode_namespace_list": ",".join(watched)},
        },
    }


def pod_templates_volume() -> tuple[dict[str, Any], dict[str, Any]]:
    """The volume and mount that show the pod templates ConfigMap to the scheduler (as in infra/helm/values.yaml)."""
    volume = {"name": names.POD_TEMPLATES_CONFIGMAP, "configMap": {"name": names.POD_TEMPLATES_CONFIGMAP}}
    mount = {"name": names.POD_TEMPLATES_CONFIGMAP, "mountPath": names.POD_TEMPLATES_DIR, "readOnly": True}
    return volume, mount
