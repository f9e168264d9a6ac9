"""A stand-in for kube-scheduler: binds every unscheduled Pod to one fake (kwok) Node.

Run as `python -m e2e.controlplane.binder --kubeconfig K --node N`; the launcher starts it as a child
process of the workloads tier. It only binds Pods whose `schedulerName` is `default-scheduler` and
ignores resources, affinity and taints; it never touches anything but `pods/binding`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from e2e.controlplane.rest import ApiError, RestClient

UNSCHEDULED = "spec.nodeName="


def _wants_binding(pod: dict[str, Any]) -> bool:
    meta, spec = pod.get("metadata", {}), pod.get("spec", {})
    return (
        not spec.get("nodeName")
        and not meta.get("deletionTimestamp")
        and spec.get("schedulerName", "default-scheduler") == "default-scheduler"
    )


def bind(client: RestClient, pod: dict[str, Any], node: str) -> None:
    meta = pod["metadata"]
    body = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    }
    path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding"
    try:
        client.create(path, body)
    except ApiError as exc:
        if exc.status not in (404, 409):  # deleted meanwhile / already bound: nothing to do
            raise


def run(client: RestClient, node: str) -> None:
    """List+watch unscheduled pods forever, binding each one; relist after any stream error."""
    while True:
        try:
            listing = client.get("/api/v1/pods", fieldSelector=UNSCHEDULED)
            for pod in listing.get("items", []):
                if _wants_binding(pod):
                    bind(client, pod, node)
            rv = listing["metadata"]["resourceVersion"]
            for event in client.watch("/api/v1/pods", rv, timeout_seconds=120, fieldSelector=UNSCHEDULED):
                if event.get("type") in ("ADDED", "MODIFIED") and _wants_binding(event["object"]):
                    bind(client, event["object"], node)
                elif event.get("type") == "ERROR":
                    break
        except Exception as exc:  # apiserver restarting or unreachable: retry shortly
            print(f"binder: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            time.sleep(1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kubeconfig", required=True, type=Path)
    parser.add_argument("--node", required=True)
    args = parser.parse_args(argv)

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _exit)
    print(f"binder: binding unscheduled pods to node {args.node}", file=sys.stderr, flush=True)
    run(RestClient.from_kubeconfig(args.kubeconfig), args.node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
