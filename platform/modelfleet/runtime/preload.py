"""Modules an Airflow process imports at start-up so that the processes it forks inherit them (MODELFLEET_PRELOAD).

The DAG processor forks a fresh process for every parse of every DAG file.
Forked from a manager that has already imported the DAG factory, a parse
pays only for reading specs and building DAGs, not for importing
modelfleet's operators and spec models again. The platform sets
MODELFLEET_PRELOAD for the DAG processor only (modelfleet.runtime.config).
"""

from __future__ import annotations

import importlib
import logging
import os

PRELOAD = "MODELFLEET_PRELOAD"
DAG_PROCESSOR_PRELOAD = ("modelfleet.dag_factory.tenant",)

log = logging.getLogger(__name__)


def preload() -> list[str]:
    """Import the comma-separated modules of MODELFLEET_PRELOAD; a module that fails is logged and skipped."""
    loaded = []
    for name in filter(None, (n.strip() for n in os.environ.get(PRELOAD, "").split(","))):
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # noqa: BLE001 - a parse imports it again and reports the error against the DAG file
            log.exception("could not preload %s", name)
    return loaded
