"""Switching from the Go controller: its state is adopted with zero writes, stays what the Go controller
expects (so rolling back is safe), a weight change is one UpdateRule on its rule, and deleting the routes
removes everything it had made and releases its finalizers.

The Go-created state is written by `e2e.migration.go_state` (no Go controller runs). The controller runs
as a ServiceAccount bound to `manifests/rbac.yaml`, so the apiserver audit log shows each Kubernetes write
it makes; the fake's per-operation counters show each AWS call. The Kubernetes writes a switch may cost are
documented in docs/migration.md and listed in `ALLOWED_KUBE_WRITES`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from e2e.controlplane.audit import AuditEntry, AuditLog
from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import (
    CLUSTER_NAME,
    CLUSTER_VPC_ID,
    MANAGED_BY,
    REPO_ROOT,
    ControllerProcess,
    controller_env,
)
from e2e.harness.lattice_view import lattice_client
from e2e.migration.go_state import (
    AN,
    BACKENDS,
    GATEWAY_API,
    GATEWAY_CLASS,
    NETWORK,
    ROUTES,
    GoState,
    backend_manifests,
    lattice_fingerprint,
    route_manifest,
    write_go_state,
)
from e2e.scenarios.support import (
    counter_delta,
    eventually,
    kube,
    kubectl_json,
    short_id,
    to_yaml,
    wait_value,
    writes,
)

IDENTITY = "lattice-controller-migration"
RESYNC_SECONDS = 60
# What the switch may write to Kubernetes, per (verb, resource, object), once each: the Gateway's status —
# the Go controller took its address from the first route in its cache order, we take the first by
# (kind, namespace, name) — and the GatewayClass's, which the Go controller leaves without
# `supportedFeatures`. Nothing else.
ALLOWED_KUBE_WRITES = {
    ("patch", "gateways/status", NETWORK): 1,
    ("patch", "gatewayclasses/status", GATEWAY_CLASS): 1,
}


@pytest.fixture
def plane(workloads: ControlPlane) -> ControlPlane:
    kube(workloads, "apply", "-f", str(REPO_ROOT / "manifests/gatewayclass.yaml"))
    return workloads


def _wait_endpoints(plane: ControlPlane, ns: str) -> dict[str, list[str]]:
    """Pod IPs per backend as its EndpointSlices list them (two each)."""

    def read() -> dict[str, list[str]]:
        slices = kubectl_json(plane, "get", "endpointslices", "-n", ns)["items"]
        out: dict[str, list[str]] = {name: [] for name in BACKENDS}
        for item in slices:
            service = item["metadata"].get("labels", {}).get("kubernetes.io/service-name")
            if service in out:
                out[service] += [a for e in item.get("endpoints") or [] for a in e.get("addresses", [])]
        return out

    return wait_value(read, lambda found: all(len(ips) == 2 for ips in found.values()), what="endpoints")


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _settled(controller: ControllerProcess, routes_reconciled: int) -> bool:
    """At least `routes_reconciled` HTTPRoute reconciles done and nothing queued or running."""
    text = controller.metrics()
    return (
        _metric(text, "controller_runtime_reconcile_total", controller="httproute") >= routes_reconciled
        and _metric(text, "workqueue_depth") == 0
        and _metric(text, "controller_runtime_active_workers") == 0
    )


def _kube_writes(entries: list[AuditEntry], ns: str) -> dict[tuple[str, str, str], int]:
    counts: dict[tuple[str, str, str], int] = {}
    for e in entries:
        if e.is_write and e.namespace in (ns, ""):
            name = e.name.split(".", 1)[0] if e.resource == "events" else e.name  # <object>.<suffix>
            key = (e.verb, e.resource, name)
            counts[key] = counts.get(key, 0) + 1
    return counts


def _route_metadata(plane: ControlPlane, ns: str) -> dict[str, Any]:
    out = {}
    for route in ROUTES:
        obj = kubectl_json(plane, "get", "httproute", route.name, "-n", ns)
        out[route.name] = {
            "finalizers": obj["metadata"].get("finalizers"),
            "annotations": {
                k: v for k, v in obj["metadata"].get("annotations", {}).items() if k.startswith(AN)
            },
            "status": obj.get("status"),
        }
    return out


def _start(plane: ControlPlane, aws_env: dict[str, str]) -> ControllerProcess:
    kubeconfig = plane.restricted_kubeconfig(IDENTITY, REPO_ROOT / "manifests/rbac.yaml")
    env = controller_env(
        aws_env,
        DEFAULT_SERVICE_NETWORK=NETWORK,
        RECONCILE_DEFAULT_RESYNC_SECONDS=str(RESYNC_SECONDS),
    )
    return ControllerProcess.start(kubeconfig, env)


def test_go_state_is_adopted_without_writes_and_cleaned_up(
    plane: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]
) -> None:
    ns = f"mig-{short_id()}"
    kube(plane, "create", "namespace", ns)
    controller: ControllerProcess | None = None
    try:
        kube(plane, "apply", "-f", "-", input=to_yaml(backend_manifests(ns)))
        targets = _wait_endpoints(plane, ns)
        client = lattice_client(fake_aws.endpoint)
        state = write_go_state(
            plane,
            client,
            ns,
            managed_by=MANAGED_BY,
            cluster=CLUSTER_NAME,
            vpc=CLUSTER_VPC_ID,
            targets=targets,
        )
        go_lattice = lattice_fingerprint(client)
        go_routes = _route_metadata(plane, ns)
        go_gateway_status = kubectl_json(plane, "get", "gateway", NETWORK, "-n", ns)["status"]
        _check_fixture(state, go_lattice)

        audit = AuditLog.of_plane_dir(plane.dir)
        audit.mark()
        fake_aws.admin.reset_counters()
        controller = _start(plane, aws_env)
        user = f"system:serviceaccount:lc-identities:{IDENTITY}"

        # Start-up and one periodic resync of every route: nothing to write.
        eventually(lambda: _settled(controller, len(ROUTES)), what="first reconcile of every route")
        eventually(
            lambda: _settled(controller, 2 * len(ROUTES)),
            timeout=RESYNC_SECONDS * 1.2 + 60,
            what="a periodic resync of every route",
        )
        assert writes(fake_aws.admin.counters()) == {}, fake_aws.admin.counters()
        assert lattice_fingerprint(client) == go_lattice  # to the last tag: rolling back finds its own state
        assert _route_metadata(plane, ns) == go_routes  # finalizers, annotations and status untouched
        kube_writes = _kube_writes(audit.since_mark(user), ns)
        assert kube_writes == ALLOWED_KUBE_WRITES, kube_writes
        gateway = kubectl_json(plane, "get", "gateway", NETWORK, "-n", ns)
        address = {"type": "Hostname", "value": state.services["checkout"]["dnsEntry"]["domainName"]}
        assert gateway["status"] == {**go_gateway_status, "addresses": [address]}  # the address, nothing else
        assert gateway["metadata"]["finalizers"] == ["gateway.k8s.aws/resources"]

        # 75/25 → 50/50: one UpdateRule, on the rule the Go controller named.
        before = fake_aws.admin.counters()
        audit.mark()
        checkout = next(r for r in ROUTES if r.name == "checkout")
        rules = route_manifest(checkout, ns, {"checkout-v1": 50, "checkout-v2": 50})["spec"]["rules"]
        plane.rest().request(
            "PATCH",
            f"{GATEWAY_API}/namespaces/{ns}/httproutes/checkout",
            {"spec": {"rules": rules}},
            content_type="application/merge-patch+json",
        )
        go_rule = state.rules[("checkout", 0)]
        service_id = state.services["checkout"]["id"]

        def weights() -> list[int]:
            listener = client.list_listeners(serviceIdentifier=service_id)["items"][0]
            rule = client.get_rule(
                serviceIdentifier=service_id, listenerIdentifier=listener["id"], ruleIdentifier=go_rule["id"]
            )
            return [t["weight"] for t in rule["action"]["forward"]["targetGroups"]]

        wait_value(weights, lambda w: w == [50, 50], what="50/50 on the Go-named rule")
        eventually(lambda: _settled(controller, 2 * len(ROUTES) + 1), what="weight change reconciled")
        assert writes(counter_delta(before, fake_aws.admin.counters())) == {"vpc-lattice:UpdateRule": 1}
        after_change = lattice_fingerprint(client)
        listener = after_change["services"][f"checkout-{ns}"]["listeners"][f"checkout-{ns}-80-http"]
        assert listener["rules"][go_rule["name"]]["id"] == go_rule["id"]  # same rule, same name
        # A spec change is a new generation: the route's status (observedGeneration) and one event.
        assert _kube_writes(audit.since_mark(user), ns) == {
            ("patch", "httproutes/status", "checkout"): 1,
            ("create", "events", "checkout"): 1,
        }

        # Delete: everything the Go controller made for the routes goes, then its finalizers.
        kube(plane, "delete", "httproute", "--all", "-n", ns, "--wait=false")
        eventually(
            lambda: not kubectl_json(plane, "get", "httproute", "-n", ns)["items"],
            what="routes deleted (finalizers released)",
        )
        left = lattice_fingerprint(client)
        assert left["services"] == {}, left["services"]
        assert left["target_groups"] == {}, left["target_groups"]
        assert list(left["networks"]) == [NETWORK]  # DEFAULT_SERVICE_NETWORK's, not the routes'

        # And the Gateway's finalizer, once no route refers to it.
        kube(plane, "delete", "gateway", NETWORK, "-n", ns, "--wait=false")
        eventually(
            lambda: not kubectl_json(plane, "get", "gateways", "-n", ns)["items"],
            timeout=60,
            what="Gateway deleted (finalizer released)",
        )
    finally:
        if controller is not None and controller.stop() != 0:
            print(controller.log_tail())
        plane.kubectl("delete", "httproute", "--all", "-n", ns, "--wait=false")
        plane.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found")


def _check_fixture(state: GoState, fingerprint: dict[str, Any]) -> None:
    """The fixture made what the Go controller makes for these three routes."""
    ns = state.namespace
    services = fingerprint["services"]
    assert sorted(services) == sorted(state.service_names())
    assert sum(len(s["associations"]) for s in services.values()) == 3
    listeners = [lst for s in services.values() for lst in s["listeners"].values()]
    assert (
        sorted(lst["tags"]["application-networking.k8s.aws/ManagedBy"] for lst in listeners)
        == [MANAGED_BY] * 3
    )
    rules = [name for lst in listeners for name in lst["rules"]]
    assert len(rules) == 7
    assert sum(bool(re.fullmatch(r"k8s-\d{10}-rule-[12]", name)) for name in rules) == 4
    tgs = fingerprint["target_groups"]
    assert len(tgs) == 5
    assert sum(len(tg["targets"]) for tg in tgs.values()) == 10
    assert all(re.fullmatch(rf"k8s-{ns}-[a-z0-9-]+-[a-z]{{10}}", name) for name in tgs)
    assert all(len(tg["tags"]) == 8 for tg in tgs.values())
