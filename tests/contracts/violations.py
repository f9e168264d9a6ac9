"""Show that every import contract can fail: for each one, plant a deliberate violation in a copy of
the package and check that ``lint-imports --contract <id>`` rejects it.

A contract that stays green on the violation it exists to catch promises nothing; this program is the
proof that each row of the package table in ``docs/architecture.md`` is enforced. Run by ``tox -e
imports`` after the contracts themselves; prints one line per contract and exits 1 if any contract
let its violation through (or if a contract has no violation listed here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
)

# contract id -> (module file that gets the import, the violating import)
VIOLATIONS: dict[str, tuple[str, str]] = {
    "layers": ("model/keys.py", "import lattice_controller.reconcile"),
    "kits-row": ("_kits/clock.py", "import lattice_controller.model.keys"),
    "model-row": ("model/keys.py", "import lattice_controller.cache.store"),
    "queue-row": ("queue/workqueue.py", "import lattice_controller.kube.kinds"),
    "kube-row": ("kube/kinds.py", "import lattice_controller.queue.workqueue"),
    "aws-row": ("aws/shapes.py", "import lattice_controller.kube.kinds"),
    "cache-row": ("cache/cache.py", "import lattice_controller.aws.inventory"),
    "reconcile-row": ("reconcile/triggers.py", "import lattice_controller.queue.workqueue"),
    "runtime-row": ("runtime/workers.py", "import lattice_controller.aws.inventory"),
    "pure-core": ("reconcile/diff/steps.py", "import lattice_controller.aws.inventory"),
    "pure-stores": ("cache/store.py", "import lattice_controller.kube.kinds"),
    "pure-kits-queue": ("queue/metrics.py", "import prometheus_client"),
    "kubernetes-client": ("reconcile/triggers.py", "import kubernetes_asyncio"),
    "aws-sdk": ("cache/cache.py", "import botocore"),
}
# More plants for the purity promise: each pure package alone, and the cache as well as the edges.
EXTRA: list[tuple[str, str, str]] = [
    ("pure-core", "reconcile/build/route.py", "import lattice_controller.kube.kinds"),
    ("pure-core", "reconcile/status/route.py", "import lattice_controller.cache.store"),
    ("pure-core", "model/lattice.py", "import aiohttp"),
    ("pure-core", "reconcile/diff/route.py", "import lattice_controller.reconcile.observe"),
]


def contract_ids() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [c["id"] for c in config["tool"]["importlinter"]["contracts"]]


def violated(contract: str, module_file: str, line: str) -> bool:
    """True when ``lint-imports`` reports ``contract`` broken with ``line`` planted in ``module_file``."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        shutil.copytree(ROOT / "lattice_controller", copy / "lattice_controller")
        shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
        target = copy / "lattice_controller" / module_file
        target.write_text(target.read_text() + f"\n{line}  # planted violation\n")
        env = {**os.environ, "PYTHONPATH": str(copy)}
        result = subprocess.run(
            [sys.executable, "-c", _LINT_IMPORTS, "--no-cache", "--contract", contract],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return result.returncode != 0 and "BROKEN" in result.stdout


def main() -> int:
    failures = 0
    for contract in contract_ids():
        if contract not in VIOLATIONS:
            print(f"MISS {contract}: no deliberate violation listed")
            failures += 1
    plants = [(c, f, line) for c, (f, line) in VIOLATIONS.items()] + EXTRA
    for contract, module_file, line in plants:
        ok = violated(contract, module_file, line)
        print(f"{'FAILS' if ok else 'GREEN'} {contract}: {line!r} in {module_file}")
        failures += not ok
    print("every contract fails on its violation" if not failures else f"{failures} contract(s) did not")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
