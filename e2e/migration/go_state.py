"""Go-controller state without the Go controller: what AWS Gateway API Controller v2.1.x leaves behind.

`write_go_state` lays down, in one namespace, three HTTPRoutes on the Gateway `app-network` and the VPC
Lattice resources the Go controller makes for them, named and tagged as it does:

* `checkout`: an A/B rule (PathPrefix `/checkout`) forwarding 75/25 to `checkout-v1` / `checkout-v2`;
* `reviews`: two rules, the first with a header match (`x-canary: true` → `reviews-v2`), then
  PathPrefix `/reviews` → `reviews-v1`;
* `inventory`: `service-name-override: inventory-svc`, one rule → `inventory`.

That is 3 services, 3 listeners, 7 rules (4 + 3 defaults), 5 target groups, 10 targets, 3 associations, plus
the service network `app-network` and its VPC association (as `DEFAULT_SERVICE_NETWORK` creates them).

How the Go controller names and tags things (and we reproduce here):
* service `<route[:20]>-<ns[:18]>` (dashes trimmed on each part) or the override; tags ManagedBy,
  RouteName, RouteNamespace, RouteType=http; listener `<route[:20]>-<ns[:18]>-80-http` (route name even
  with an override), default action fixed 404, tag ManagedBy;
* rules named `k8s-<unix seconds of the build>-rule-<priority>`, priorities 1..N in route order, paths
  case-sensitive, headers case-insensitive, tag ManagedBy; association tag ManagedBy;
* target groups `k8s-<ns[:55]>-<service[:55]>-<10 random a-z>`, IP, port 80, HTTP/HTTP1, IPV4, no health
  check given at creation, tags ManagedBy, ClusterName, ServiceName, ServiceNamespace,
  SourceTypeKey=HTTPRoute, ProtocolVersion=HTTP1, RouteName, RouteNamespace; every endpoint a target on
  the pod port;
* on the routes: finalizer `httproute.k8s.aws/resources`, annotations `lattice-service-arn` and
  `lattice-assigned-domain-name`, `status.parents` with Accepted/ResolvedRefs True and an empty message;
* on the GatewayClass: `Accepted=True`, message `Accepted`, no `supportedFeatures`;
* on the Gateway: finalizer `gateway.k8s.aws/resources`, Accepted (message = controller name) and
  Programmed (`aws-service-network-arn: <arn>`), listener statuses, and one address: the DNS name of the
  first route in the Go controller's cache order — here `reviews`, which is not the one lattice-controller
  picks (the first by kind, namespace, name: `checkout`).
"""

from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass, field
from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.controlplane.rest import RestClient

AN = "application-networking.k8s.aws/"
CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller"
GATEWAY_CLASS = "amazon-vpc-lattice"
NETWORK = "app-network"
GATEWAY_API = "/apis/gateway.networking.k8s.io/v1"
POD_PORT = 8090
OVERRIDE = "inventory-svc"


@dataclass(frozen=True, slots=True)
class RuleSpec:
    path: str
    backends: tuple[tuple[str, int], ...]
    header: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class RouteSpec:
    name: str
    rules: tuple[RuleSpec, ...]
    override: str | None = None


ROUTES = (
    RouteSpec("checkout", (RuleSpec("/checkout", (("checkout-v1", 75), ("checkout-v2", 25))),)),
    RouteSpec(
        "reviews",
        (
            RuleSpec("/reviews", (("reviews-v2", 1),), header=("x-canary", "true")),
            RuleSpec("/reviews", (("reviews-v1", 1),)),
        ),
    ),
    RouteSpec("inventory", (RuleSpec("/inventory", (("inventory", 1),)),), override=OVERRIDE),
)
BACKENDS = ("checkout-v1", "checkout-v2", "reviews-v1", "reviews-v2", "inventory")
GO_ADDRESS_ROUTE = "reviews"


def trunc(text: str, limit: int) -> str:
    return text[:limit].strip("-")


def service_name(route: RouteSpec, ns: str) -> str:
    return route.override or f"{trunc(route.name, 20)}-{trunc(ns, 18)}"


def listener_name(route: RouteSpec, ns: str) -> str:
    return f"{trunc(route.name, 20)}-{trunc(ns, 18)}-80-http"


@dataclass
class GoState:
    """What `write_go_state` made: ids/ARNs by route, the TG of each backend, the rule of each route rule."""

    namespace: str
    managed_by: str
    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # route → create_service response
    target_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # backend Service → TG
    rules: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # (route, index) → rule
    network: dict[str, Any] = field(default_factory=dict)

    def service_names(self) -> list[str]:
        return [service_name(r, self.namespace) for r in ROUTES]


# --- Kubernetes ------------------------------------------------------------------------------------------


def backend_manifests(ns: str) -> list[dict[str, Any]]:
    """A Service plus a 2-replica Deployment (kwok pods) per backend."""
    out: list[dict[str, Any]] = []
    for name in BACKENDS:
        labels = {"app": name}
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": ns},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "image": "registry.invalid/app:1",
                                    "ports": [{"containerPort": POD_PORT}],
                                }
                            ]
                        },
                    },
                },
            }
        )
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": ns},
                "spec": {
                    "selector": labels,
                    "ports": [{"name": "http", "port": 80, "targetPort": POD_PORT}],
                },
            }
        )
    return out


def gateway_manifest(ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": NETWORK, "namespace": ns, "finalizers": ["gateway.k8s.aws/resources"]},
        "spec": {
            "gatewayClassName": GATEWAY_CLASS,
            "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
        },
    }


def route_manifest(
    route: RouteSpec, ns: str, backend_weights: dict[str, int] | None = None
) -> dict[str, Any]:
    annotations = {AN + "service-name-override": route.override} if route.override else {}
    rules = []
    for rule in route.rules:
        match: dict[str, Any] = {"path": {"type": "PathPrefix", "value": rule.path}}
        if rule.header:
            match["headers"] = [{"type": "Exact", "name": rule.header[0], "value": rule.header[1]}]
        rules.append(
            {
                "matches": [match],
                "backendRefs": [
                    {"name": b, "kind": "Service", "port": 80, "weight": (backend_weights or {}).get(b, w)}
                    for b, w in rule.backends
                ],
            }
        )
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": route.name,
            "namespace": ns,
            "annotations": annotations,
            "finalizers": ["httproute.k8s.aws/resources"],
        },
        "spec": {"parentRefs": [{"name": NETWORK}], "rules": rules},
    }


def _condition(kind: str, reason: str, message: str, generation: int, when: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": when,
    }


def _rfc3339(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _merge_patch(rest: RestClient, path: str, body: dict[str, Any]) -> None:
    rest.request("PATCH", path, body, content_type="application/merge-patch+json")


def write_kubernetes_state(rest: RestClient, state: GoState, built_at: float) -> None:
    """Routes and Gateway as the Go controller leaves them: finalizers, annotations, statuses."""
    ns, when = state.namespace, _rfc3339(built_at)
    gateway_class = rest.get(f"{GATEWAY_API}/gatewayclasses/{GATEWAY_CLASS}")
    generation = int(gateway_class["metadata"].get("generation", 1))
    accepted = _condition("Accepted", "Accepted", "Accepted", generation, when)
    # The class is shared: later controllers put their own status back, as they would after a switch.
    _merge_patch(
        rest,
        f"{GATEWAY_API}/gatewayclasses/{GATEWAY_CLASS}/status",
        {"status": {"conditions": [accepted], "supportedFeatures": None}},
    )
    rest.create(f"{GATEWAY_API}/namespaces/{ns}/gateways", gateway_manifest(ns))
    for route in ROUTES:
        body = route_manifest(route, ns)
        svc = state.services[route.name]
        body["metadata"]["annotations"].update(
            {
                AN + "lattice-service-arn": svc["arn"],
                AN + "lattice-assigned-domain-name": svc["dnsEntry"]["domainName"],
            }
        )
        created = rest.create(f"{GATEWAY_API}/namespaces/{ns}/httproutes", body)
        generation = int(created["metadata"].get("generation", 1))
        parent_ref = created["spec"]["parentRefs"][0]  # as defaulted by the API server, copied verbatim
        status = {
            "parents": [
                {
                    "parentRef": parent_ref,
                    "controllerName": CONTROLLER_NAME,
                    "conditions": [
                        _condition("Accepted", "Accepted", "", generation, when),
                        _condition("ResolvedRefs", "ResolvedRefs", "", generation, when),
                    ],
                }
            ]
        }
        _merge_patch(
            rest, f"{GATEWAY_API}/namespaces/{ns}/httproutes/{route.name}/status", {"status": status}
        )
    gateway = rest.get(f"{GATEWAY_API}/namespaces/{ns}/gateways/{NETWORK}")
    generation = int(gateway["metadata"].get("generation", 1))
    address_route = next(r for r in ROUTES if r.name == GO_ADDRESS_ROUTE)
    status = {
        "conditions": [
            _condition("Accepted", "Accepted", CONTROLLER_NAME, generation, when),
            _condition(
                "Programmed",
                "Programmed",
                f"aws-service-network-arn: {state.network['arn']}",
                generation,
                when,
            ),
        ],
        "addresses": [
            {"type": "Hostname", "value": state.services[address_route.name]["dnsEntry"]["domainName"]}
        ],
        "listeners": [
            {
                "name": "http",
                "supportedKinds": [{"kind": "HTTPRoute"}],
                "attachedRoutes": len(ROUTES),
                "conditions": [
                    _condition("Accepted", "Accepted", "", generation, when),
                    _condition("ResolvedRefs", "ResolvedRefs", "", generation, when),
                    _condition("Programmed", "Programmed", "", generation, when),
                ],
            }
        ],
    }
    _merge_patch(rest, f"{GATEWAY_API}/namespaces/{ns}/gateways/{NETWORK}/status", {"status": status})


# --- VPC Lattice -----------------------------------------------------------------------------------------


def _random_suffix(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


def write_lattice_state(
    client: Any,
    state: GoState,
    *,
    cluster: str,
    vpc: str,
    targets: dict[str, list[str]],
    built_at: float,
    rng: random.Random | None = None,
) -> None:
    """The Lattice side, through the VPC Lattice API (boto3 `client`); `targets`: backend → pod IPs."""
    rng = rng or random.Random()
    ns = state.namespace
    managed = {AN + "ManagedBy": state.managed_by}
    state.network = client.create_service_network(name=NETWORK, tags=managed)
    client.create_service_network_vpc_association(
        serviceNetworkIdentifier=state.network["id"], vpcIdentifier=vpc, tags=managed
    )
    for route in ROUTES:
        for rule in route.rules:
            for backend, _ in rule.backends:
                tags = {
                    **managed,
                    AN + "ClusterName": cluster,
                    AN + "ServiceName": backend,
                    AN + "ServiceNamespace": ns,
                    AN + "SourceTypeKey": "HTTPRoute",
                    AN + "ProtocolVersion": "HTTP1",
                    AN + "RouteName": route.name,
                    AN + "RouteNamespace": ns,
                }
                tg = client.create_target_group(
                    name=f"k8s-{ns[:55]}-{backend[:55]}-{_random_suffix(rng)}",
                    type="IP",
                    config={
                        "port": 80,
                        "protocol": "HTTP",
                        "protocolVersion": "HTTP1",
                        "vpcIdentifier": vpc,
                        "ipAddressType": "IPV4",
                    },
                    tags=tags,
                )
                client.register_targets(
                    targetGroupIdentifier=tg["id"],
                    targets=[{"id": ip, "port": POD_PORT} for ip in sorted(targets[backend])],
                )
                state.target_groups[backend] = tg
        service = client.create_service(
            name=service_name(route, ns),
            tags={
                **managed,
                AN + "RouteName": route.name,
                AN + "RouteNamespace": ns,
                AN + "RouteType": "http",
            },
        )
        state.services[route.name] = service
        client.create_service_network_service_association(
            serviceIdentifier=service["id"], serviceNetworkIdentifier=state.network["id"], tags=managed
        )
        listener = client.create_listener(
            serviceIdentifier=service["id"],
            name=listener_name(route, ns),
            protocol="HTTP",
            port=80,
            defaultAction={"fixedResponse": {"statusCode": 404}},
            tags=managed,
        )
        for index, rule in enumerate(route.rules):
            priority = index + 1
            http_match: dict[str, Any] = {
                "pathMatch": {"match": {"prefix": rule.path}, "caseSensitive": True},
            }
            if rule.header:
                http_match["headerMatches"] = [
                    {"name": rule.header[0], "match": {"exact": rule.header[1]}, "caseSensitive": False}
                ]
            state.rules[(route.name, index)] = client.create_rule(
                serviceIdentifier=service["id"],
                listenerIdentifier=listener["id"],
                name=f"k8s-{int(built_at)}-rule-{priority}",
                priority=priority,
                match={"httpMatch": http_match},
                action={
                    "forward": {
                        "targetGroups": [
                            {"targetGroupIdentifier": state.target_groups[b]["id"], "weight": w}
                            for b, w in rule.backends
                        ]
                    }
                },
                tags=managed,
            )


def write_go_state(
    plane: ControlPlane,
    client: Any,
    ns: str,
    *,
    managed_by: str,
    cluster: str,
    vpc: str,
    targets: dict[str, list[str]],
) -> GoState:
    """Lattice first, then the Kubernetes objects that point at it (as they would be after a Go deploy)."""
    state = GoState(ns, managed_by)
    built_at = time.time() - 3600  # deployed an hour ago
    write_lattice_state(client, state, cluster=cluster, vpc=vpc, targets=targets, built_at=built_at)
    write_kubernetes_state(plane.rest(), state, built_at)
    return state


# --- reading back ----------------------------------------------------------------------------------------


def lattice_fingerprint(client: Any) -> dict[str, Any]:
    """Every name, id, tag, match, action, config and target in the account — what must not change.

    Target health (INITIAL → HEALTHY) and timestamps are left out: they move on their own."""

    def tags(arn: str) -> dict[str, str]:
        return dict(client.list_tags_for_resource(resourceArn=arn).get("tags", {}))

    def items(method: str, **kwargs: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = getattr(client, method)(**kwargs, **({"nextToken": token} if token else {}))
            out += page.get("items", [])
            token = page.get("nextToken")
            if not token:
                return out

    result: dict[str, Any] = {"networks": {}, "services": {}, "target_groups": {}}
    for sn in items("list_service_networks"):
        result["networks"][sn["name"]] = {
            "id": sn["id"],
            "tags": tags(sn["arn"]),
            "vpc_associations": sorted(
                (a["id"], a["vpcId"], tuple(sorted(tags(a["arn"]).items())))
                for a in items("list_service_network_vpc_associations", serviceNetworkIdentifier=sn["id"])
            ),
        }
    for svc in items("list_services"):
        listeners = {}
        for lst in items("list_listeners", serviceIdentifier=svc["id"]):
            detail = client.get_listener(serviceIdentifier=svc["id"], listenerIdentifier=lst["id"])
            rules = {}
            for r in items("list_rules", serviceIdentifier=svc["id"], listenerIdentifier=lst["id"]):
                rule = client.get_rule(
                    serviceIdentifier=svc["id"], listenerIdentifier=lst["id"], ruleIdentifier=r["id"]
                )
                rules[rule["name"]] = {
                    "id": rule["id"],
                    "priority": rule.get("priority"),
                    "isDefault": rule.get("isDefault", False),
                    "match": rule.get("match"),
                    "action": rule.get("action"),
                    "tags": {} if rule.get("isDefault") else tags(rule["arn"]),
                }
            listeners[lst["name"]] = {
                "id": lst["id"],
                "port": lst["port"],
                "protocol": lst["protocol"],
                "defaultAction": detail.get("defaultAction"),
                "tags": tags(lst["arn"]),
                "rules": rules,
            }
        result["services"][svc["name"]] = {
            "id": svc["id"],
            "arn": svc["arn"],
            "tags": tags(svc["arn"]),
            "associations": sorted(
                (a["id"], a["serviceNetworkName"], tuple(sorted(tags(a["arn"]).items())))
                for a in items("list_service_network_service_associations", serviceIdentifier=svc["id"])
            ),
            "listeners": listeners,
        }
    for tg in items("list_target_groups"):
        detail = client.get_target_group(targetGroupIdentifier=tg["id"])
        result["target_groups"][tg["name"]] = {
            "id": tg["id"],
            "config": detail.get("config"),
            "tags": tags(tg["arn"]),
            "targets": sorted(
                f"{t['id']}:{t['port']}"
                for t in items("list_targets", targetGroupIdentifier=tg["id"])
                if t.get("status") != "DRAINING"
            ),
        }
    return result
