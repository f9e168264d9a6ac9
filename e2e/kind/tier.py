"""The kind tier (`tox -e kind`, `python -m e2e.kind test`): up, in-cluster tests, down.

Runs the in-cluster checks (e2e/kind/tests) and a subset of the scenario suite with the controller as the
cluster's Deployment (`LC_CONTROLLER_TARGET=kind`), then deletes the cluster and stops the dockerd it
started — also when a test or `up` fails. Without a usable Docker (and not root under CI=true, where it
installs one) it prints one line naming what to install and exits 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from e2e.kind import cluster, docker
from e2e.kind.incluster import MEMORY_LOG

# The scenarios that run against the in-cluster controller: the seed A/B case (weights, targets, deletion),
# gateways, HTTP route matches, bad input with ReferenceGrants, drift repair, and pod readiness gates (the
# install's webhook called by the API server through its Service, the gated Pods run by the node's kubelet).
# The rest of the suite (e.g. test_http_routes' target-group bookkeeping) runs in the e2e tier only.
SCENARIOS = (
    "e2e/scenarios/test_ab_seed.py",
    "e2e/scenarios/test_gateways.py",
    "e2e/scenarios/test_http_routes.py::test_paths_headers_methods_annotations_events",
    "e2e/scenarios/test_bad_input.py",
    "e2e/scenarios/test_drift.py",
    "e2e/scenarios/test_readiness_gate.py",
)
IN_CLUSTER_TESTS = "e2e/kind/tests"


def memory_summary(path: Path) -> str:
    """One line: the controller pods' RSS and peak RSS (VmHWM) when each test's controller was stopped."""
    rss: list[float] = []
    peak: list[float] = []
    if path.exists():
        for line in path.read_text().splitlines():
            for got_rss, got_peak in json.loads(line)["pods"].values():
                rss.append(got_rss)
                peak.append(got_peak)
    if not rss:
        return "[kind] controller memory: nothing recorded"
    return (
        f"[kind] controller pods at each stop ({len(rss)} pods): RSS {min(rss):.0f}-{max(rss):.0f} MiB, "
        f"peak RSS {min(peak):.0f}-{max(peak):.0f} MiB"
    )


def run(name: str, pytest_args: list[str]) -> int:
    started = time.monotonic()
    try:
        found = cluster.up(name)
    except docker.DockerUnavailable as exc:
        print(f"kind tier SKIPPED: {exc}", flush=True)
        return 0
    keep = os.environ.get("LC_KIND_KEEP") == "1"
    try:
        env = {
            **os.environ,
            "LC_KUBECONFIG": str(found.kubeconfig),
            "FAKE_AWS_ENDPOINT": found.fake_endpoint,
            "LC_CONTROLLER_TARGET": "kind",
            "LC_KIND_CLUSTER": name,
        }
        # Paths among the arguments replace the default selection; everything else goes to pytest as is.
        has_paths = any(os.path.exists(a.split("::")[0]) for a in pytest_args)
        targets = [] if has_paths else [IN_CLUSTER_TESTS, *SCENARIOS]
        argv = [
            sys.executable, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider", "--timeout=900",
            "--durations=20",
        ]  # fmt: skip
        memory_log = found.dir / MEMORY_LOG
        memory_log.unlink(missing_ok=True)
        proc = subprocess.run([*argv, *pytest_args], env=env, check=False)
        print(memory_summary(memory_log), flush=True)
        return proc.returncode
    finally:
        if not keep:
            cluster.down(name)
        print(
            f"[kind] tier wall time {time.monotonic() - started:.0f} s (up {found.timings.get('up')} s: "
            f"{found.timings}){' — cluster kept' if keep else ''}",
            flush=True,
        )
