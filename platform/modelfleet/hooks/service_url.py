"""Where an HTTP service of the platform is: its Airflow connection, else an environment variable."""

from __future__ import annotations

import os

from airflow.sdk import BaseHook


def service_url(hook: BaseHook, conn_id: str, env_var: str, what: str, hint: str = "") -> str:
    """`scheme://host[:port]` from the connection `conn_id`; without it, `$env_var`; else an error saying which to set.

    The connection wins, so operators can point a deployment elsewhere
    without touching the workers' environment.
    """
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = hook.get_connection(conn_id)
    except AirflowNotFoundException:
        configured = os.environ.get(env_var)
        if not configured:
            raise RuntimeError(f"no {what}: define the Airflow connection {conn_id!r} or set {env_var}{hint}") from None
        return configured.rstrip("/")
    port = f":{conn.port}" if conn.port else ""
    return f"{conn.schema or conn.conn_type or 'http'}://{conn.host}{port}"
