"""Start and stop the control plane's child processes by recorded PID.

Each child runs in its own session (so a terminal's Ctrl-C or a dying pytest does not reach it, and it
outlives the `up` command), writes stdout+stderr to a log file, and is stopped only through the PID that
was recorded when it was started, after checking that the PID still runs the same executable. Nothing
here ever looks processes up by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

STOP_TIMEOUT = 20.0

# Popen objects of the children this process started, kept so they are not garbage-collected while
# running (a ResourceWarning) and so their exit status is collected with wait().
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True, slots=True)
class ManagedProcess:
    """A started child: enough to find its log, restart it with the same argv, and stop it."""

    name: str
    pid: int
    argv: tuple[str, ...]
    log: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManagedProcess:
        return cls(name=data["name"], pid=int(data["pid"]), argv=tuple(data["argv"]), log=data["log"])


def free_port() -> int:
    """A loopback port that was free a moment ago (the caller retries on 'address already in use')."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def spawn(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> ManagedProcess:
    """Start `argv` in a new session with output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n=== {time.strftime('%H:%M:%S')} start {name}: {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
            close_fds=True,
        )
    _children[proc.pid] = proc
    return ManagedProcess(name=name, pid=proc.pid, argv=tuple(argv), log=str(log))


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _children[pid]
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _proc_state(pid: int) -> str | None:
    """The /proc state letter, or None when the PID does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def is_ours(p: ManagedProcess) -> bool:
    """True while the PID exists, is not a zombie, and still runs the executable we started."""
    _reap(p.pid)
    state = _proc_state(p.pid)
    if state is None or state in ("Z", "X"):
        return False
    try:
        cmdline = Path(f"/proc/{p.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if cmdline and cmdline[-1] == b"":
        cmdline = cmdline[:-1]
    # The whole argv (ports, data dirs) must match: a reused PID running the same binary for another
    # plane is not ours.
    return tuple(arg.decode(errors="replace") for arg in cmdline) == tuple(p.argv)


def stop(p: ManagedProcess, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, wait up to `timeout`, then SIGKILL; a no-op when the PID is gone or was reused."""
    if not is_ours(p):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(p.pid, signal.SIGTERM)
    if _wait_gone(p, timeout):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(p.pid, signal.SIGKILL)
    _wait_gone(p, 10.0)


def _wait_gone(p: ManagedProcess, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_ours(p):
            return True
        time.sleep(0.1)
    return not is_ours(p)


def tail(log: str | Path, lines: int = 60) -> str:
    """The last `lines` lines of a log file, for failure messages."""
    try:
        text = Path(log).read_text(errors="replace")
    except OSError as exc:
        return f"(no log {log}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def describe_failure(p: ManagedProcess, lines: int = 60) -> str:
    state = "running" if is_ours(p) else "exited"
    return f"--- {p.name} (pid {p.pid}, {state}) log {p.log}, last {lines} lines:\n{tail(p.log, lines)}"
