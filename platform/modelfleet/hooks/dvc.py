"""The DVC remote that training snapshots are pushed to, from an Airflow connection or the environment.

Resolution, first match wins:

1. the Airflow connection `dvc_default`: extra `url` (an absolute local path
   or `s3://bucket[/prefix]`), extras `endpoint_url` and `region_name`, and
   login/password as the S3 access key id and secret;
2. the environment variable MODELFLEET_DVC_REMOTE;
3. the folder `dvc-remote` under the platform's state folder.

An S3 endpoint not given by the connection comes from MODELFLEET_DVC_S3_ENDPOINT,
else AWS_ENDPOINT_URL; credentials not given by the connection are left to
the usual AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an
instance role). Secrets never reach a file: they live in memory and are
handed to DVC as in-memory configuration.

This module is imported when DAG files are parsed: DVC itself is imported
only by `modelfleet.lineage.snapshots`, inside its functions.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from modelfleet import paths

if TYPE_CHECKING:
    from collections.abc import Sequence

    from modelfleet.lineage.snapshots import Snapshot

REMOTE_ENV = "MODELFLEET_DVC_REMOTE"
ENDPOINT_ENV = "MODELFLEET_DVC_S3_ENDPOINT"
AWS_ENDPOINT_ENV = "AWS_ENDPOINT_URL"

_S3_URL = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?P<prefix>(/[^/]+)*)/?")
_ENDPOINT = re.compile(r"https?://[^/\s]+/?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class DvcRemoteError(ValueError):
    """A configured DVC remote the platform cannot use; the message says where it was configured."""


def default_remote_dir() -> Path:
    """The embedded platform's remote: a folder under the state folder, shared by every pipeline."""
    return paths.state_dir() / "dvc-remote"


@dataclass(frozen=True)
class DvcRemote:
    """Where snapshots go: an absolute local folder or `s3://bucket[/prefix]`, with S3's endpoint and keys.

    `url` is normalised (no trailing slash, `~` expanded); an invalid URL or
    endpoint raises `DvcRemoteError`. The secret is left out of `repr`.
    """

    url: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    region: str | None = None

    def __post_init__(self) -> None:
        url = (self.url or "").strip()
        if url.startswith("s3://"):
            match = _S3_URL.fullmatch(url)
            if not match:
                raise DvcRemoteError(f"{url!r} is not a valid S3 remote: expected s3://bucket[/prefix] with a "
                                     "3-63 character bucket name of lowercase letters, digits, dots and hyphens")
            url = f"s3://{match['bucket']}{match['prefix']}"
            if self.endpoint_url is not None and not _ENDPOINT.fullmatch(self.endpoint_url):
                raise DvcRemoteError(f"S3 endpoint {self.endpoint_url!r} of remote {url} is not an "
                                     "http(s)://host[:port] URL")
        elif _SCHEME.match(url):
            raise DvcRemoteError(f"{url!r}: only local folders and s3:// remotes are supported "
                                 "(the platform installs dvc-s3 and no other remote plugin)")
        else:
            local = os.path.expanduser(url)
            if not os.path.isabs(local):
                raise DvcRemoteError(f"{url!r} is not an absolute path: a local remote must be an absolute folder")
            url = os.path.normpath(local)
            object.__setattr__(self, "endpoint_url", None)  # S3 settings mean nothing to a folder
            object.__setattr__(self, "region", None)
        object.__setattr__(self, "url", url)

    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    def dvc_config(self) -> dict[str, Any]:
        """This remote's section of DVC's configuration (`remote.<name>`), secrets included: keep it in memory."""
        if not self.is_s3:
            return {"url": self.url}
        options = {
            "url": self.url,
            "endpointurl": self.endpoint_url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "region": self.region,
        }
        return {key: value for key, value in options.items() if value}


def _env_endpoint() -> str | None:
    return os.environ.get(ENDPOINT_ENV) or os.environ.get(AWS_ENDPOINT_ENV) or None


class DvcHook(BaseHook):
    """Resolves the platform's DVC remote and snapshots or fetches training data through it."""

    conn_name_attr = "dvc_conn_id"
    default_conn_name = "dvc_default"
    conn_type = "generic"
    hook_name = "DVC remote"

    def __init__(self, *, dvc_conn_id: str = default_conn_name, remote: DvcRemote | None = None) -> None:
        super().__init__()
        self.dvc_conn_id = dvc_conn_id
        self._explicit_remote = remote

    @cached_property
    def remote(self) -> DvcRemote:
        """The explicit remote, else the connection's, else MODELFLEET_DVC_REMOTE's, else the state folder's."""
        if self._explicit_remote is not None:
            return self._explicit_remote
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            conn = self.get_connection(self.dvc_conn_id)
        except AirflowNotFoundException:
            conn = None
        if conn is not None:
            extra = conn.extra_dejson if conn.extra else {}
            url = extra.get("url")
            if not url:
                raise DvcRemoteError(f"Airflow connection {self.dvc_conn_id!r} has no extra 'url' "
                                     "(an absolute local folder or s3://bucket[/prefix])")
            return self._build(url, f"Airflow connection {self.dvc_conn_id!r}",
                               endpoint_url=extra.get("endpoint_url") or _env_endpoint(),
                               access_key_id=conn.login or None, secret_access_key=conn.password or None,
                               region=extra.get("region_name") or None)
        configured = os.environ.get(REMOTE_ENV)
        if configured:
            return self._build(configured, REMOTE_ENV, endpoint_url=_env_endpoint())
        return self._build(str(default_remote_dir()), "the default remote")

    def remote_for(self, url: str) -> DvcRemote:
        """The remote at `url`: the configured one (its endpoint and keys) when `url` names it, else `url` with
        the environment's endpoint and the AWS credential chain. For fetching by a URL recorded in a tag."""
        wanted = self._build(url, "the requested remote", endpoint_url=_env_endpoint())
        configured = self.remote
        return configured if configured.url == wanted.url else wanted

    @staticmethod
    def _build(url: str, source: str, **options: Any) -> DvcRemote:
        try:
            return DvcRemote(url, **options)
        except DvcRemoteError as exc:
            raise DvcRemoteError(f"DVC remote from {source}: {exc}") from None

    def snapshot(self, workspace: Path, files: Sequence[Path | str]) -> list[Snapshot]:
        """Add `files` (inside `workspace`) to the workspace's DVC cache and push them to the remote."""
        from modelfleet.lineage.snapshots import snapshot

        return snapshot(workspace, files, self.remote)

    def fetch(self, md5: str, dest: Path, remote_url: str | None = None) -> Path:
        """Write the object with DVC hash `md5` to `dest`, from the remote alone (`remote_url`, else the configured one)."""
        from modelfleet.lineage.snapshots import fetch

        return fetch(md5, self.remote if remote_url is None else self.remote_for(remote_url), dest)
