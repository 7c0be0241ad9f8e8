"""What a platform started: every live process whose environment carries a given MODELFLEET_HOME."""

from __future__ import annotations

import os
from pathlib import Path


def processes_with_home(home: Path) -> list[str]:
    """`pid command` of each live, non-zombie process started with MODELFLEET_HOME=<home> (root reads every one's
    environment, PostgreSQL's under the `postgres` user included)."""
    marker = f"MODELFLEET_HOME={home}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                state = (proc / "stat").read_text().rsplit(") ", 1)[1].split()[0]
                if state != "Z":
                    command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    found.append(f"{proc.name} {command[:120]}")
        except OSError:
            continue
    return found
