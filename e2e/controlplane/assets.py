"""Locate the control-plane binaries, stage configs and Gateway API CRDs.

Order for each binary: `TEST_ASSET_<NAME>` → `$KUBEBUILDER_ASSETS` → `$K8S_TEST_ASSETS` →
`/usr/local/kubebuilder/bin` → the cache directory printed by `e2e/controlplane/build.sh` (which builds it
on first use and is a no-op afterwards). Never downloads anything itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BUILD_SCRIPT = Path(__file__).with_name("build.sh")
KUBEBUILDER_DEFAULT = Path("/usr/local/kubebuilder/bin")
APISERVER_TIER = ("etcd", "kube-apiserver", "kubectl")
WORKLOADS_TIER = ("kube-controller-manager", "kwok")
DATA_FILES = ("kwok-stages.yaml", "gateway-api")


class AssetsUnavailable(RuntimeError):
    """A binary or data file could not be found and the build script could not provide it."""


def env_name(binary: str) -> str:
    """`kube-apiserver` → `TEST_ASSET_KUBE_APISERVER`."""
    return "TEST_ASSET_" + binary.upper().replace("-", "_")


def _candidate_dirs() -> list[Path]:
    dirs = [os.environ.get("KUBEBUILDER_ASSETS"), os.environ.get("K8S_TEST_ASSETS")]
    found = [Path(d) for d in dirs if d]
    found.append(KUBEBUILDER_DEFAULT)
    return found


def _lookup(name: str, dirs: list[Path]) -> Path | None:
    explicit = os.environ.get(env_name(name))
    if explicit:
        return Path(explicit) if Path(explicit).exists() else None
    for d in dirs:
        candidate = d / name
        if candidate.exists():
            return candidate
    return None


_built_dir: Path | None = None


def run_build_script() -> Path:
    """Run build.sh (idempotent; cold it takes tens of minutes) and return the directory it prints."""
    global _built_dir
    if _built_dir is not None:
        return _built_dir
    try:
        proc = subprocess.run(
            ["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, stderr=sys.stderr, text=True, check=False
        )
    except OSError as exc:
        raise AssetsUnavailable(f"cannot run {BUILD_SCRIPT}: {exc}") from exc
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise AssetsUnavailable(f"{BUILD_SCRIPT} failed with exit code {proc.returncode}")
    _built_dir = Path(lines[-1])
    return _built_dir


@dataclass(frozen=True, slots=True)
class Assets:
    """Resolved absolute paths of everything the launcher starts or applies."""

    binaries: dict[str, Path]
    kwok_stages: Path | None
    gateway_crds: Path | None

    def binary(self, name: str) -> Path:
        try:
            return self.binaries[name]
        except KeyError:
            raise AssetsUnavailable(f"binary {name!r} not found (set {env_name(name)})") from None

    def crd_dir(self, channel: str) -> Path:
        if self.gateway_crds is None or not (self.gateway_crds / channel).is_dir():
            raise AssetsUnavailable(f"Gateway API CRDs ({channel}) not found")
        return self.gateway_crds / channel


def resolve(names: tuple[str, ...] = APISERVER_TIER + WORKLOADS_TIER, *, build: bool = True) -> Assets:
    """Resolve `names` (plus the kwok stages and CRDs); run the build script only if something is missing.

    Binaries found through env vars may come from an envtest tarball that lacks KCM, kwok and the CRDs;
    whatever is missing is then taken from the build cache.
    """
    dirs = _candidate_dirs()
    binaries: dict[str, Path] = {}
    for name in names:
        found = _lookup(name, dirs)
        if found is not None:
            binaries[name] = found.resolve()
    data = {f: next((d / f for d in dirs if (d / f).exists()), None) for f in DATA_FILES}
    missing = [n for n in names if n not in binaries] + [f for f, p in data.items() if p is None]
    if missing and build:
        built = run_build_script()
        for name in names:
            if name not in binaries and (built / name).exists():
                binaries[name] = built / name
        for f in DATA_FILES:
            if data[f] is None and (built / f).exists():
                data[f] = built / f
        missing = [n for n in names if n not in binaries]
        if missing:
            raise AssetsUnavailable(f"not found even after {BUILD_SCRIPT}: {', '.join(missing)}")
    return Assets(binaries=binaries, kwok_stages=data["kwok-stages.yaml"], gateway_crds=data["gateway-api"])
