"""CPU profile of the controller process under a benchmark: py-spy attached by PID, summarised here.

`Profiler(pid, path).start()` runs `py-spy record --pid PID --format raw` (collapsed stacks, one line per
distinct stack with its sample count) until `stop()`; `top_functions(path)` ranks functions by the share
of samples in which they are on the stack (inclusive) and on top of it (self). py-spy is a PyPI package
(`pip install py-spy`, the `bench` extra); without it, `Profiler.available()` is False and benchmarks
say so instead of profiling. Idle samples (the event loop waiting in `select`/`epoll`) are dropped
(`--idle` is not passed), so shares are of the CPU the process used.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FunctionCost:
    function: str  # "name (file:line)" as py-spy prints it, file shortened to the package path
    inclusive: float  # share of samples with this function anywhere on the stack
    self_share: float  # share of samples with this function on top


def _py_spy() -> str | None:
    candidate = Path(sys.executable).with_name("py-spy")
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


class Profiler:
    def __init__(self, pid: int, path: Path, rate: int = 67) -> None:
        self.pid = pid
        self.path = path
        self.rate = rate
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return _py_spy() is not None

    def start(self) -> None:
        binary = _py_spy()
        if binary is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy)")
        self._process = subprocess.Popen(
            [
                *(binary, "record", "--pid", str(self.pid), "--rate", str(self.rate), "--format", "raw"),
                *("--nonblocking", "--output", str(self.path)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> str:
        """Stop recording (py-spy writes its file on SIGINT); returns py-spy's stderr tail."""
        process, self._process = self._process, None
        if process is None:
            return ""
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        return err.decode(errors="replace")[-400:]


def _short(frame: str) -> str:
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "lattice_controller/", "lib/python3"):
        if marker in where:
            where = (
                where.split(marker, 1)[1] if marker != "lattice_controller/" else where[where.index(marker) :]
            )
            break
    return f"{name} ({where})"


def _samples(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    """(total samples, inclusive count per function, self count per function) of a py-spy raw file."""
    inclusive: Counter[str] = Counter()
    on_top: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith("process ")]
        if not frames:
            continue
        count = int(count_text)
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        on_top[frames[-1]] += count
    return total, inclusive, on_top


def top_functions(path: Path, limit: int = 20, *, by_self: bool = False) -> tuple[int, list[FunctionCost]]:
    """(total samples, the ``limit`` costliest functions) by inclusive share, or by self share."""
    total, inclusive, on_top = _samples(path)
    ranking = on_top if by_self else inclusive
    ranked = sorted(ranking, key=lambda f: (-ranking[f], f))[:limit]
    share = float(max(total, 1))
    return total, [FunctionCost(f, inclusive[f] / share, on_top[f] / share) for f in ranked]
