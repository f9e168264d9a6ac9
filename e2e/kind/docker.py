"""A usable Docker engine for the kind tier: the machine's own, or one this tier installs and starts.

* Docker answering `docker info`: used as it is, never stopped by us.
* No usable Docker, running as root with `CI=true`: `docker.io` (and `mmdebstrap`) from the distribution's
  packages, then `dockerd` started here, its default runtime `runc-bounded` (so that privileged containers
  work where the machine's capability bounding set is reduced); its PID is recorded so that `down` stops
  exactly that process.
* Otherwise `DockerUnavailable`, whose message is the one line saying what to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# Privileged containers (the kind node) get only the capabilities this machine can grant (see the script).
RUNC_BOUNDED = Path(__file__).resolve().with_name("runc-bounded")
INSTALL_HINT = (
    "the kind tier needs Docker and mmdebstrap: install docker.io (or Docker Engine) and mmdebstrap and "
    "start dockerd, or run it as root with CI=true to let it install them"
)


class DockerUnavailable(RuntimeError):
    """No usable Docker and not allowed to install one; the message is one line naming what is missing."""


@dataclass(frozen=True, slots=True)
class Engine:
    """The engine in use; `started_pid` is set only when this tier started `dockerd`."""

    started_pid: int | None = None


def docker_answers(timeout: float = 20.0) -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        out = subprocess.run(["docker", "info"], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0


def may_install() -> bool:
    return os.geteuid() == 0 and os.environ.get("CI", "").lower() == "true"


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", *packages], check=True, env=env, stdout=subprocess.DEVNULL
    )


def ensure(log_dir: Path) -> Engine:
    """Return a usable engine, installing and starting one where allowed (see the module docstring)."""
    missing = [tool for tool in ("mmdebstrap",) if shutil.which(tool) is None]
    if docker_answers():
        if missing and may_install():
            _apt_install(*missing)
        elif missing:
            raise DockerUnavailable(INSTALL_HINT + f" (missing: {', '.join(missing)})")
        return Engine()
    if not may_install():
        raise DockerUnavailable(INSTALL_HINT + " (no Docker engine answers `docker info`)")
    if shutil.which("dockerd") is None or missing:
        _apt_install("docker.io", "mmdebstrap")
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "dockerd.log").open("ab") as log:
        proc = subprocess.Popen(
            ["dockerd", "--add-runtime", f"bounded={RUNC_BOUNDED}", "--default-runtime", "bounded"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DockerUnavailable(f"dockerd exited with {proc.returncode}; log: {log_dir / 'dockerd.log'}")
        if docker_answers(timeout=5):
            return Engine(started_pid=proc.pid)
        time.sleep(1)
    stop_dockerd(proc.pid)
    raise DockerUnavailable(f"dockerd did not answer within 90 s; log: {log_dir / 'dockerd.log'}")


def _is_dockerd(pid: int) -> bool:
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
    return os.path.basename(argv0) == b"dockerd"


def stop_dockerd(pid: int, timeout: float = 60.0) -> None:
    """Stop the dockerd this tier started (by PID, only if that PID still is a dockerd)."""
    if not _is_dockerd(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_dockerd(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
        time.sleep(0.5)
    if _is_dockerd(pid):
        os.kill(pid, signal.SIGKILL)
