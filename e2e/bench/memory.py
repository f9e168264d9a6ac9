"""RSS with 1,000 HTTPRoutes and 10,000 pods' worth of EndpointSlices cached: `python -m e2e.bench.memory`.

Creates, on a real kube-apiserver, `--namespaces` namespaces holding `--routes` HTTPRoutes in total
(2 rules each: a path prefix + header match, one weighted Service backend), one Service per route and
one EndpointSlice per Service with `--pods-per-service` ready endpoints (address, nodeName, zone and a
Pod targetRef, as KCM writes them): 1,000 routes x 10 endpoints = 10,000 pods by default. Each endpoint
has its Pod object too (the controller caches Pods for the readiness gate): labels, an owner reference,
one container with ports, resources, probes and env, and a status with its IP and conditions as the kubelet
writes them. Every Pod carries the readiness gate and its condition (`--ungated`: none does), the worst
case for the cache, which keeps labels, IPs and that condition of gated Pods only.

Two measurements:
1. the real `Cache` (`lattice_controller.cache`, registered as the app registers it) in a fresh Python
   process: VmRSS from /proc/self/status after imports and after the first list of every kind;
2. the whole controller process (`python -m lattice_controller run`), VmRSS/VmHWM before the objects
   exist and after it has cached and handled them: once its calls have stopped, and again once its own
   heap release after the burst (`lattice_heap_last_release_reconciles`, at most ~40 s later) covers
   every reconcile — the budget is judged on the second, the steady state; both are printed. By default
   the routes' parent is a Gateway of another class, so they are cached but no Lattice resources are
   built (the cache is what the budget is about); `--attached` attaches them to the controller's Gateway
   instead (1,000 Lattice services on the fake, several minutes).
3. with `--attached --resync`: the controller runs with RECONCILE_DEFAULT_RESYNC_SECONDS=60; once every
   route has converged and the resync cycle under way has finished, the next full cycle (every key of
   every controller reconciled once more, nothing changed) is counted: AWS reads by operation, the
   inventory's listings by type (`lattice_inventory_listings_total`: one per paginated listing), AWS
   writes and Kubernetes writes (both must be 0), and the cycle's duration as the controller measures it
   (`lattice_resync_last_cycle_seconds`). Budget: each account-wide listing at most once per cycle, each
   scoped listing at most once per scope, no other read, 0 writes; exit 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


def settled_status(stack: Any, pid: int) -> tuple[dict[str, int], dict[str, int], float | None]:
    """VmRSS/VmHWM now (the controller's calls have stopped), and once the controller's heap release after
    the burst covers every reconcile so far (or its longest wait has passed: then the second equals a later
    reading), with the seconds that took (None: no release came)."""
    from lattice_controller.runtime.heap_release import CHECK_SECONDS, MIN_INTERVAL_SECONDS

    quiet = proc_status(pid)
    started = time.monotonic()
    deadline = started + MIN_INTERVAL_SECONDS + 3 * CHECK_SECONDS + 5
    waited: float | None = None
    while time.monotonic() < deadline:
        reconciles = stack.metric("controller_runtime_reconcile_total")
        if stack.metric("lattice_heap_last_release_reconciles") >= reconciles > 0:
            waited = time.monotonic() - started
            break
        time.sleep(1)
    time.sleep(1)
    return quiet, proc_status(pid), waited


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon in bytes."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon"):
            values[key] = int(rest.split()[0]) * 1024
    return values


# ----- the probe: runs in a fresh interpreter ---------------------------------------------------------


async def _probe(kubeconfig: str) -> dict[str, Any]:
    import gc

    from lattice_controller.app import CORE_KINDS
    from lattice_controller.cache.cache import Cache
    from lattice_controller.cache.controller_kinds import register_controller_kinds
    from lattice_controller.kube.client import load_api_client, rest_from_api_client
    from lattice_controller.kube.discovery import check_required_kinds

    api = await load_api_client(kubeconfig)
    rest = rest_from_api_client(api)
    try:
        resolved = await check_required_kinds(rest)
        served = (*resolved.required, *resolved.optional, *CORE_KINDS)
        gc.collect()
        before = proc_status()
        cache = Cache.for_api(rest)
        stores = register_controller_kinds(cache, served)
        began = time.monotonic()
        task = asyncio.create_task(cache.run())
        await asyncio.wait_for(cache.wait_synced(), 300)
        synced = time.monotonic() - began
        gc.collect()
        after = proc_status()
        counts = {name: len(list(store.keys())) for name, store in stores.items()}
        endpoints = sum(len(s.endpoints) for s in stores["EndpointSlice.discovery.k8s.io"].records())
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return {"before": before, "after": after, "counts": counts, "endpoints": endpoints, "sync_s": synced}
    finally:
        await rest.close()
        await api.close()


def run_probe(kubeconfig: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "e2e.bench.memory", "--probe", str(kubeconfig)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    if out.returncode != 0:
        raise RuntimeError(f"probe failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# ----- objects -------------------------------------------------------------------------------------------


def _route(name: str, namespace: str, service: str, parent: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name, "team": namespace}},
        "spec": {
            "parentRefs": [parent],
            "hostnames": [f"{name}.{namespace}.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": f"/{name}/v1"}}],
                    "backendRefs": [{"name": service, "kind": "Service", "port": 80, "weight": 90}],
                },
                {
                    "matches": [
                        {
                            "path": {"type": "PathPrefix", "value": f"/{name}"},
                            "headers": [{"type": "Exact", "name": "x-canary", "value": "true"}],
                        }
                    ],
                    "backendRefs": [{"name": service, "kind": "Service", "port": 80, "weight": 10}],
                },
            ],
        },
    }


def _service(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": 8090, "protocol": "TCP"}],
        },
    }


def _slice(service: str, namespace: str, first_ip: int, pods: int) -> dict[str, Any]:
    from e2e.bench.stack import pod_ip

    endpoints = []
    for n in range(pods):
        pod = f"{service}-7d9f8b6c4-{n:05d}"
        endpoints.append(
            {
                "addresses": [pod_ip(first_ip + n)],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": f"node-{(first_ip + n) % 50}",
                "zone": f"us-west-2{'abc'[n % 3]}",
                "targetRef": {
                    "kind": "Pod",
                    "namespace": namespace,
                    "name": pod,
                    "uid": f"{first_ip + n:08x}-0000-4000-8000-{first_ip + n:012x}",
                },
            }
        )
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service}-abcde",
            "namespace": namespace,
            "labels": {
                "kubernetes.io/service-name": service,
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "app": service,
            },
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8090, "protocol": "TCP"}],
        "endpoints": endpoints,
    }


GATE = "application-networking.k8s.aws/pod-readiness-gate"


def _pod(service: str, namespace: str, index: int, n: int, gated: bool) -> dict[str, Any]:
    """A Pod of `service`'s Deployment as the API server stores it (status written separately)."""
    from e2e.bench.stack import pod_ip

    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "app",
                "image": "public.ecr.aws/nginx/nginx:stable",
                "ports": [{"name": "http", "containerPort": 8090, "protocol": "TCP"}],
                "env": [{"name": "APP_NAME", "value": service}, {"name": "LOG_LEVEL", "value": "info"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8090}, "periodSeconds": 5},
            }
        ],
        "nodeName": f"node-{index % 50}",
    }
    if gated:
        spec["readinessGates"] = [{"conditionType": GATE}]
    status: dict[str, Any] = {
        "phase": "Running",
        "podIP": pod_ip(index),
        "podIPs": [{"ip": pod_ip(index)}],
        "hostIP": f"10.0.{index % 50}.1",
        "conditions": [
            {"type": t, "status": "True", "lastTransitionTime": "2026-12-01T00:00:00Z"}
            for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled", *([GATE] if gated else []))
        ],
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{service}-7d9f8b6c4-{n:05d}",
            "namespace": namespace,
            "labels": {"app": service, "pod-template-hash": "7d9f8b6c4", "team": namespace},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{service}-7d9f8b6c4",
                    "uid": f"{index:08x}-0000-4000-8000-000000000000",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
        "status": status,
    }


def create_objects(
    stack: Any, routes: int, namespaces: int, pods: int, parent: dict[str, str], gated: bool = True
) -> float:
    from e2e.bench.stack import namespace_body

    rest = stack.rest
    began = time.monotonic()
    for n in range(namespaces):
        rest.create("/api/v1/namespaces", namespace_body(f"mem-{n}"), exist_ok=True)
        # Pods name a ServiceAccount; no controller-manager here creates the default one.
        service_account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}
        rest.create(f"/api/v1/namespaces/mem-{n}/serviceaccounts", service_account, exist_ok=True)

    def one(i: int) -> None:
        client = stack.rest
        ns, name = f"mem-{i % namespaces}", f"route-{i:04d}"
        client.create(f"/api/v1/namespaces/{ns}/services", _service(f"svc-{i:04d}", ns))
        client.create(
            f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
            _slice(f"svc-{i:04d}", ns, i * pods, pods),
        )
        client.create(
            f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes",
            _route(name, ns, f"svc-{i:04d}", parent),
        )

    def pod(i: int) -> None:
        client = stack.rest
        route, n = divmod(i, pods)
        ns = f"mem-{route % namespaces}"
        body = _pod(f"svc-{route:04d}", ns, i, n, gated)
        status = body.pop("status")
        created = client.create(f"/api/v1/namespaces/{ns}/pods", body)
        path = f"/api/v1/namespaces/{ns}/pods/{created['metadata']['name']}/status"
        client.request("PATCH", path, {"status": status}, content_type="application/merge-patch+json")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(routes)))
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(pod, range(routes * pods)))
    return time.monotonic() - began


# ----- main --------------------------------------------------------------------------------------------


def inventory_listings(stack: Any) -> dict[str, float]:
    """`lattice_inventory_listings_total` of the running controller, by listing."""
    assert stack.controller is not None
    out: dict[str, float] = {}
    for line in stack.controller.metrics().splitlines():
        if not line.startswith("lattice_inventory_listings_total{"):
            continue
        head, _, value = line.rpartition(" ")
        label = head.split('listing="', 1)[1].split('"', 1)[0]
        out[label] = out.get(label, 0.0) + float(value)
    return out


def idle_resync_cycle(stack: Any, routes: int) -> dict[str, Any]:
    """Counts of one full periodic resync cycle with nothing changed (see the module docstring).

    Cycles never overlap: the controller starts the next one a resync period after the last one handled
    every key it enqueued (`lattice_resync_cycles_total` counts them). The cycle under way when the routes
    have converged may have started before; the next full one is counted, from the quiet gap before it
    to the end of it."""
    from e2e.bench.stack import is_read, wait_for
    from e2e.controlplane.audit import kube_writes
    from e2e.fakeaws.client import counter_delta

    def cycles() -> float:
        return float(stack.metric("lattice_resync_cycles_total"))

    def reconciled() -> float:
        return float(stack.metric("controller_runtime_reconcile_total", controller="httproute"))

    first = cycles()
    wait_for("the resync cycle under way to finish", lambda: cycles() >= first + 1, 1800, stack)
    base = cycles()
    routes_before = reconciled()
    before = stack.admin.counters()
    listings_before = inventory_listings(stack)
    stack.audit.mark()
    wait_for("the next resync cycle to finish", lambda: cycles() >= base + 1, 1800, stack)
    delta = counter_delta(before, stack.admin.counters())
    listings_after = inventory_listings(stack)
    entries = stack.audit.since_mark(stack.controller_user)
    return {
        "seconds": float(stack.metric("lattice_resync_last_cycle_seconds")),
        "keys": float(stack.metric("lattice_resync_last_cycle_keys")),
        "complete": float(stack.metric("lattice_resync_cycles_total", complete="false")) == 0,
        "reads": {k.split(":", 1)[-1]: n for k, n in delta.items() if is_read(k)},
        "writes": {k.split(":", 1)[-1]: n for k, n in delta.items() if not is_read(k)},
        "listings": {
            k: round(listings_after.get(k, 0.0) - listings_before.get(k, 0.0))
            for k in {*listings_after, *listings_before}
        },
        "kube_writes": kube_writes(entries),
        "reconciles": reconciled() - routes_before,
    }


def report_cycle(cycle: dict[str, Any], routes: int) -> bool:
    from e2e.bench.budget import ACCOUNT_WIDE_READS, IdleCycle, idle_cycle_checks
    from e2e.bench.stack import print_table

    reads: dict[str, int] = cycle["reads"]
    listings: dict[str, int] = cycle["listings"]
    print(
        f"\nidle resync cycle of {routes} routes: {cycle['reconciles']:.0f} route reconciles, "
        f"{cycle['keys']:.0f} keys in all; one full cycle took {cycle['seconds']:.1f} s "
        "(lattice_resync_last_cycle_seconds: from its start until every key it enqueued was handled)"
    )
    print_table(
        ["operation", "calls", "per route"],
        [[op, n, f"{n / routes:.2f}"] for op, n in sorted(reads.items(), key=lambda item: -item[1])],
    )
    print_table(
        ["inventory listing", "listings", "per route"],
        [[name, n, f"{n / routes:.2f}"] for name, n in sorted(listings.items(), key=lambda item: -item[1])],
    )
    scoped = sum(n for op, n in reads.items() if op not in ACCOUNT_WIDE_READS)
    print(f"INFO  route-scoped reads: {scoped} = {scoped / routes:.2f} per route")
    # Each route of this bench has one service, one listener and one target group: `routes` scopes of each.
    checks = idle_cycle_checks(
        IdleCycle(
            complete=bool(cycle["complete"]),
            seconds=float(cycle["seconds"]),
            reads=reads,
            writes=cycle["writes"],
            kube_writes=cycle["kube_writes"],
            listings=listings,
            scopes=routes,
        )
    )
    for check in checks:
        print(check.line())
    return all(check.ok for check in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.bench.memory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--pods-per-service", type=int, default=10)
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument(
        "--attached", action="store_true", help="attach the routes to the controller's Gateway"
    )
    parser.add_argument(
        "--resync", action="store_true", help="with --attached: count one idle periodic resync cycle"
    )
    parser.add_argument(
        "--ungated", action="store_true", help="Pods without the readiness gate (default: every Pod has it)"
    )
    parser.add_argument("--probe", metavar="KUBECONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(asyncio.run(_probe(args.probe))))
        return 0

    from e2e.bench.budget import verdict
    from e2e.bench.stack import GATEWAY, GATEWAY_API, NAMESPACE, BenchStack, print_table, wait_for

    resync = args.resync and args.attached
    cycle: dict[str, Any] = {}

    try:
        stack = BenchStack.start("memory")
    except Exception as exc:
        print(f"could not start the benchmark stack: {exc}", file=sys.stderr)
        return 2
    try:
        controller = stack.start_controller(RECONCILE_DEFAULT_RESYNC_SECONDS="60" if resync else "0")
        stack.wait_gateway_programmed()
        stack.wait_quiet(quiet_seconds=2.0)
        time.sleep(2)
        empty = proc_status(controller.process.pid)
        if args.attached:
            parent = {"name": GATEWAY, "namespace": NAMESPACE, "sectionName": "http"}
            # The routes live in other namespaces: the listener must allow them, or none is accepted.
            listener = {
                "name": "http",
                "protocol": "HTTP",
                "port": 80,
                "allowedRoutes": {"namespaces": {"from": "All"}},
            }
            stack.rest.request(
                "PATCH",
                f"{GATEWAY_API}/namespaces/{NAMESPACE}/gateways/{GATEWAY}",
                {"spec": {"listeners": [listener]}},
                content_type="application/merge-patch+json",
            )
        else:
            foreign = {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "Gateway",
                "metadata": {"name": "foreign", "namespace": NAMESPACE},
                "spec": {
                    "gatewayClassName": "someone-else",
                    "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
                },
            }
            stack.rest.create(f"{GATEWAY_API}/namespaces/{NAMESPACE}/gateways", foreign)
            parent = {"name": "foreign", "namespace": NAMESPACE}
        seconds = create_objects(
            stack, args.routes, args.namespaces, args.pods_per_service, parent, gated=not args.ungated
        )
        print(f"created {args.routes} routes + services + slices + pods in {seconds:.1f} s")
        wait_for(
            "controller handled every route",
            lambda: stack.metric("workqueue_adds_total", name="httproute") >= args.routes,
            600 if args.attached else 120,
            stack,
        )
        stack.wait_quiet(quiet_seconds=5.0, timeout=1200)
        time.sleep(3)
        loaded_quiet, loaded, loaded_wait = settled_status(stack, controller.process.pid)
        route_reconciles = stack.metric("controller_runtime_reconcile_total", controller="httproute")
        if resync:
            cycle = idle_resync_cycle(stack, args.routes)
        # A restart lists everything at once (pages of 500) instead of receiving watch events one by one.
        restarted = stack.start_controller()
        wait_for(
            "restarted controller handled every route",
            lambda: stack.metric("controller_runtime_reconcile_total", controller="httproute") >= args.routes,
            600 if args.attached else 120,
            stack,
        )
        stack.wait_quiet(quiet_seconds=5.0, timeout=1200)
        time.sleep(3)
        relisted_quiet, relisted, relisted_wait = settled_status(stack, restarted.process.pid)
        probe = run_probe(stack.plane.kubeconfig)
    except Exception as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        stack.close()

    routes = probe["counts"].get("HTTPRoute.gateway.networking.k8s.io", 0)
    endpoints = probe["endpoints"]
    cache_bytes = probe["after"]["VmRSS"] - probe["before"]["VmRSS"]
    objects = sum(probe["counts"].values())
    print(
        f"\ncached objects: {json.dumps(probe['counts'])}; endpoints {endpoints}; "
        f"first sync {probe['sync_s']:.1f} s"
    )
    print_table(
        ["process", "VmRSS before MiB", "VmRSS after MiB", "delta MiB", "VmHWM MiB"],
        [
            [
                "Cache alone (fresh interpreter, after imports)",
                f"{probe['before']['VmRSS'] / MIB:.1f}",
                f"{probe['after']['VmRSS'] / MIB:.1f}",
                f"{cache_bytes / MIB:.1f}",
                f"{probe['after']['VmHWM'] / MIB:.1f}",
            ],
            [
                f"controller process ({'attached' if args.attached else 'foreign parent'}, "
                f"{route_reconciles:.0f} route reconciles)",
                f"{empty['VmRSS'] / MIB:.1f}",
                f"{loaded['VmRSS'] / MIB:.1f}",
                f"{(loaded['VmRSS'] - empty['VmRSS']) / MIB:.1f}",
                f"{loaded['VmHWM'] / MIB:.1f}",
            ],
            [
                "controller restarted with the objects in place",
                "-",
                f"{relisted['VmRSS'] / MIB:.1f}",
                "-",
                f"{relisted['VmHWM'] / MIB:.1f}",
            ],
        ],
    )
    for what, quiet, settled, waited in (
        ("handled", loaded_quiet, loaded, loaded_wait),
        ("restarted", relisted_quiet, relisted, relisted_wait),
    ):
        release = "no release came" if waited is None else f"its heap release {waited:.0f} s later"
        print(
            f"controller {what}: VmRSS {quiet['VmRSS'] / MIB:.1f} MiB when its calls stopped, "
            f"{settled['VmRSS'] / MIB:.1f} MiB after {release}"
        )
    per_route_set = cache_bytes / max(routes, 1)
    print(
        f"per route (route + Service + slice of {args.pods_per_service} endpoints): "
        f"{per_route_set / 1024:.1f} KiB; "
        f"per cached object {cache_bytes / max(objects, 1) / 1024:.1f} KiB; "
        f"per endpoint (upper bound) {cache_bytes / max(endpoints, 1):.0f} B"
    )
    ok = True
    if cycle:
        ok &= report_cycle(cycle, args.routes)
    pods_cached = probe["counts"].get("Pod", 0)
    ok &= verdict(
        f"{routes} routes, {endpoints} endpoints, {pods_cached} Pods cached: controller RSS <= 128 MiB",
        max(loaded["VmRSS"], relisted["VmRSS"]) <= 128 * MIB,
        f"controller VmRSS {loaded['VmRSS'] / MIB:.1f} MiB, {relisted['VmRSS'] / MIB:.1f} MiB restarted "
        f"(peak {relisted['VmHWM'] / MIB:.1f}); "
        f"cache alone adds {cache_bytes / MIB:.1f} MiB",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
