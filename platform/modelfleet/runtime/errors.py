"""Errors of the platform's configuration, importable without loading the configuration itself (the CLI catches them)."""

from __future__ import annotations


class ConfigError(ValueError):
    """A MODELFLEET_* setting this machine's platform cannot run with; the message names the variable and the fix."""
