"""Figures of the kind tier: `python -m e2e.bench.kind [--keep] [--handovers N]`.

With the images built (`bash e2e/kind/build.sh`, whose step times are the build figures), it measures:
image sizes; a warm `python -m e2e.kind up` (images cached, the cluster created from nothing); the
controller pods' RSS at idle and after the A/B example converged and was deleted; and the leader handover
time after the leader pod is deleted (until another pod holds the Lease), `--handovers` times. Prints a
table; `down` at the end unless `--keep`. Exit 0 when every handover took at most 30 s, 1 otherwise,
2 when the run failed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid

from e2e.bench.budget import exit_status, verdict
from e2e.harness.controller import MANAGED_BY, controller_env
from e2e.harness.lattice_view import LatticeView
from e2e.kind import cluster as kind
from e2e.kind.incluster import InClusterController
from e2e.scenarios.support import (
    ab_manifest,
    eventually,
)

MIB = 1024 * 1024


def image_mib(image: str) -> float:
    out = subprocess.run(["docker", "image", "inspect", image], capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout)[0]["Size"]) / MIB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.bench.kind")
    parser.add_argument("--keep", action="store_true", help="leave the cluster up")
    parser.add_argument("--handovers", type=int, default=3)
    args = parser.parse_args(argv)
    rows: list[tuple[str, str]] = []
    kind.down()
    started = time.monotonic()
    try:
        found = kind.up()
        rows.append(("warm up (cluster from nothing, images cached)", f"{time.monotonic() - started:.0f} s"))
        rows.append(
            (
                "  of which kind create / install",
                f"{found.timings['create']} s / {found.timings['install']} s",
            )
        )
        for image in (found.node_image, found.controller_image, found.fakeaws_image):
            rows.append((f"image {image}", f"{image_mib(image):.0f} MiB"))
        fake = found.fake_endpoint
        from e2e.fakeaws.client import FakeAwsAdmin

        FakeAwsAdmin(fake).reset()
        env = controller_env(
            {"AWS_ENDPOINT_URL": fake, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_DEFAULT_REGION": "us-west-2", "REGION": "us-west-2"},
            DEFAULT_SERVICE_NETWORK="app-network",
        )  # fmt: skip
        t = time.monotonic()
        controller = InClusterController.start(env)
        rows.append(("controller 0 -> 2 replicas Ready + leader", f"{time.monotonic() - t:.1f} s"))
        time.sleep(10)
        for name, rss in controller.memory_mib().items():
            rows.append((f"RSS idle {name}", f"{rss[0]:.0f} MiB"))
        ns1 = f"store-{uuid.uuid4().hex[:6]}"
        ns2 = f"{ns1}-v2"
        found.must("apply", "-f", str(kind.REPO_ROOT / "manifests/gatewayclass.yaml"))
        found.must("apply", "-f", "-", input=ab_manifest(ns1, ns2))
        eventually(lambda: LatticeView.read(fake).managed(MANAGED_BY), timeout=120, what="A/B deployed")
        time.sleep(5)
        for name, rss in controller.memory_mib().items():
            rows.append((f"RSS after A/B deployed {name}", f"{rss[0]:.0f} MiB"))
        handovers: list[float] = []
        for _ in range(args.handovers):
            old = controller.leader()
            t = time.monotonic()
            found.must("delete", "pod", str(old), "-n", kind.CONTROLLER_NAMESPACE, "--wait=false")
            eventually(lambda old=old: controller.leader() not in (None, old), timeout=60, interval=0.2)
            handovers.append(time.monotonic() - t)
            controller.wait_ready()
        rows.append(
            ("leader handover (pod deleted -> new holder)", ", ".join(f"{h:.1f} s" for h in handovers))
        )
        found.must("delete", "-f", "-", "--wait=false", input=ab_manifest(ns1, ns2))
        eventually(lambda: not LatticeView.read(fake).managed(MANAGED_BY), timeout=120, what="cleanup")
        for name, rss in controller.memory_mib().items():
            rows.append((f"RSS after handovers + deletion {name}", f"{rss[0]:.0f} MiB (peak {rss[1]:.0f})"))
    except Exception as exc:  # the run failed: report it, still tear down
        print(f"bench.kind failed: {exc}", file=sys.stderr)
        if not args.keep:
            kind.down()
        return 2
    if not args.keep:
        kind.down()
    width = max(len(r[0]) for r in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")
    ok = verdict("leader handover <= 30 s", all(h <= 30 for h in handovers), f"{len(handovers)} handovers")
    return exit_status([ok])


if __name__ == "__main__":
    sys.exit(main())
