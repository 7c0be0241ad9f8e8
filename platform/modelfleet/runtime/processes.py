"""Start each component in its own process group, remember it in a pid file, stop the whole group.

`airflow standalone` leaves children behind on SIGTERM; a process group per
component (start_new_session) lets `down` stop a component with everything
it spawned (LocalExecutor workers, gunicorn/uvicorn workers, task runners).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Component:
    name: str
    argv: list[str]


def pid_file(pid_dir: Path, name: str) -> Path:
    return pid_dir / f"{name}.pid"


def read_pid(pid_dir: Path, name: str) -> int | None:
    try:
        return int(pid_file(pid_dir, name).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def group_alive(pgid: int) -> bool:
    """True while any process of the group still runs.

    A killed process stays a zombie until its parent reaps it, and in a
    container whose init does not reap, that can be forever: `killpg(pgid, 0)`
    would call the group alive, so members are read from /proc and zombies
    are not counted (Linux; elsewhere the signal probe is the fallback).
    """
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def start(component: Component, env: dict[str, str], pid_dir: Path, log_dir: Path, cwd: Path) -> int:
    pid_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{component.name}.log", "ab") as log:
        process = subprocess.Popen(
            component.argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    pid_file(pid_dir, component.name).write_text(str(process.pid))
    return process.pid


def stop(pid_dir: Path, name: str, grace_seconds: float = 20.0, first_signal: signal.Signals = signal.SIGTERM) -> bool:
    """`first_signal` (SIGTERM) to the component's group, SIGKILL what is left after the grace period. True if it was running."""
    pid = read_pid(pid_dir, name)
    path = pid_file(pid_dir, name)
    if pid is None:
        path.unlink(missing_ok=True)
        return False
    was_running = group_alive(pid)
    if was_running:
        try:
            os.killpg(pid, first_signal)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace_seconds
        while group_alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if group_alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while group_alive(pid) and time.monotonic() < deadline + 5:
                _reap(pid)
                time.sleep(0.1)
    _reap(pid)
    path.unlink(missing_ok=True)
    return was_running


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _ancestors() -> set[int]:
    chain, pid = set(), os.getpid()
    while pid > 1:
        chain.add(pid)
        try:
            pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(") ", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return chain


def strays(markers: list[bytes]) -> list[int]:
    """Live processes whose environment holds every one of `markers` (e.g. `AIRFLOW_HOME=<the platform's>`), other
    than this process and its ancestors: what a component left outside its process group. Airflow's task
    supervisor puts each task process in a group of its own, so stopping a worker's group does not reach it."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    mine, found = _ancestors(), []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            environ = set((entry / "environ").read_bytes().split(b"\0"))
            state = (entry / "stat").read_text().rsplit(") ", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and all(marker in environ for marker in markers):
            found.append(int(entry.name))
    return found


def stop_strays(markers: list[bytes], grace_seconds: float = 10.0) -> list[int]:
    """SIGTERM each stray process, SIGKILL those still there after the grace period; returns their pids."""
    pids = found = strays(markers)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace_seconds
        while (left := [pid for pid in pids if pid in strays(markers)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not left:
            break
        pids = left
    return found
