"""Support for the scenario tests, in one module: manifest builders (as YAML text or as dicts applied
with kubectl, as a user would), waiting, readers of Kubernetes status and events, readers of the fake
Lattice account, AWS write counting, and the controllers a test runs.

Every controller is started through ``e2e.harness.controller.start_controller`` — as the ServiceAccount
bound to ``manifests/rbac.yaml`` — and checked when it stops: a request its role refused (403) fails the
test. A check that nothing happened waits for the controller to be quiet by its own reconcile counters
(``ControllerProcess.wait_quiet``), never for a fixed time. AWS calls are told apart as reads and writes
by the controller's own classification (``lattice_controller.aws.metrics.is_read_operation``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
import yaml

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.client import counter_delta as counter_delta
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import MANAGED_BY as MANAGED_BY
from e2e.harness.controller import REPO_ROOT, ControllerProcess, controller_env, start_controller
from e2e.harness.lattice_view import MANAGED_BY_KEY as MANAGED_BY_KEY
from e2e.harness.lattice_view import LatticeView, lattice_client
from lattice_controller.aws.metrics import is_read_operation

if TYPE_CHECKING:
    from e2e.kind.incluster import InClusterController

T = TypeVar("T")


# --- waiting and kubectl ----------------------------------------------------------------------------


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


# --- YAML manifests, Kubernetes and Lattice readers --------------------------------------------------


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


def unique_ns(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


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
    kind: str = "HTTPRoute",
    hostnames: tuple[str, ...] = (),
    version: str = "v1",
    section: str | None = None,
) -> str:
    """A route (HTTPRoute unless `kind` says otherwise); `rules` is the YAML list under `spec.rules`,
    indented by 4 spaces."""
    meta = ""
    if annotations:
        meta = "  annotations:\n" + "".join(f'    {k}: "{v}"\n' for k, v in annotations.items())
    hosts = f"  hostnames: [{', '.join(hostnames)}]\n" if hostnames else ""
    section_line = f"\n      sectionName: {section}" if section else ""
    return f"""apiVersion: gateway.networking.k8s.io/{version}
kind: {kind}
metadata:
  name: {name}
  namespace: {namespace}
{meta}spec:
{hosts}  parentRefs:
    - name: {gateway}{section_line}
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
    kind: str = "httproute",
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        found = route_condition(get_json(plane, kind, namespace, name), type_)
        if found and found["status"] == status and (reason is None or found["reason"] == reason):
            return found
        return None

    return eventually(probe, timeout=timeout, what=f"{kind} {namespace}/{name} {type_}={status}/{reason}")


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
            "httproute,grpcroute,tlsroute,gateway",
            "--all",
            "-n",
            namespace,
            f"--timeout={timeout:.0f}s",
            timeout=timeout + 10,
        )
    plane.kubectl("delete", "namespace", *namespaces, "--wait=false", "--ignore-not-found")


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


CONFLICT_MESSAGE = (
    "Found multiple VPC Lattice Service Networks matching Gateway name. Either ensure only one Service "
    "Network has a matching name, or use the Service Network's id as the Gateway name."
)


def writes(counters: dict[str, int]) -> dict[str, int]:
    """The AWS write calls among the fake's counters (``service:Operation`` keys)."""
    return {key: n for key, n in counters.items() if n and not is_read_operation(key.partition(":")[2])}


@contextmanager
def running_controller(
    workloads: ControlPlane, aws_env: dict[str, str], **overrides: str
) -> Iterator[ControllerProcess | InClusterController]:
    """A controller started now (after the test prepared the fake account), stopped and checked on exit."""
    env = controller_env(
        aws_env,
        **{"DEFAULT_SERVICE_NETWORK": DEFAULT_NETWORK, "RECONCILE_DEFAULT_RESYNC_SECONDS": "60", **overrides},
    )
    process = start_controller(workloads, env)
    try:
        yield process
    finally:
        stop_and_check(process)


def stop_and_check(process: ControllerProcess | InClusterController) -> None:
    """Stop ``process`` (its log tail printed if it did not exit cleanly); fail if its role refused it
    a request."""
    if process.is_running() and process.stop() != 0:
        print(process.log_tail())
    process.check_permissions()


# --- dict manifests and the lifecycle scenarios' fixture ---------------------------------------------


GATEWAY_CLASS = "amazon-vpc-lattice"


def short_id() -> str:
    return uuid.uuid4().hex[:6]


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def listener(
    name: str,
    port: int = 80,
    protocol: str = "HTTP",
    *,
    allowed_from: str | None = None,
    selector: dict[str, str] | None = None,
    kinds: list[str] | None = None,
    certificate_arn: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "protocol": protocol, "port": port}
    allowed: dict[str, Any] = {}
    if allowed_from:
        allowed["namespaces"] = {"from": allowed_from}
        if selector:
            allowed["namespaces"]["selector"] = {"matchLabels": selector}
    if kinds:
        allowed["kinds"] = [{"kind": k} for k in kinds]
    if allowed:
        out["allowedRoutes"] = allowed
    if protocol == "HTTPS":
        out["tls"] = {
            "mode": "Terminate",
            "certificateRefs": [{"name": "dummy"}],
            **({"options": {f"{AN}/certificate-arn": certificate_arn}} if certificate_arn else {}),
        }
    return out


def gateway(
    ns: str,
    name: str = DEFAULT_NETWORK,
    listeners: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations or {}},
        "spec": {"gatewayClassName": GATEWAY_CLASS, "listeners": listeners or [listener("http")]},
    }


def backend(ns: str, name: str, replicas: int = 0, port: int = 80) -> list[dict[str, Any]]:
    """A Service (plus a Deployment of `replicas` kwok pods when replicas > 0)."""
    labels = {"app": name}
    service: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"ports": [{"name": "http", "port": port, "targetPort": 8090}]},
    }
    if not replicas:
        return [service]
    service["spec"]["selector"] = labels
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "registry.invalid/app:1", "ports": [{"containerPort": 8090}]}
                    ]
                },
            },
        },
    }
    return [deployment, service]


def parent(name: str = DEFAULT_NETWORK, section: str | None = None, ns: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if section:
        out["sectionName"] = section
    if ns:
        out["namespace"] = ns
    return out


def http_route(
    ns: str,
    name: str,
    parents: list[dict[str, Any]],
    backends: list[tuple[str, int]],
    annotations: dict[str, str] | None = None,
    path: str = "/",
    more_rules: list[tuple[str, list[tuple[str, int]]]] | None = None,
) -> dict[str, Any]:
    """An HTTPRoute with one PathPrefix rule per (path, [(service, weight)]): `path`/`backends` first."""
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations or {}},
        "spec": {
            "parentRefs": parents,
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": rule_path}}],
                    "backendRefs": [
                        {"name": b, "kind": "Service", "port": 80, "weight": w} for b, w in rule_backends
                    ],
                }
                for rule_path, rule_backends in [(path, backends), *(more_rules or [])]
            ],
        },
    }


def to_yaml(*objects: dict[str, Any] | list[dict[str, Any]]) -> str:
    flat: list[dict[str, Any]] = []
    for o in objects:
        flat += o if isinstance(o, list) else [o]
    return yaml.safe_dump_all(flat, sort_keys=False)


def parent_conditions(route: dict[str, Any] | None) -> list[dict[str, tuple[str, str, str]]]:
    """Per status.parents entry: {type: (status, reason, message)}."""
    if not route:
        return []
    return [
        {c["type"]: (c["status"], c["reason"], c.get("message", "")) for c in p.get("conditions", [])}
        for p in route.get("status", {}).get("parents", [])
    ]


def accepted(route: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(status, reason) of Accepted per parent entry, in order."""
    return [c.get("Accepted", ("", "", ""))[:2] for c in parent_conditions(route)]


def events(plane: ControlPlane, ns: str, name: str | None = None) -> list[dict[str, Any]]:
    items = kubectl_json(plane, "get", "events", "-n", ns)["items"]
    return [e for e in items if name is None or e["involvedObject"].get("name") == name]


def kube(plane: ControlPlane, *args: str, input: str | None = None) -> str:
    out = plane.kubectl(*args, input=input) if input is not None else plane.kubectl(*args)
    assert out.returncode == 0, f"kubectl {' '.join(args)}: {out.stderr}"
    return str(out.stdout)


def annotate(plane: ControlPlane, kind: str, ns: str, name: str, **values: str | None) -> None:
    """Set (value) or remove (None) annotations; keys are given without the AN prefix when they start
    with an underscore-free short name, e.g. annotate(..., standalone="true")."""
    args = [
        f"{AN}/{k.replace('_', '-')}={v}" if v is not None else f"{AN}/{k.replace('_', '-')}-"
        for k, v in values.items()
    ]
    kube(plane, "annotate", "--overwrite", kind, name, "-n", ns, *args)


def tags_of(client: Any, arn: str) -> dict[str, str]:
    return dict(client.list_tags_for_resource(resourceArn=arn).get("tags", {}))


def route_resource_arns(view: LatticeView, service_name: str) -> dict[str, list[str]]:
    """ARNs of the service, its associations, listeners, non-default rules and the target groups its
    rules forward to, by kind."""
    service = view.service(service_name)
    out: dict[str, list[str]] = {"service": [], "association": [], "listener": [], "rule": [], "tg": []}
    if not service:
        return out
    out["service"].append(service["arn"])
    out["association"] += [a["arn"] for a in service["associations"]]
    for lst in service["listeners"]:
        out["listener"].append(lst["arn"])
        for rule in lst["rules"]:
            if rule.get("isDefault"):
                continue
            out["rule"].append(rule["arn"])
            for tg in rule["action"].get("forward", {}).get("targetGroups", []):
                found = view.target_group_by_id(tg["targetGroupIdentifier"].rsplit("/", 1)[-1])
                if found and found["arn"] not in out["tg"]:
                    out["tg"].append(found["arn"])
    return out


def non_default_rules(service: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for lst in service["listeners"] for r in lst["rules"] if not r.get("isDefault")]


def forward_tg_ids(rule: dict[str, Any]) -> dict[str, int]:
    return {
        tg["targetGroupIdentifier"].rsplit("/", 1)[-1]: tg["weight"]
        for tg in rule["action"].get("forward", {}).get("targetGroups", [])
    }


def targets_of(view: LatticeView, service_name_tag: str) -> set[str]:
    return {
        t["id"]
        for tg in view.target_groups
        if tg["tags"].get(SERVICE_NAME_TAG) == service_name_tag
        for t in tg["targets"]
        if t.get("status") != "DRAINING"
    }


class Scenario:
    """One test's view of the shared plane and the fake account: fresh namespaces (deleted at the end
    without waiting; a later controller finalizes what is left), kubectl, Lattice reads."""

    def __init__(self, plane: ControlPlane, fake: FakeAws, aws_env: dict[str, str]) -> None:
        self.plane = plane
        self.fake = fake
        self.aws_env = aws_env
        self.namespaces: list[str] = []
        self.controllers: list[ControllerProcess | InClusterController] = []
        self.client = lattice_client(fake.endpoint)

    def namespace(self, prefix: str = "t", labels: dict[str, str] | None = None) -> str:
        name = f"{prefix}-{short_id()}"
        self.namespaces.append(name)
        apply(self.plane, to_yaml(namespace(name, labels)))
        return name

    def apply(self, *objects: dict[str, Any] | list[dict[str, Any]]) -> None:
        apply(self.plane, to_yaml(*objects))

    def view(self) -> LatticeView:
        return LatticeView.read(self.fake.endpoint)

    def route(self, ns: str, name: str, kind: str = "httproute") -> dict[str, Any] | None:
        return get_json(self.plane, kind, ns, name)

    def start_controller(self, **overrides: str) -> ControllerProcess | InClusterController:
        env = controller_env(self.aws_env, **{"DEFAULT_SERVICE_NETWORK": DEFAULT_NETWORK, **overrides})
        process = start_controller(self.plane, env)
        self.controllers.append(process)
        return process

    def close(self) -> None:
        refused = []
        for process in self.controllers:
            try:
                stop_and_check(process)
            except AssertionError as exc:
                refused.append(str(exc))
        # Routes first, at once: a route left live while its namespace terminates would be deployed
        # again into the next test's fresh account by the next controller; a deleting one is not.
        for ns in self.namespaces:
            self.plane.kubectl("delete", "httproute,grpcroute,tlsroute", "--all", "-n", ns, "--wait=false")
        if self.namespaces:
            self.plane.kubectl("delete", "namespace", "--wait=false", "--ignore-not-found", *self.namespaces)
        assert not refused, "\n".join(refused)


@pytest.fixture
def scenario(workloads: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]) -> Iterator[Scenario]:
    """A `Scenario`; request `controller` too (before it) for the standard controller, or start your
    own with `scenario.start_controller(...)`."""
    kube(workloads, "apply", "-f", str(manifest_path("manifests/gatewayclass.yaml")))
    s = Scenario(workloads, fake_aws, aws_env)
    try:
        yield s
    finally:
        s.close()


def wait_deleted(plane: ControlPlane, kind: str, ns: str, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get_json(plane, kind, ns, name) is None:
            return
        time.sleep(0.5)
    raise AssertionError(f"{kind} {ns}/{name} still present after {timeout:.0f} s")
