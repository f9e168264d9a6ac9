"""Helpers for the gateway, HTTP-route, rule-priority and bad-input scenarios.

Manifest builders (namespaces, Gateways, Services with or without pods, HTTPRoutes), readers of
Kubernetes status (conditions, events) and of the fake Lattice account (rules, forwards, target
groups per route), AWS write counting, and a controller started after the test has prepared the fake.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess, controller_env, start_controller
from e2e.harness.lattice_view import LatticeView, lattice_client
from e2e.scenarios.helpers import eventually, kubectl_json

AN = "application-networking.k8s.aws"
SERVICE_NAME_TAG = f"{AN}/ServiceName"
SERVICE_NAMESPACE_TAG = f"{AN}/ServiceNamespace"
ROUTE_NAME_TAG = f"{AN}/RouteName"
ROUTE_NAMESPACE_TAG = f"{AN}/RouteNamespace"
SERVICE_ARN_ANNOTATION = f"{AN}/lattice-service-arn"
ASSIGNED_DOMAIN_ANNOTATION = f"{AN}/lattice-assigned-domain-name"
GATEWAY_FINALIZER = "gateway.k8s.aws/resources"
ROUTE_FINALIZER = "httproute.k8s.aws/resources"
DEFAULT_NETWORK = "app-network"

_WRITE_PREFIXES = ("Create", "Update", "Delete", "Register", "Deregister", "Tag", "Untag", "Put", "Batch")


def unique_ns(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


# --- manifests ---------------------------------------------------------------------------------------


GATEWAY_CLASS_YAML = """apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: amazon-vpc-lattice
spec:
  controllerName: application-networking.k8s.aws/gateway-api-controller
---
"""


def namespace_yaml(name: str) -> str:
    """The shared GatewayClass (applying it again changes nothing) and a namespace."""
    return GATEWAY_CLASS_YAML + f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n---\n"


def gateway_yaml(namespace: str, name: str = DEFAULT_NETWORK, listener: str = "http") -> str:
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {name}
  namespace: {namespace}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
    - name: {listener}
      protocol: HTTP
      port: 80
---
"""


def service_yaml(namespace: str, name: str, replicas: int | None = None, port: int = 80) -> str:
    """A Service on `port` (target 8090); with `replicas`, a Deployment behind it (kwok gives IPs),
    otherwise a Service without selector (no endpoints)."""
    selector = f"  selector: {{app: {name}}}\n" if replicas is not None else ""
    text = f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
{selector}  ports:
    - {{name: http, port: {port}, targetPort: 8090}}
---
"""
    if replicas is not None:
        text += f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: public.ecr.aws/nginx/nginx:stable
          ports: [{{containerPort: 8090}}]
---
"""
    return text


def route_yaml(
    namespace: str,
    name: str,
    rules: str,
    gateway: str = DEFAULT_NETWORK,
    annotations: dict[str, str] | None = None,
) -> str:
    """An HTTPRoute; `rules` is the YAML list under `spec.rules`, indented by 4 spaces."""
    meta = ""
    if annotations:
        meta = "  annotations:\n" + "".join(f'    {k}: "{v}"\n' for k, v in annotations.items())
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: {namespace}
{meta}spec:
  parentRefs:
    - name: {gateway}
  rules:
{rules}---
"""


def backend_rule(*services: str, path: str | None = None, port: int = 80) -> str:
    """One rule forwarding to `services` (`name` or `namespace/name`), with an optional PathPrefix."""
    text = ""
    if path is not None:
        text += f"    - matches:\n        - path: {{type: PathPrefix, value: {path}}}\n      backendRefs:\n"
    else:
        text += "    - backendRefs:\n"
    for service in services:
        ns, _, name = service.rpartition("/")
        text += f"        - {{name: {name}, port: {port}{f', namespace: {ns}' if ns else ''}}}\n"
    return text


# --- Kubernetes reads ----------------------------------------------------------------------------------


def get_json(plane: ControlPlane, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    out = plane.kubectl("get", kind, name, "-n", namespace, "-o", "json")
    return json.loads(out.stdout) if out.returncode == 0 else None


def condition(conditions: list[dict[str, Any]] | None, type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions or [] if c.get("type") == type_), None)


def route_condition(route: dict[str, Any] | None, type_: str) -> dict[str, Any] | None:
    """The condition `type_` of the route's first status.parents entry."""
    parents = ((route or {}).get("status") or {}).get("parents") or []
    return condition(parents[0].get("conditions"), type_) if parents else None


def wait_route_condition(
    plane: ControlPlane,
    namespace: str,
    name: str,
    type_: str,
    status: str,
    reason: str | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        found = route_condition(get_json(plane, "httproute", namespace, name), type_)
        if found and found["status"] == status and (reason is None or found["reason"] == reason):
            return found
        return None

    return eventually(probe, timeout=timeout, what=f"httproute {namespace}/{name} {type_}={status}/{reason}")


def gateway_condition(plane: ControlPlane, namespace: str, name: str, type_: str) -> dict[str, Any] | None:
    gateway = get_json(plane, "gateway", namespace, name) or {}
    return condition((gateway.get("status") or {}).get("conditions"), type_)


def event_reasons(plane: ControlPlane, namespace: str, name: str) -> set[str]:
    events = kubectl_json(
        plane, "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}"
    )
    return {e.get("reason", "") for e in events["items"]}


def delete_namespaces(plane: ControlPlane, *namespaces: str, timeout: float = 60.0) -> None:
    """Delete the test's routes and gateways while the controller still runs (waiting, bounded, for
    their finalizers) so no leftover reaches the next test's controller; then the namespaces."""
    for namespace in namespaces:
        plane.kubectl(
            "delete",
            "httproute,gateway",
            "--all",
            "-n",
            namespace,
            f"--timeout={timeout:.0f}s",
            timeout=timeout + 10,
        )
    plane.kubectl("delete", "namespace", *namespaces, "--wait=false", "--ignore-not-found")


# --- Lattice reads --------------------------------------------------------------------------------------


def lattice(fake: FakeAws) -> LatticeView:
    return LatticeView.read(fake.endpoint)


def rules_of(view: LatticeView, service_name: str) -> list[dict[str, Any]] | None:
    """Non-default rules of the service's first listener, by priority; None without service/listener."""
    service = view.service(service_name)
    if not service or not service["listeners"]:
        return None
    rules = [r for r in service["listeners"][0]["rules"] if not r.get("isDefault")]
    return sorted(rules, key=lambda r: r.get("priority", 0))


def tg_of(view: LatticeView, identifier: str) -> dict[str, Any] | None:
    return view.target_group_by_id(identifier.rsplit("/", 1)[-1])


def forwards(view: LatticeView, rule: dict[str, Any]) -> dict[str, int]:
    """`{"<namespace>/<service>": weight}` of a rule's forward action ("?" for an unknown TG)."""
    out: dict[str, int] = {}
    for ref in rule.get("action", {}).get("forward", {}).get("targetGroups", []):
        tg = tg_of(view, ref["targetGroupIdentifier"])
        key = f"{tg['tags'].get(SERVICE_NAMESPACE_TAG)}/{tg['tags'].get(SERVICE_NAME_TAG)}" if tg else "?"
        out[key] = ref["weight"]
    return out


def route_target_groups(view: LatticeView, namespace: str, route: str) -> dict[str, dict[str, Any]]:
    """`{"<namespace>/<service>": target group}` of the TGs tagged with this route."""
    return {
        f"{tg['tags'].get(SERVICE_NAMESPACE_TAG)}/{tg['tags'].get(SERVICE_NAME_TAG)}": tg
        for tg in view.target_groups
        if tg["tags"].get(ROUTE_NAME_TAG) == route and tg["tags"].get(ROUTE_NAMESPACE_TAG) == namespace
    }


def live_targets(tg: dict[str, Any]) -> set[str]:
    return {f"{t['id']}:{t['port']}" for t in tg["targets"] if t.get("status") != "DRAINING"}


def service_fingerprint(view: LatticeView, service_name: str) -> dict[str, Any]:
    """What a route's Lattice state is made of, ids included: equal before/after ⇒ undisturbed."""
    service = view.service(service_name) or {}
    tg_ids = {
        tg["targetGroupIdentifier"].rsplit("/", 1)[-1]
        for listener in service.get("listeners", [])
        for rule in listener["rules"]
        for tg in rule.get("action", {}).get("forward", {}).get("targetGroups", [])
    }
    return {
        "service": (service.get("id"), service.get("tags")),
        "associations": sorted(a["id"] for a in service.get("associations", [])),
        "listeners": [
            (
                lst["id"],
                sorted(
                    (
                        r["id"],
                        r.get("priority"),
                        json.dumps(r.get("match"), sort_keys=True),
                        json.dumps(r["action"], sort_keys=True),
                    )
                    for r in lst["rules"]
                ),
            )
            for lst in service.get("listeners", [])
        ],
        "target_groups": sorted(
            (tg_id, sorted(live_targets(view.target_group_by_id(tg_id) or {"targets": []})))
            for tg_id in tg_ids
        ),
    }


def create_service_network(fake: FakeAws, name: str) -> dict[str, Any]:
    """A service network made out of band (as an administrator would), in the controller's account."""
    client = lattice_client(fake.endpoint, fake.region)
    return dict(client.create_service_network(name=name))


# --- AWS call accounting ----------------------------------------------------------------------------------


def writes(counters: dict[str, int]) -> dict[str, int]:
    """The AWS write operations among `counters` (Lattice and tagging API)."""
    return {key: n for key, n in counters.items() if n and key.partition(":")[2].startswith(_WRITE_PREFIXES)}


def wait_quiet(fake: FakeAws, quiet_seconds: float = 2.0, timeout: float = 60.0) -> None:
    """Wait until no AWS call arrives for `quiet_seconds` (the controller has converged)."""
    deadline = time.monotonic() + timeout
    last = fake.admin.counters()
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = fake.admin.counters()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return
    raise AssertionError(f"AWS calls did not settle within {timeout:.0f} s: {last}")


# --- controller -------------------------------------------------------------------------------------------


@contextmanager
def running_controller(
    workloads: ControlPlane, aws_env: dict[str, str], **overrides: str
) -> Iterator[ControllerProcess]:
    """A controller started now (after the test prepared the fake account), stopped on exit."""
    env = controller_env(
        aws_env,
        **{"DEFAULT_SERVICE_NETWORK": DEFAULT_NETWORK, "RECONCILE_DEFAULT_RESYNC_SECONDS": "60", **overrides},
    )
    process = start_controller(workloads.kubeconfig, env)
    try:
        yield process
    finally:
        if process.stop() != 0:
            print(process.log_tail())


CONFLICT_MESSAGE = (
    "Found multiple VPC Lattice Service Networks matching Gateway name. Either ensure only one Service "
    "Network has a matching name, or use the Service Network's id as the Gateway name."
)
