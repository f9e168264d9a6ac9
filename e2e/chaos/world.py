"""The random workload: HTTPRoutes, Services, EndpointSlices, a ReferenceGrant and a second Gateway.

Routes live in the benchmark namespace (`bench`, where the Gateway `app-network` is); some backends live
in `chaos-b` and are reachable only while the ReferenceGrant there exists. Every operation is chosen by
the `random.Random` passed in, so a seed replays the same sequence of operations.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from e2e.bench.stack import (
    DISCOVERY,
    GATEWAY,
    GATEWAY_API,
    NAMESPACE,
    endpoint_slice_body,
    namespace_body,
    service_body,
)
from e2e.controlplane.rest import ApiError, RestClient

BACKEND_NAMESPACE = "chaos-b"
SECOND_GATEWAY = "second-net"
LOCAL_SERVICES = tuple(f"svc-{i}" for i in range(6))
CROSS_SERVICES = tuple(f"xsvc-{i}" for i in range(2))
ROUTE_NAMES = tuple(f"r-{i}" for i in range(8))
CONFLICTED_ROUTE = "r-7"  # a foreign Lattice service already has this route's name
GRANT = "chaos-grant"
GRANTS = GATEWAY_API
MERGE = "application/merge-patch+json"


def routes_path(name: str = "") -> str:
    return f"{GATEWAY_API}/namespaces/{NAMESPACE}/httproutes" + (f"/{name}" if name else "")


def _ip(service_index: int, host: int) -> str:
    return f"10.250.{service_index}.{host + 1}"


@dataclass
class World:
    rest: RestClient
    rng: random.Random
    services: set[tuple[str, str]] = field(default_factory=set)  # (namespace, name)
    routes: set[str] = field(default_factory=set)
    grant: bool = False
    second_gateway: bool = False
    done: Counter[str] = field(default_factory=Counter)

    # --- set-up ------------------------------------------------------------------------------------

    def setup(self) -> None:
        self.rest.create("/api/v1/namespaces", namespace_body(BACKEND_NAMESPACE), exist_ok=True)
        for name in LOCAL_SERVICES[:4]:
            self.create_service(NAMESPACE, name)
        self.create_service(BACKEND_NAMESPACE, CROSS_SERVICES[0])

    # --- operations --------------------------------------------------------------------------------

    def random_op(self) -> str:
        kinds = ["route", "route", "route", "route-delete", "service", "slice", "slice", "grant", "gateway"]
        kind = self.rng.choice(kinds)
        description = getattr(self, f"_op_{kind.replace('-', '_')}")()
        self.done[kind] += 1
        return str(description)

    def _op_route(self) -> str:
        name = self.rng.choice(ROUTE_NAMES)
        body = self.route_body(name)
        if name in self.routes:
            self.rest.request("PATCH", routes_path(name), {"spec": body["spec"]}, content_type=MERGE)
            return f"update route {name}"
        self.rest.create(routes_path(), body, exist_ok=True)
        self.routes.add(name)
        return f"create route {name}"

    def _op_route_delete(self) -> str:
        if not self.routes:
            return self._op_route()
        name = self.rng.choice(sorted(self.routes))
        self.rest.delete(routes_path(name))
        self.routes.discard(name)
        return f"delete route {name}"

    def _op_service(self) -> str:
        namespace, name = self.rng.choice(
            [(NAMESPACE, n) for n in LOCAL_SERVICES] + [(BACKEND_NAMESPACE, n) for n in CROSS_SERVICES]
        )
        if (namespace, name) in self.services:
            self.rest.delete(f"/api/v1/namespaces/{namespace}/services/{name}")
            self.rest.delete(f"{DISCOVERY}/namespaces/{namespace}/endpointslices/{name}-bench")
            self.services.discard((namespace, name))
            return f"delete service {namespace}/{name}"
        self.create_service(namespace, name)
        return f"create service {namespace}/{name}"

    def _op_slice(self) -> str:
        if not self.services:
            return self._op_service()
        namespace, name = self.rng.choice(sorted(self.services))
        ips = self.endpoint_ips(namespace, name)
        body = endpoint_slice_body(name, ips, namespace=namespace)
        path = f"{DISCOVERY}/namespaces/{namespace}/endpointslices/{name}-bench"
        try:
            current = self.rest.get(path)
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            self.rest.request("PUT", path, body)
        except ApiError:
            self.rest.create(f"{DISCOVERY}/namespaces/{namespace}/endpointslices", body, exist_ok=True)
        return f"endpoints of {namespace}/{name}: {len(ips)}"

    def _op_grant(self) -> str:
        path = f"{GRANTS}/namespaces/{BACKEND_NAMESPACE}/referencegrants"
        if self.grant:
            self.rest.delete(f"{path}/{GRANT}")
            self.grant = False
            return "delete ReferenceGrant"
        body = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "ReferenceGrant",
            "metadata": {"name": GRANT, "namespace": BACKEND_NAMESPACE},
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": NAMESPACE}],
                "to": [{"group": "", "kind": "Service"}],
            },
        }
        self.rest.create(path, body, exist_ok=True)
        self.grant = True
        return "create ReferenceGrant"

    def _op_gateway(self) -> str:
        path = f"{GATEWAY_API}/namespaces/{NAMESPACE}/gateways"
        if self.second_gateway:
            self.rest.delete(f"{path}/{SECOND_GATEWAY}")
            self.second_gateway = False
            return f"delete Gateway {SECOND_GATEWAY}"
        body = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": SECOND_GATEWAY, "namespace": NAMESPACE},
            "spec": {
                "gatewayClassName": "amazon-vpc-lattice",
                "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
            },
        }
        self.rest.create(path, body, exist_ok=True)
        self.second_gateway = True
        return f"create Gateway {SECOND_GATEWAY}"

    # --- bodies ------------------------------------------------------------------------------------

    def create_service(self, namespace: str, name: str) -> None:
        self.rest.create(
            f"/api/v1/namespaces/{namespace}/services", service_body(name, namespace), exist_ok=True
        )
        self.rest.create(
            f"{DISCOVERY}/namespaces/{namespace}/endpointslices",
            endpoint_slice_body(name, self.endpoint_ips(namespace, name), namespace=namespace),
            exist_ok=True,
        )
        self.services.add((namespace, name))

    def endpoint_ips(self, namespace: str, name: str) -> list[str]:
        index = (LOCAL_SERVICES + CROSS_SERVICES).index(name) + (10 if namespace == BACKEND_NAMESPACE else 0)
        return sorted(self.rng.sample([_ip(index, h) for h in range(5)], self.rng.randint(1, 3)))

    def route_body(self, name: str) -> dict[str, Any]:
        parents: list[dict[str, Any]] = [{"name": GATEWAY, "sectionName": "http"}]
        if self.rng.random() < 0.3:
            parents.append({"name": SECOND_GATEWAY, "sectionName": "http"})
        rules = []
        for index in self.rng.sample(range(6), self.rng.randint(1, 3)):
            backends: list[dict[str, Any]] = []
            for _ in range(self.rng.randint(1, 2)):
                if self.rng.random() < 0.2:
                    ref = {"name": self.rng.choice(CROSS_SERVICES), "namespace": BACKEND_NAMESPACE}
                else:
                    ref = {"name": self.rng.choice(LOCAL_SERVICES)}
                if any(b["name"] == ref["name"] for b in backends):
                    continue
                backends.append({**ref, "kind": "Service", "port": 80, "weight": self.rng.randint(1, 100)})
            rules.append(
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": f"/p{index}"}}],
                    "backendRefs": backends,
                }
            )
        return {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"parentRefs": parents, "rules": rules},
        }
