"""Start and stop the control plane's child processes by recorded PID.

Each child runs in its own session (so a terminal's Ctrl-C or a dying pytest does not reach it, and it
outlives the `up` command), writes stdout+stderr to a log file, and is stopped only through the PID that
was recorded when it was started, after checking that the PID still runs the same command line. Nothing
here ever looks processes up by name.

A command that starts children installs `interrupt_on_signals()`: SIGINT, SIGTERM and SIGHUP then raise
`Interrupted`, so the caller's cleanup runs, but never between a child's start and the moment its PID is
recorded (`signals_deferred()`), so an interrupted start cannot leave an unrecorded child behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

STOP_TIMEOUT = 20.0

# Popen objects of the children this process started, kept so they are not garbage-collected while
# running (a ResourceWarning) and so their exit status is collected with wait().
_children: dict[int, subprocess.Popen[bytes]] = {}
_exit_codes: dict[int, int] = {}  # PID -> status of those children, once reaped


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


START_MARK = "=== "


def spawn(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> ManagedProcess:
    """Start `argv` in a new session with output appended to `log` (call inside `signals_deferred()`)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n{START_MARK}{time.strftime('%H:%M:%S')} start {name}: {' '.join(argv)}\n".encode())
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
        code = child.poll()
        if code is not None:
            _exit_codes[pid] = code
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
    """True while the PID exists, is not a zombie, and still runs the command line we started."""
    if p.pid in _children:
        # Our own unreaped child: its PID cannot have been reused, whatever it exec'd since.
        _reap(p.pid)
        return p.pid in _children
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


def exit_code(p: ManagedProcess) -> int | None:
    """The exit status of a child this process started and that has exited, else None."""
    _reap(p.pid)
    return _exit_codes.get(p.pid)


def stop(p: ManagedProcess, timeout: float = STOP_TIMEOUT) -> bool:
    """SIGTERM, wait up to `timeout`, then SIGKILL; True once the process is gone (or the PID reused)."""
    if not is_ours(p):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(p.pid, signal.SIGTERM)
    if _wait_gone(p, timeout):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(p.pid, signal.SIGKILL)
    return _wait_gone(p, 10.0)


def _wait_gone(p: ManagedProcess, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_ours(p):
            return True
        time.sleep(0.1)
    return not is_ours(p)


def _last_run(log: str | Path) -> list[str]:
    """The log lines written since the last start of the process (a log spans restarts)."""
    try:
        lines = Path(log).read_text(errors="replace").splitlines()
    except OSError:
        return []
    starts = [i for i, line in enumerate(lines) if line.startswith(START_MARK)]
    return lines[starts[-1] + 1 :] if starts else lines


def tail(log: str | Path, lines: int = 40) -> str:
    """The last `lines` lines of the process's last run, for failure messages."""
    if not Path(log).exists():
        return f"(no log {log})"
    return "\n".join(_last_run(log)[-lines:]) or "(log is empty)"


# Why a component gave up, best first: the first pattern found in the last run's log names the reason.
_REASONS = (
    r"address already in use",
    r"flocked by another process|file already locked|resource temporarily unavailable|database is locked",
    r"permission denied",
    r"no such file or directory",
    r"unknown (?:flag|shorthand flag)|flag provided but not defined|is not a valid flag",
    r"certificate|x509",
    r"\b(?:fatal|panic)\b|^F\d{4} ",
    r"\berror\b|\bfailed\b|^E\d{4} ",
)


def _one_line(line: str, limit: int = 240) -> str:
    """A log line made readable on one line: JSON (zap, slog) to msg + error, klog header dropped."""
    text = line.strip()
    if text.startswith("{"):
        try:
            entry = json.loads(text)
        except ValueError:
            entry = None
        if isinstance(entry, dict) and "msg" in entry:
            text = str(entry["msg"])
            detail = entry.get("error") or entry.get("err") or entry.get("path")
            if detail:
                text += f": {detail}"
    text = re.sub(r"^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] ", "", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def exit_reason(p: ManagedProcess) -> str:
    """One line saying why `p` stopped (or is stuck), read from its log: port taken, data dir locked, ..."""
    lines = [line for line in _last_run(p.log) if line.strip()]
    for pattern in _REASONS:
        matching = [line for line in lines if re.search(pattern, line, re.IGNORECASE)]
        if matching:
            return _one_line(matching[-1])
    return _one_line(lines[-1]) if lines else "its log is empty"


def state(p: ManagedProcess) -> str:
    """`still running`, `exited` or `exited with status N` (the status is known for our own children)."""
    if is_ours(p):
        return "still running"
    code = exit_code(p)
    return "exited" if code is None else f"exited with status {code}"


def log_section(p: ManagedProcess, lines: int = 40) -> str:
    return f"--- {p.name} log {p.log}, last {lines} lines:\n{tail(p.log, lines)}"


def describe_failure(p: ManagedProcess, lines: int = 40) -> str:
    """One line (state and reason), then the tail of the log."""
    return f"{p.name} (pid {p.pid}) {state(p)}: {exit_reason(p)}\n{log_section(p, lines)}"


class Interrupted(BaseException):
    """A termination signal arrived while children were being started."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


_deferring = 0
_pending: list[int] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _deferring:
        _pending.append(signum)
        return
    raise Interrupted(signum)


def interrupt_on_signals() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP into `Interrupted` (main thread of a command only)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


@contextlib.contextmanager
def signals_deferred(*, drop: bool = False) -> Iterator[None]:
    """Hold `Interrupted` back until the block (start a child + record its PID) has finished.

    With `drop`, signals that arrive meanwhile are forgotten (cleanup that is already under way).
    """
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending:
            signum = _pending[0]
            _pending.clear()
            if not drop:
                raise Interrupted(signum)
