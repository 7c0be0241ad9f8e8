"""A registry that cannot answer is not a registry without a champion: only "not found" reads as absent.

Against a real `mlflow server` behind a proxy that fails on purpose (HTTP
503, or the port closed).
"""

from __future__ import annotations

import pytest
from support.mlflow_server import mlflow_server

from modelfleet.hooks.mlflow_registry import MlflowRegistryHook, RegistryUnavailable


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as proxy:
        yield proxy


@pytest.fixture
def proxy(server, monkeypatch):
    """The module's server, healthy at the start of each test; each test uses model names of its own."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # the task retries, with backoff; the client need not
    server.heal()
    if server._server is None:
        server.start()
    yield server
    server.heal()


def test_missing_model_and_missing_alias_read_as_absent(proxy):
    hook = MlflowRegistryHook(tracking_uri=proxy.url)
    assert hook.alias_version("t__nope", "champion") is None  # no such model
    hook.ensure_registered_model("t__m", {"tenant": "t"})
    assert hook.alias_version("t__m", "champion") is None  # model, but no alias
    version = hook.client.create_model_version("t__m", "s3://bucket/model", tags={})
    hook.client.set_registered_model_alias("t__m", "champion", version.version)
    assert hook.alias_version("t__m", "champion").version == version.version


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_raises_instead_of_reading_as_absent(proxy, status):
    hook = MlflowRegistryHook(tracking_uri=proxy.url)
    name = f"t__m{status}"
    hook.ensure_registered_model(name, {"tenant": "t"})
    proxy.fail(r"GET .*/registered-models/alias", status)
    with pytest.raises(RegistryUnavailable, match=f"cannot read {name}@champion"):
        hook.alias_version(name, "champion")
    assert proxy.failed  # the failure really went over HTTP


def test_a_stopped_server_raises_and_creates_nothing(proxy):
    hook = MlflowRegistryHook(tracking_uri=proxy.url)
    proxy.stop()
    with pytest.raises(RegistryUnavailable):
        hook.alias_version("t__down", "champion")
    with pytest.raises(RegistryUnavailable, match="cannot read model t__down"):
        hook.ensure_registered_model("t__down", {"tenant": "t"})
    proxy.start()
    assert hook.alias_version("t__down", "champion") is None
    assert hook.client.search_registered_models("name = 't__down'") == []  # nothing was created while it was down
