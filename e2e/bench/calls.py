"""AWS calls and Kubernetes writes per scenario, against README "Benchmarks": `python -m e2e.bench.calls`.

AWS calls are the fake's counters (every call as it arrives, split into reads — List*/Get* — and
writes). Kubernetes writes are the controller's create/update/patch/delete requests in the apiserver
audit log; the controller runs as a ServiceAccount bound to manifests/rbac.yaml's ClusterRole, so any
403 in that log is a permission the manifest lacks. Scenarios, in order, on one controller with
RECONCILE_DEFAULT_RESYNC_SECONDS=60 (and LOG_LEVEL=debug, to attribute calls to reconciles):

1. cold create: one HTTPRoute (1 rule, 1 Service backend with 2 endpoints) on the existing network;
2. weight change: a route with two weighted backends, 50/50 → 80/20;
3. rule change, R=5: change the path match of one rule of a 5-rule route; then add a 6th rule;
4. resync: with 10 routes in place and nothing changed, wait for the next two periodic resync cycles
   (every route and the gateway reconciled once) and count what it costs (the no-op budget);
5. restart (skip with `--no-restart`): restart the controller and count the full re-reconcile.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e.bench.budget import verdict
from e2e.bench.stack import (
    GATEWAY_API,
    NAMESPACE,
    AwsCalls,
    BenchStack,
    endpoint_slice_body,
    http_route_body,
    pod_ip,
    print_table,
    route_rule,
    service_body,
    wait_for,
)
from e2e.controlplane.audit import forbidden, kube_writes
from e2e.fakeaws.client import counter_delta

ROUTES = f"{GATEWAY_API}/namespaces/{NAMESPACE}/httproutes"
ACCOUNT_WIDE_LISTS = (
    "vpc-lattice:ListServices",
    "vpc-lattice:ListServiceNetworks",
    "vpc-lattice:ListTargetGroups",
    "tag:GetResources",
)


@dataclass(frozen=True, slots=True)
class Measured:
    scenario: str
    aws: AwsCalls
    kube: dict[str, int]
    seconds: float
    reconciles: str  # "routes+gateway" reconciles the scenario caused (controller metrics)
    per_reconcile: list[str]  # "httproute bench/r: CreateService, ..." from the controller's debug log
    cpu_seconds: float | None = None  # process_cpu_seconds_total of the controller (None across a restart)
    listings: dict[str, int] | None = None  # operation → listings started (first pages)

    @property
    def cpu_ms_per_reconcile(self) -> str:
        count = sum(float(n) for n in self.reconciles.split("+"))
        if self.cpu_seconds is None or count == 0:
            return "-"
        return f"{1000 * self.cpu_seconds / count:.1f}"

    @property
    def kube_total(self) -> int:
        return sum(self.kube.values())


def _aws_calls(log_path: Path, offset: int) -> list[dict[str, Any]]:
    """The controller's "aws call" debug events since ``offset``."""
    with log_path.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("event") == "aws call":
            events.append(event)
    return events


PAGE_TOKENS = ("nextToken", "PaginationToken")


def listings_started(log_path: Path, offset: int) -> dict[str, int]:
    """Paginated listings per operation since ``offset``: calls without a page token (a listing of
    250 resources is one listing of 3 pages)."""
    out: dict[str, int] = {}
    for event in _aws_calls(log_path, offset):
        params = event.get("params") or {}
        if isinstance(params, dict) and any(params.get(t) for t in PAGE_TOKENS):
            continue
        key = str(event.get("operation"))
        out[key] = out.get(key, 0) + 1
    return out


def calls_per_reconcile(log_path: Path, offset: int) -> list[str]:
    """AWS operations per reconcile, in order, from the controller's JSON debug log since `offset`."""
    order: list[str] = []
    calls: dict[str, list[str]] = {}
    for event in _aws_calls(log_path, offset):
        ident = (
            f"{event.get('controller', 'startup')} {event.get('key', '')} #{event.get('reconcile_id', '-')}"
        )
        if ident not in calls:
            order.append(ident)
            calls[ident] = []
        calls[ident].append(str(event.get("operation")))
    return [f"{ident}: {', '.join(calls[ident])}" for ident in order]


class Scenarios:
    def __init__(self, stack: BenchStack) -> None:
        self.stack = stack
        self.results: list[Measured] = []
        self.denied: list[str] = []

    # --- measuring --------------------------------------------------------------------------------

    def measure(self, name: str, change: Any, settled: Any, timeout: float = 120.0) -> Measured:
        stack = self.stack
        stack.wait_quiet(quiet_seconds=2.0)
        before = stack.admin.counters()
        process_before = stack.controller
        routes_before, gateway_before = self.reconciles()
        cpu_before = stack.metric("process_cpu_seconds_total")
        stack.audit.mark()
        log_path = stack.controller.log_path if stack.controller else None
        log_offset = log_path.stat().st_size if log_path else 0
        began = time.monotonic()
        change()
        wait_for(name, settled, timeout, stack)
        stack.wait_quiet(quiet_seconds=3.0)
        seconds = time.monotonic() - began
        entries = stack.audit.since_mark(stack.controller_user)
        self.denied += [f"{e.verb} {e.resource}" for e in forbidden(entries)]
        cpu: float | None = stack.metric("process_cpu_seconds_total") - cpu_before
        if stack.controller is not process_before:
            routes_before = gateway_before = 0.0
            cpu = None
        routes_after, gateway_after = self.reconciles()
        done = f"{routes_after - routes_before:.0f}+{gateway_after - gateway_before:.0f}"
        aws = AwsCalls(counter_delta(before, stack.admin.counters()))
        if stack.controller is not process_before or log_path is None:
            log_path, log_offset = (stack.controller.log_path if stack.controller else None), 0
        attributed = calls_per_reconcile(log_path, log_offset) if log_path else []
        listings = listings_started(log_path, log_offset) if log_path else None
        result = Measured(name, aws, kube_writes(entries), seconds, done, attributed, cpu, listings)
        self.results.append(result)
        return result

    def reconciles(self) -> tuple[float, float]:
        metric = self.stack.metric
        name = "controller_runtime_reconcile_total"
        return metric(name, controller="httproute"), metric(name, controller="gateway")

    def route_settled(self, name: str) -> bool:
        route = self.stack.rest.get(f"{ROUTES}/{name}")
        generation = route["metadata"].get("generation")
        parents = route.get("status", {}).get("parents", [])
        observed = all(
            c.get("observedGeneration") == generation for p in parents for c in p.get("conditions", [])
        )
        return bool(parents) and observed and self.stack.route_arn(name) is not None

    def create_route(self, name: str, rules: list[dict[str, Any]]) -> None:
        self.stack.rest.create(ROUTES, http_route_body(name, rules))

    def patch_rules(self, name: str, rules: list[dict[str, Any]]) -> None:
        self.stack.rest.request(
            "PATCH",
            f"{ROUTES}/{name}",
            {"spec": {"rules": rules}},
            content_type="application/merge-patch+json",
        )

    # --- scenarios ---------------------------------------------------------------------------------

    def run(self, restart: bool) -> None:
        s = self.stack
        for i in range(12):
            s.rest.create(f"/api/v1/namespaces/{NAMESPACE}/services", service_body(f"svc-{i}"))
            s.rest.create(
                f"{'/apis/discovery.k8s.io/v1'}/namespaces/{NAMESPACE}/endpointslices",
                endpoint_slice_body(f"svc-{i}", [pod_ip(2 * i), pod_ip(2 * i + 1)]),
            )
        s.start_controller(RECONCILE_DEFAULT_RESYNC_SECONDS="60", LOG_LEVEL="debug")
        s.wait_gateway_programmed()

        one = [route_rule(0, [("svc-0", 1)])]
        self.measure(
            "cold create (1 rule, 1 backend)",
            lambda: self.create_route("r-cold", one),
            lambda: self.route_settled("r-cold"),
        )

        weighted = [route_rule(0, [("svc-1", 50), ("svc-2", 50)])]
        self.create_route("r-weight", weighted)
        wait_for("r-weight", lambda: self.route_settled("r-weight"), 90, s)
        changed = [route_rule(0, [("svc-1", 80), ("svc-2", 20)])]
        self.measure(
            "weight change 50/50 -> 80/20",
            lambda: self.patch_rules("r-weight", changed),
            lambda: self.route_settled("r-weight"),
        )

        five = [route_rule(i, [(f"svc-{3 + i}", 1)]) for i in range(5)]
        self.create_route("r-rules", five)
        wait_for("r-rules", lambda: self.route_settled("r-rules"), 90, s)
        modified = [dict(r) for r in five]
        modified[2] = route_rule(22, [("svc-5", 1)])
        self.measure(
            "rule change, R=5 (one path match)",
            lambda: self.patch_rules("r-rules", modified),
            lambda: self.route_settled("r-rules"),
        )
        added = [*modified, route_rule(5, [("svc-8", 1)])]
        self.measure(
            "rule added, R=5 -> 6",
            lambda: self.patch_rules("r-rules", added),
            lambda: self.route_settled("r-rules"),
        )

        for i in range(7):
            self.create_route(f"r-{i}", [route_rule(0, [(f"svc-{9 + i % 3}", 1)])])
        wait_for("10 routes", lambda: all(self.route_settled(f"r-{i}") for i in range(7)), 120, s)
        routes = 10
        for cycle in ("first", "second"):
            reconciles = s.metric("controller_runtime_reconcile_total", controller="httproute")
            gateway = s.metric("controller_runtime_reconcile_total", controller="gateway")
            self.measure(
                f"resync cycle ({cycle}), {routes} routes, nothing changed",
                lambda: None,
                lambda r=reconciles, g=gateway: (
                    s.metric("controller_runtime_reconcile_total", controller="httproute") >= r + routes
                    and s.metric("controller_runtime_reconcile_total", controller="gateway") >= g + 1
                ),
                timeout=100.0,
            )
        if restart:
            self.measure(
                f"controller restart, {routes} routes, nothing changed",
                lambda: s.start_controller(RECONCILE_DEFAULT_RESYNC_SECONDS="60", LOG_LEVEL="debug"),
                lambda: s.metric("controller_runtime_reconcile_total", controller="httproute") >= routes,
                timeout=120.0,
            )


def report(results: list[Measured], denied: list[str]) -> int:
    rows = [
        [
            m.scenario,
            m.aws.total,
            m.aws.reads,
            m.aws.writes,
            m.kube_total,
            m.reconciles,
            f"{m.seconds:.1f}",
            "-" if m.cpu_seconds is None else f"{m.cpu_seconds:.2f}",
            m.cpu_ms_per_reconcile,
        ]
        for m in results
    ]
    print_table(
        [
            "scenario",
            "AWS calls",
            "reads",
            "writes",
            "k8s writes",
            "reconciles route+gw",
            "s",
            "CPU s",
            "CPU ms/reconcile",
        ],
        rows,
    )
    print(
        "CPU: the controller's process_cpu_seconds_total over the scenario (idle time and logging included)"
    )
    print()
    for m in results:
        print(f"{m.scenario}:\n  AWS  {m.aws.describe()}")
        print(f"  k8s  {', '.join(f'{k}x{n}' for k, n in sorted(m.kube.items())) or '-'}")
        if len(m.per_reconcile) <= 6:
            for line in m.per_reconcile:
                print(f"  per reconcile  {line}")
    print()
    by = {m.scenario.split(" ")[0] + " " + m.scenario.split(" ")[1]: m for m in results}
    ok = True
    cold = by.get("cold create")
    if cold:
        ok &= verdict(
            "create one HTTPRoute: <= 8 AWS calls, <= 6 writes",
            cold.aws.total <= 8 and cold.aws.writes <= 6,
            f"{cold.aws.total} calls, {cold.aws.writes} writes",
        )
    weight = by.get("weight change")
    if weight:
        updates = weight.aws.per_operation.get("vpc-lattice:UpdateRule", 0)
        ok &= verdict(
            "weight change: exactly one UpdateRule (and no other write)",
            updates == 1 and weight.aws.writes == 1,
            f"UpdateRulex{updates}, {weight.aws.writes} writes, {weight.aws.total} calls",
        )
    for key in ("rule change,", "rule added,"):
        rule = by.get(key)
        if rule:
            ok &= verdict(
                f"{rule.scenario}: <= R + 2 = 7 calls",
                rule.aws.total <= 7,
                f"{rule.aws.total} calls ({rule.aws.writes} writes)",
            )
    for resync in [m for m in results if m.scenario.startswith("resync cycle")]:
        ok &= verdict(
            f"no-op {resync.scenario.split(',')[0]}: 0 AWS writes, 0 Kubernetes writes",
            resync.aws.writes == 0 and resync.kube_total == 0,
            f"{resync.aws.writes} AWS writes, {resync.kube_total} k8s writes",
        )
        started = resync.listings or {}
        lists = {k: started.get(k.split(":")[1], 0) for k in ACCOUNT_WIDE_LISTS}
        pages = {k: resync.aws.per_operation.get(k, 0) for k in ACCOUNT_WIDE_LISTS}
        ok &= verdict(
            f"no-op {resync.scenario.split(',')[0]}: <= 1 paginated listing per account-wide type",
            resync.listings is not None and all(n <= 1 for n in lists.values()),
            ", ".join(f"{k.split(':')[1]}x{n} ({pages[k]} pages)" for k, n in lists.items()),
        )
        scoped = resync.aws.reads - sum(lists.values())
        print(f"INFO  {resync.scenario.split(',')[0]}: {scoped} other reads = {scoped / 10:.1f} per route")
    restart = by.get("controller restart,")
    if restart:
        ok &= verdict(
            "restart, nothing changed: 0 AWS writes, 0 Kubernetes writes",
            restart.aws.writes == 0 and restart.kube_total == 0,
            f"{restart.aws.writes} AWS writes, {restart.kube_total} k8s writes, {restart.aws.reads} reads",
        )
    ok &= verdict(
        "least privilege (manifests/rbac.yaml): no 403 in the audit log",
        not denied,
        ", ".join(sorted(set(denied))) or "none",
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.bench.calls", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--no-restart", action="store_true", help="skip the controller-restart scenario")
    args = parser.parse_args(argv)
    try:
        stack = BenchStack.start("calls")
    except Exception as exc:
        print(f"could not start the benchmark stack: {exc}", file=sys.stderr)
        return 2
    scenarios = Scenarios(stack)
    try:
        scenarios.run(restart=not args.no_restart)
    except Exception as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        if scenarios.results:
            report(scenarios.results, scenarios.denied)
        return 2
    finally:
        stack.close()
    return report(scenarios.results, scenarios.denied)


if __name__ == "__main__":
    sys.exit(main())
