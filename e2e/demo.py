"""The A/B example on a local control plane and fake AWS: `python -m e2e.demo` (or `tox -e demo`).

Starts etcd + kube-apiserver + kube-controller-manager + kwok (one fake node), the fake AWS endpoint
and the controller (with DEFAULT_SERVICE_NETWORK=app-network, which it creates), applies
manifests/gatewayclass.yaml and manifests/examples/ab-test/ab-test.yaml with kubectl, waits until the
route is accepted and live with its full weighted rule (checkout 25, checkout-v2 75) and all four pods
are registered, prints the route status and the Lattice resources, then stops everything. `--keep`
leaves the control plane, the fake AWS endpoint and the controller running, detached from the demo,
and prints how to reach and stop them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.client import FakeAwsAdmin
from e2e.fakeaws.fixtures import REGION, FakeAws, start_fake_aws
from e2e.harness.controller import REPO_ROOT, ControllerProcess, controller_env
from e2e.harness.lattice_view import LatticeView

SERVICE_NAME = "checkout-store"  # trunc20(route)-trunc18(namespace)
WANTED_WEIGHTS = {"checkout": 25, "checkout-v2": 75}
SERVICE_NAME_TAG = "application-networking.k8s.aws/ServiceName"


def _step(text: str) -> None:
    print(f"==> {text}", flush=True)


def _route_status(plane: ControlPlane) -> dict[str, Any]:
    out = plane.kubectl("get", "httproute", "checkout", "-n", "store", "-o", "json")
    return json.loads(out.stdout) if out.returncode == 0 else {}


def _rule_weights(view: LatticeView) -> dict[str, int]:
    """``{Service name: weight}`` of the service's first non-default rule ({} before it exists)."""
    service = view.service(SERVICE_NAME)
    for listener in (service or {}).get("listeners", []):
        for rule in listener["rules"]:
            if rule.get("isDefault"):
                continue
            out = {}
            for ref in rule.get("action", {}).get("forward", {}).get("targetGroups", []):
                tg = view.target_group_by_id(ref["targetGroupIdentifier"]) or {}
                out[tg.get("tags", {}).get(SERVICE_NAME_TAG, "?")] = ref["weight"]
            return out
    return {}


def _programmed(route: dict[str, Any]) -> bool:
    """Accepted, and no ``Programmed=False`` (the controller sets it only while a change is not live)."""
    conditions = [c for parent in route.get("status", {}).get("parents", []) for c in parent["conditions"]]
    return any(c["type"] == "Accepted" and c["status"] == "True" for c in conditions) and not any(
        c["type"] == "Programmed" and c["status"] == "False" for c in conditions
    )


def _wait_converged(plane: ControlPlane, endpoint: str, timeout: float) -> LatticeView:
    deadline = time.monotonic() + timeout
    view = LatticeView.read(endpoint)
    while time.monotonic() < deadline:
        view = LatticeView.read(endpoint)
        route = _route_status(plane)
        registered = sum(len(tg["targets"]) for tg in view.target_groups)
        if _rule_weights(view) == WANTED_WEIGHTS and registered >= 4 and _programmed(route):
            return view
        time.sleep(1)
    raise TimeoutError(f"not converged within {timeout:.0f} s; Lattice now:\n{view.describe()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave everything running")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)

    directory = Path(tempfile.mkdtemp(prefix="lc-demo-"))
    started = time.monotonic()
    _step("starting etcd, kube-apiserver, kube-controller-manager and kwok on loopback")
    plane = ControlPlane.start(directory, with_workloads=True)
    _step("starting the fake AWS endpoint")
    fake_process, endpoint = start_fake_aws(detached=args.keep)
    fake = FakeAws(endpoint, REGION, FakeAwsAdmin(endpoint), fake_process.pid)
    controller: ControllerProcess | None = None
    try:
        _step("starting lattice-controller (DEFAULT_SERVICE_NETWORK=app-network)")
        env = controller_env(fake.env(), DEFAULT_SERVICE_NETWORK="app-network")
        controller = ControllerProcess.start(plane.kubeconfig, env)
        _step("kubectl apply -f manifests/gatewayclass.yaml -f manifests/examples/ab-test/ab-test.yaml")
        for manifest in ("manifests/gatewayclass.yaml", "manifests/examples/ab-test/ab-test.yaml"):
            out = plane.kubectl("apply", "-f", str(REPO_ROOT / manifest))
            print(out.stdout + out.stderr, end="")
        _step("waiting for the Lattice service, the weighted rule and four registered pods")
        view = _wait_converged(plane, endpoint, args.timeout)
        route = _route_status(plane)
        print("\nHTTPRoute store/checkout status.parents:")
        for parent in route.get("status", {}).get("parents", []):
            conditions = ", ".join(f"{c['type']}={c['status']}({c['reason']})" for c in parent["conditions"])
            print(f"  {parent['parentRef']['name']}: {conditions}")
        print("\nVPC Lattice:")
        print(view.describe())
        print(f"\nconverged in {time.monotonic() - started:.1f} s (including control-plane start)")
        if args.keep:
            print(f"\nkubeconfig:     {plane.kubeconfig}\nfake AWS:       {endpoint}")
            print(f"controller:     health {controller.url('/healthz')}, ready {controller.url('/readyz')}")
            print(f"                metrics {controller.url('/metrics')}")
            print(f"controller log: {controller.log_path}")
            pids = f"{fake_process.pid} {controller.process.pid}"
            print(f"stop with: kill {pids}; python -m e2e.controlplane down --dir {directory}")
            return 0
        return 0
    except Exception as exc:  # the demo reports, it does not hide
        print(f"demo failed: {exc}", file=sys.stderr)
        if controller:
            print(f"controller log tail:\n{controller.log_tail()}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            if controller:
                controller.stop()
            fake_process.terminate()
            fake_process.wait(timeout=10)
            plane.stop()
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
