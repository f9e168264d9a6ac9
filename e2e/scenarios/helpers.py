"""Small helpers shared by scenario tests: templated manifests, waiting, reading Lattice."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from e2e.controlplane.plane import ControlPlane
from e2e.harness.controller import REPO_ROOT

T = TypeVar("T")


def ab_manifest(ns_v1: str, ns_v2: str) -> str:
    """The A/B example with its two namespaces renamed (so tests do not collide)."""
    text = (REPO_ROOT / "manifests/examples/ab-test/ab-test.yaml").read_text()
    text = re.sub(r"\bstore-v2\b", "\x00", text)
    return re.sub(r"\bstore\b", ns_v1, text).replace("\x00", ns_v2)


def apply(plane: ControlPlane, manifest: str) -> None:
    out = plane.kubectl("apply", "-f", "-", input=manifest)
    assert out.returncode == 0, out.stderr


def kubectl_json(plane: ControlPlane, *args: str) -> Any:
    out = plane.kubectl(*args, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def eventually(
    probe: Callable[[], T | None], timeout: float = 90.0, interval: float = 0.5, what: str = ""
) -> T:
    """Poll `probe` until it returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or probe}; last={last!r}")


def wait_value(
    fetch: Callable[[], T], accept: Callable[[T], bool], timeout: float = 90.0, what: str = ""
) -> T:
    """Poll ``fetch`` until ``accept`` holds for its value; return that value."""
    found: list[T] = []

    def probe() -> bool:
        value = fetch()
        if accept(value):
            found.append(value)
            return True
        return False

    eventually(probe, timeout=timeout, what=what)
    return found[0]


def pod_ips(plane: ControlPlane, namespace: str, selector: str) -> set[str]:
    pods = kubectl_json(plane, "get", "pods", "-n", namespace, "-l", selector)["items"]
    return {
        p["status"].get("podIP")
        for p in pods
        if p["status"].get("podIP") and not p["metadata"].get("deletionTimestamp")
    }


def manifest_path(relative: str) -> Path:
    return REPO_ROOT / relative
