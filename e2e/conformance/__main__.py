"""Run the Gateway API conformance suite (GATEWAY-HTTP profile) against lattice-controller, locally.

    python -m e2e.conformance [--report PATH] [--skip-list PATH] [--run-test NAME] [--keep]

Steps (each timed): build the suite once (``e2e/conformance/build.sh``, cached next to the control-plane
binaries), start etcd + kube-apiserver + kube-controller-manager + kwok (workloads tier), the fake AWS
endpoint with one service network per Gateway name in the suite's manifests, and ``lattice-controller run``
as the ServiceAccount bound to ``manifests/rbac.yaml``; run the suite; judge every test against the skip
list (``docs/conformance/skip-list.txt``); write the suite's report. Exit 0 when every test met its
expectation, 1 when one did not, 2 when the run itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from e2e.conformance.expectations import (
    Verdict,
    judge,
    load_skip_list,
    status_failure_lines,
    unsupported,
)
from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.client import FakeAwsAdmin
from e2e.fakeaws.fixtures import REGION, FakeAws, start_fake_aws
from e2e.harness.controller import REPO_ROOT, ControllerProcess, controller_env
from e2e.harness.lattice_view import lattice_client
from lattice_controller import __version__
from lattice_controller.reconcile.build import SUPPORTED_FEATURES

GATEWAY_API_VERSION = "v1.6.3"
GATEWAY_CLASS = "amazon-vpc-lattice"
PROFILE = "GATEWAY-HTTP"
# The features the GatewayClass publishes, less those of the other profiles (GATEWAY-GRPC, GATEWAY-TLS).
OTHER_PROFILES_FEATURES = frozenset({"GRPCRoute", "TLSRoute"})
# Test isolation: routes of one test must be gone (finalizers, Lattice deletes) before the next re-applies
# them; requests through the gateway can never succeed locally, so fail them fast.
TIMEOUTS = "TestIsolation:10;MaxTimeToConsistency:3;RequestTimeout:1;GatewayMustHaveAddress:90"
DEFAULT_REPORT = REPO_ROOT / "docs/conformance" / f"gateway-api-{GATEWAY_API_VERSION}-report.yaml"
DEFAULT_SKIP_LIST = REPO_ROOT / "docs/conformance/skip-list.txt"
_TOP_TEST = re.compile(r"^TestConformance/([^/]+)")


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def log(text: str) -> None:
    print(f"[conformance] {text}", file=sys.stderr, flush=True)


class Steps:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def run(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        log(f"step: {name}")
        began = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            self.times[name] = time.monotonic() - began
            log(f"done: {name} in {self.times[name]:.0f}s")


def build_suite() -> Path:
    out = subprocess.run(
        ["bash", str(REPO_ROOT / "e2e/conformance/build.sh")], stdout=subprocess.PIPE, text=True, check=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def gateway_names(manifests: Path) -> list[str]:
    """Every Gateway name in the suite's manifests (each needs a service network of that name)."""
    names: set[str] = set()
    for path in sorted(manifests.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "Gateway":
                names.add(str(doc["metadata"]["name"]))
    return sorted(names)


def create_networks(fake: FakeAws, names: list[str]) -> None:
    client = lattice_client(fake.endpoint, fake.region)
    for name in names:
        client.create_service_network(name=name)


def published_features(plane: ControlPlane, timeout: float = 60.0) -> list[str]:
    """The GatewayClass's status.supportedFeatures once the controller has accepted it."""
    deadline = time.monotonic() + timeout
    while True:
        status = plane.rest().get(f"/apis/gateway.networking.k8s.io/v1/gatewayclasses/{GATEWAY_CLASS}")
        status = status.get("status", {})
        accepted = any(
            c["type"] == "Accepted" and c["status"] == "True" for c in status.get("conditions", [])
        )
        if accepted and status.get("supportedFeatures"):
            return [f["name"] for f in status["supportedFeatures"]]
        if time.monotonic() > deadline:
            raise RuntimeError(f"GatewayClass {GATEWAY_CLASS} not accepted with supportedFeatures: {status}")
        time.sleep(0.5)


def run_suite(
    binary: Path,
    kubeconfig: Path,
    report: Path,
    features: list[str],
    skips: list[str],
    run_test: str | None,
    events: Path,
) -> int:
    args = [
        f"-gateway-class={GATEWAY_CLASS}",
        f"-supported-features={','.join(features)}",
        f"-conformance-profiles={PROFILE}",
        f"-timeout-config-overrides={TIMEOUTS}",
        "-cleanup-base-resources=true",
        f"-report-output={report}",
        "-organization=lattice-controller",
        "-project=lattice-controller",
        "-url=README.md#conformance",
        f"-version=v{__version__}",
        "-contact=see README.md",
        "-mode=default",
    ]
    if skips:
        args.append(f"-skip-tests={','.join(skips)}")
    if run_test:
        args.append(f"-run-test={run_test}")
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    argv = [
        "go",
        "tool",
        "test2json",
        "-t",
        "-p",
        "conformance",
        str(binary),
        "-test.v=test2json",
        "-test.run=^TestConformance$",
        "-test.timeout=50m",
        *args,
    ]
    with events.open("w") as out:
        return subprocess.run(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=binary.parent
        ).returncode


def read_events(events: Path) -> tuple[dict[str, str], dict[str, list[str]], dict[str, list[str]]]:
    """(outcome per top-level test, output lines per top-level test incl. its subtests, output lines per
    test or subtest by its full name)."""
    outcomes: dict[str, str] = {}
    output: dict[str, list[str]] = defaultdict(list)
    by_subtest: dict[str, list[str]] = defaultdict(list)
    for line in events.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        found = _TOP_TEST.match(event.get("Test") or "")
        if not found:
            continue
        name = found.group(1)
        action = event.get("Action")
        if action == "output":
            output[name].append(event.get("Output", ""))
            by_subtest[event["Test"]].append(event.get("Output", ""))
        elif action in ("pass", "fail", "skip") and event["Test"] == f"TestConformance/{name}":
            outcomes[name] = action
    return outcomes, output, by_subtest


def print_verdicts(verdicts: list[Verdict]) -> None:
    """Every test that ran or is on the skip list; tests of unclaimed features only as a count."""
    shown = [v for v in verdicts if not (v.ok and v.note == "not run: feature not supported")]
    width = max((len(v.test) for v in shown), default=10)
    for v in shown:
        print(f"{'ok  ' if v.ok else 'FAIL'}  {v.test.ljust(width)}  {v.outcome:<4}  {v.note}")
    print(f"({len(verdicts) - len(shown)} tests of features the GatewayClass does not claim were not run)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="where the suite's report goes")
    parser.add_argument("--skip-list", type=Path, default=DEFAULT_SKIP_LIST)
    parser.add_argument("--run-test", help="run only this test (its expectation still applies)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, events)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_exit)
    expectations = load_skip_list(args.skip_list)
    steps = Steps()
    work = Path(tempfile.mkdtemp(prefix="lc-conformance-"))
    plane: ControlPlane | None = None
    fake_process = None
    controller: ControllerProcess | None = None
    began = time.monotonic()
    try:
        binary = steps.run("build suite", build_suite)
        plane = steps.run("control plane", ControlPlane.start, work / "plane", with_workloads=True)
        fake_process = steps.run("fake AWS", start_fake_aws)
        fake = FakeAws(fake_process.endpoint, REGION, FakeAwsAdmin(fake_process.endpoint), fake_process.pid)
        names = gateway_names(binary.parent / "manifests")
        steps.run(f"{len(names)} service networks", create_networks, fake, names)
        kubeconfig = plane.restricted_kubeconfig("gateway-api-controller", REPO_ROOT / "manifests/rbac.yaml")
        applied = plane.kubectl("apply", "-f", str(REPO_ROOT / "manifests/gatewayclass.yaml"))
        if applied.returncode != 0:
            raise RuntimeError(applied.stderr)
        controller = steps.run(
            "controller", ControllerProcess.start, kubeconfig, controller_env(fake.env(), LOG_LEVEL="info")
        )
        published = steps.run("GatewayClass accepted", published_features, plane)
        if published != list(SUPPORTED_FEATURES):
            raise RuntimeError(f"GatewayClass publishes {published}, expected {list(SUPPORTED_FEATURES)}")
        features = [f for f in published if f not in OTHER_PROFILES_FEATURES]
        raw_report = work / "report.yaml"
        events = work / "events.jsonl"
        code = steps.run(
            "suite",
            run_suite,
            binary,
            plane.kubeconfig,
            raw_report,
            features,
            unsupported(expectations),
            args.run_test,
            events,
        )
        outcomes, output, by_subtest = read_events(events)
        if not outcomes:
            log(f"the suite ran no test (exit {code}); its output:\n{events.read_text()[-4000:]}")
            return 2
        verdicts = [judge(t, o, output[t], expectations) for t, o in sorted(outcomes.items())]
        print_verdicts(verdicts)
        if raw_report.exists():
            args.report.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(raw_report, args.report)
            log(f"report: {args.report}")
        failed = [v.test for v in verdicts if not v.ok]
        log(
            f"{len(verdicts) - len(failed)}/{len(verdicts)} tests as expected; "
            + ", ".join(f"{k} {v:.0f}s" for k, v in steps.times.items())
            + f"; total {time.monotonic() - began:.0f}s"
        )
        if failed:
            for test in failed:
                log(f"{test}: what the suite saw\n" + "".join(status_failure_lines(test, by_subtest)))
            log(f"not as expected: {', '.join(failed)}; controller log tail:\n{controller.log_tail(40)}")
            return 1
        return 0
    finally:
        if controller is not None:
            if args.keep:
                shutil.copyfile(controller.log_path, work / "controller.log")
            controller.stop()
            controller.log_path.unlink(missing_ok=True)
        if fake_process is not None:
            fake_process.stop()
        if plane is not None:
            plane.stop()
        if args.keep:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
