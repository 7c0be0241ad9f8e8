"""The versions of each model the server holds: one live, others staged for a deploy or kept for rollback.

A deploy loads the challenger next to the live version, smoke-tests it
through the server, then switches `live` in one assignment: every request
is answered by either the old or the new version, never by none. The
previous live version stays loaded, so a rollback is the same switch back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KEEP_VERSIONS = 3
"""Loaded versions kept per model (live, the previous one for rollback, one staged)."""


@dataclass
class LoadedVersion:
    version: str
    model: Any
    """The MLflow pyfunc model."""


@dataclass
class ModelSlot:
    name: str
    versions: dict[str, LoadedVersion] = field(default_factory=dict)
    live: str | None = None
    previous: str | None = None
    error: str | None = None
    """Why the live version could not be loaded at start, if it could not."""


class UnknownVersion(LookupError):
    """A version the server has not loaded (stage it first)."""


class ModelSlots:
    """Thread-safe: requests read `live` while a deploy stages and switches."""

    def __init__(self, load: Callable[[str, str], Any]) -> None:
        self._load = load
        self._slots: dict[str, ModelSlot] = {}
        self._lock = threading.Lock()

    def slot(self, name: str) -> ModelSlot:
        with self._lock:
            return self._slots.setdefault(name, ModelSlot(name))

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._slots)

    def stage(self, name: str, version: str) -> LoadedVersion:
        """Load `version` (once) next to the live one; it serves only when asked for by version."""
        slot = self.slot(name)
        with self._lock:
            loaded = slot.versions.get(version)
        if loaded is None:
            loaded = LoadedVersion(version, self._load(name, version))  # slow: outside the lock
            with self._lock:
                slot.versions.setdefault(version, loaded)
                self._evict(slot)
        return loaded

    def switch(self, name: str, version: str) -> str | None:
        """Make a loaded `version` live; returns the version it replaced."""
        slot = self.slot(name)
        with self._lock:
            if version not in slot.versions:
                raise UnknownVersion(f"{name} v{version} is not loaded; stage it first")
            replaced = slot.live
            if replaced != version:
                slot.live, slot.previous, slot.error = version, replaced, None
            return replaced

    def get(self, name: str, version: str | None = None) -> LoadedVersion | None:
        """`version`, or the live version when None; None when the server holds neither."""
        with self._lock:
            slot = self._slots.get(name)
            if slot is None:
                return None
            chosen = slot.live if version is None else version
            return slot.versions.get(chosen) if chosen is not None else None

    def _evict(self, slot: ModelSlot) -> None:
        """Keep the live, the previous and the newest staged versions; drop older ones."""
        keep = {v for v in (slot.live, slot.previous) if v}
        for version in sorted(slot.versions, key=int, reverse=True):
            if len(keep) >= KEEP_VERSIONS:
                break
            keep.add(version)
        for version in list(slot.versions):
            if version not in keep:
                del slot.versions[version]
