"""DvcHook: which DVC remote snapshots go to (connection, then environment, then the state folder), and malformed ones."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from modelfleet.hooks.dvc import DvcHook, DvcRemote, DvcRemoteError

pytestmark = pytest.mark.usefixtures("no_dvc_settings")


def set_connection(monkeypatch, extra, login=None, password=None):
    monkeypatch.setenv("AIRFLOW_CONN_DVC_DEFAULT", json.dumps(
        {"conn_type": "generic", "login": login, "password": password, "extra": extra}))


def test_connection_wins_over_the_environment(monkeypatch):
    set_connection(monkeypatch, {"url": "s3://ml-data/dvc/", "endpoint_url": "http://minio:9000",
                                 "region_name": "eu-west-1"}, login="AKIA1", password="s3cret")
    monkeypatch.setenv("MODELFLEET_DVC_REMOTE", "s3://other-bucket/x")
    monkeypatch.setenv("MODELFLEET_DVC_S3_ENDPOINT", "http://ignored:1")

    remote = DvcHook().remote

    assert remote == DvcRemote("s3://ml-data/dvc", endpoint_url="http://minio:9000", access_key_id="AKIA1",
                               secret_access_key="s3cret", region="eu-west-1")
    assert remote.dvc_config() == {"url": "s3://ml-data/dvc", "endpointurl": "http://minio:9000",
                                   "access_key_id": "AKIA1", "secret_access_key": "s3cret", "region": "eu-west-1"}
    assert "s3cret" not in repr(remote)


@pytest.mark.parametrize(
    ("env", "endpoint"),
    [
        pytest.param({"MODELFLEET_DVC_S3_ENDPOINT": "http://a:1", "AWS_ENDPOINT_URL": "http://b:2"}, "http://a:1", id="modelfleet-env-first"),
        pytest.param({"AWS_ENDPOINT_URL": "http://b:2"}, "http://b:2", id="aws-env"),
        pytest.param({}, None, id="aws-default"),
    ],
)
def test_s3_endpoint_not_in_the_connection_comes_from_the_environment(monkeypatch, env, endpoint):
    set_connection(monkeypatch, {"url": "s3://ml-data"})
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    remote = DvcHook().remote

    assert (remote.url, remote.endpoint_url, remote.access_key_id) == ("s3://ml-data", endpoint, None)
    assert "access_key_id" not in remote.dvc_config()  # left to the AWS credential chain


def test_environment_without_a_connection(monkeypatch):
    monkeypatch.setenv("MODELFLEET_DVC_REMOTE", "s3://ml-data/snapshots")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")

    assert DvcHook().remote == DvcRemote("s3://ml-data/snapshots", endpoint_url="http://127.0.0.1:9000")


def test_default_is_a_folder_under_the_state_folder(tmp_path):
    remote = DvcHook().remote

    assert remote == DvcRemote(str(tmp_path / "home" / "dvc-remote"))
    assert remote.dvc_config() == {"url": str(tmp_path / "home" / "dvc-remote")}


def test_local_remote_is_normalised_and_drops_s3_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELFLEET_DVC_REMOTE", f"{tmp_path}/a/../remote/")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")

    assert DvcHook().remote == DvcRemote(str(tmp_path / "remote"))
    assert DvcHook().remote.endpoint_url is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("gs://bucket/x", "only local folders and s3:// remotes are supported", id="other-scheme"),
        pytest.param("s3://", "is not a valid S3 remote", id="no-bucket"),
        pytest.param("s3://Bad_Bucket/x", "is not a valid S3 remote", id="bad-bucket"),
        pytest.param("s3://bucket//x", "is not a valid S3 remote", id="empty-key-part"),
        pytest.param("relative/remote", "is not an absolute path", id="relative-path"),
    ],
)
def test_malformed_remote_from_the_environment(monkeypatch, url, message):
    monkeypatch.setenv("MODELFLEET_DVC_REMOTE", url)

    with pytest.raises(DvcRemoteError, match=message) as raised:
        DvcHook().remote
    assert str(raised.value).startswith("DVC remote from MODELFLEET_DVC_REMOTE: ")


def test_malformed_connection(monkeypatch):
    set_connection(monkeypatch, {"url": "s3://ml-data", "endpoint_url": "minio:9000"})
    with pytest.raises(DvcRemoteError, match=r"from Airflow connection 'dvc_default': S3 endpoint 'minio:9000' .* not an http"):
        DvcHook().remote

    set_connection(monkeypatch, {"endpoint_url": "http://minio:9000"})
    with pytest.raises(DvcRemoteError, match="connection 'dvc_default' has no extra 'url'"):
        DvcHook().remote


def test_remote_for_a_recorded_url_reuses_the_configured_credentials(monkeypatch):
    set_connection(monkeypatch, {"url": "s3://ml-data/dvc", "endpoint_url": "http://minio:9000"}, login="k", password="s")
    monkeypatch.setenv("MODELFLEET_DVC_S3_ENDPOINT", "http://env:1")
    hook = DvcHook()

    assert hook.remote_for("s3://ml-data/dvc/") is hook.remote
    other = hook.remote_for("s3://archive/dvc")
    assert (other.url, other.endpoint_url, other.access_key_id) == ("s3://archive/dvc", "http://env:1", None)


def test_importing_the_hook_does_not_import_dvc():
    """DAG files import hooks at parse time; DVC costs seconds to import."""
    code = "import sys, modelfleet.hooks.dvc; print(sorted(m for m in sys.modules if m.split('.')[0] in ('dvc', 'dvc_data')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_hook_snapshots_to_and_fetches_from_the_resolved_remote(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELFLEET_DVC_REMOTE", str(tmp_path / "remote"))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "training_set.parquet").write_bytes(b"rows" * 100)

    (snap,) = DvcHook().snapshot(tmp_path / "run", ["training_set.parquet"])

    assert snap.remote == str(tmp_path / "remote") and snap.remote_path.startswith(f"{tmp_path / 'remote'}/files/md5/")
    assert DvcHook().fetch(snap.md5, tmp_path / "back").read_bytes() == b"rows" * 100
    assert DvcHook().fetch(snap.md5, tmp_path / "again", remote_url=snap.remote).read_bytes() == b"rows" * 100
