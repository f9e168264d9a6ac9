"""Support for the lifecycle scenarios (tags, allowed routes, standalone, overrides, takeover, drift,
restarts): manifest builders, route status and event readers, Lattice tag readers, namespace cleanup.

Manifests are built as dicts and applied with kubectl as YAML, as a user would.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import MANAGED_BY, ControllerProcess, controller_env, start_controller
from e2e.harness.lattice_view import MANAGED_BY_KEY, LatticeView, lattice_client
from e2e.scenarios.helpers import apply, kubectl_json

AN = "application-networking.k8s.aws/"
GATEWAY_CLASS = "amazon-vpc-lattice"
DEFAULT_NETWORK = "app-network"

__all__ = [
    "AN",
    "DEFAULT_NETWORK",
    "MANAGED_BY",
    "MANAGED_BY_KEY",
    "Scenario",
    "scenario",
]


def short_id() -> str:
    return uuid.uuid4().hex[:6]


# --- manifests ---------------------------------------------------------------------------------------


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
            **({"options": {AN + "certificate-arn": certificate_arn}} if certificate_arn else {}),
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


# --- Kubernetes reads ------------------------------------------------------------------------------


def get_json(plane: ControlPlane, kind: str, ns: str, name: str) -> dict[str, Any] | None:
    out = plane.kubectl("get", kind, name, "-n", ns, "-o", "json")
    if out.returncode != 0:
        return None
    import json

    return json.loads(out.stdout)  # type: ignore[no-any-return]


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
        f"{AN}{k.replace('_', '-')}={v}" if v is not None else f"{AN}{k.replace('_', '-')}-"
        for k, v in values.items()
    ]
    kube(plane, "annotate", "--overwrite", kind, name, "-n", ns, *args)


# --- Lattice reads ---------------------------------------------------------------------------------


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
        if tg["tags"].get(AN + "ServiceName") == service_name_tag
        for t in tg["targets"]
        if t.get("status") != "DRAINING"
    }


WRITE_PREFIXES = (
    "Create",
    "Delete",
    "Update",
    "Tag",
    "Untag",
    "Register",
    "Deregister",
    "Put",
    "BatchUpdate",
)


def writes(counters: dict[str, int]) -> dict[str, int]:
    """The AWS write calls among fake counters (everything that is not List/Get/Describe)."""
    return {k: v for k, v in counters.items() if k.split(":", 1)[-1].startswith(WRITE_PREFIXES)}


def counter_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}


# --- fixture -------------------------------------------------------------------------------------------


class Scenario:
    """One test's view of the shared plane and the fake account: fresh namespaces (deleted at the end
    without waiting; a later controller finalizes what is left), kubectl, Lattice reads."""

    def __init__(self, plane: ControlPlane, fake: FakeAws, aws_env: dict[str, str]) -> None:
        self.plane = plane
        self.fake = fake
        self.aws_env = aws_env
        self.namespaces: list[str] = []
        self.controllers: list[ControllerProcess] = []
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

    def start_controller(self, **overrides: str) -> ControllerProcess:
        env = controller_env(self.aws_env, DEFAULT_SERVICE_NETWORK=DEFAULT_NETWORK, **overrides)
        process = start_controller(self.plane.kubeconfig, env)
        self.controllers.append(process)
        return process

    def close(self) -> None:
        for process in self.controllers:
            if process.is_running() and process.stop() != 0:
                print(process.log_tail())
        # Routes first, at once: a route left live while its namespace terminates would be deployed
        # again into the next test's fresh account by the next controller; a deleting one is not.
        for ns in self.namespaces:
            self.plane.kubectl("delete", "httproute", "--all", "-n", ns, "--wait=false")
        if self.namespaces:
            self.plane.kubectl("delete", "namespace", "--wait=false", "--ignore-not-found", *self.namespaces)


@pytest.fixture
def scenario(workloads: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]) -> Iterator[Scenario]:
    """A `Scenario`; request `controller` too (before it) for the standard controller, or start your
    own with `scenario.start_controller(...)`."""
    kube(workloads, "apply", "-f", str(_gatewayclass_path()))
    s = Scenario(workloads, fake_aws, aws_env)
    try:
        yield s
    finally:
        s.close()


def _gatewayclass_path() -> Any:
    from e2e.scenarios.helpers import manifest_path

    return manifest_path("manifests/gatewayclass.yaml")


def wait_deleted(plane: ControlPlane, kind: str, ns: str, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get_json(plane, kind, ns, name) is None:
            return
        time.sleep(0.5)
    raise AssertionError(f"{kind} {ns}/{name} still present after {timeout:.0f} s")
