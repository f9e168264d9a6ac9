"""Does a Pod need the Lattice readiness gate? One query over the cache, shared by the admission webhook
(which injects the gate into new Pods) and the gate's condition writer (which sets it True for a Pod that
no longer needs it, so the Pod is never stuck).

A Pod needs the gate when its namespace carries ``INJECT_LABEL: enabled`` and a Service of its namespace
selects it (by ``spec.selector``; a Service without a selector selects no Pod, as in Kubernetes) that is

* a backend (group ``""``, kind ``Service``) of an HTTPRoute, GRPCRoute or TLSRoute with a parentRef to a
  Gateway of our GatewayClass — a cross-namespace backendRef counts only when a ReferenceGrant permits it
  (or grants are not enforced), the same rule that decides whether its targets are registered; or
* exported: a ServiceExport of the same name exists.

Reads only the stores it is given (no I/O, no AWS); a kind that is not served counts as having no objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.cache import indexes
from lattice_controller.cache.store import Store
from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.model.k8s import GATEWAY_API_GROUP, Route, StrMap, reference_permitted
from lattice_controller.model.k8s.pod import READINESS_GATE as READINESS_GATE
from lattice_controller.model.keys import ObjectKey

INJECT_LABEL = "application-networking.k8s.aws/pod-readiness-gate-inject"
INJECT_VALUE = "enabled"

_ROUTE_KINDS: tuple[AnyKind, ...] = (k.HTTP_ROUTE, k.GRPC_ROUTE, k.TLS_ROUTE)


@dataclass(frozen=True, slots=True)
class GatingService:
    """A Service that selects the Pod and makes it need the gate, and why."""

    service: ObjectKey
    routes: tuple[ObjectKey, ...] = ()
    """Routes (of any kind) attached to our Gateways that have the Service as a backend."""
    exported: bool = False


def selects(selector: StrMap, labels: Mapping[str, str]) -> bool:
    """A Service selector (equality on every key) matches the labels; an empty selector matches nothing."""
    pairs = selector.as_dict()
    return bool(pairs) and all(labels.get(key) == value for key, value in pairs.items())


class GateQuery:
    """The query over the controller's stores (``group_kind`` → store, as the cache registered them)."""

    def __init__(
        self, stores: Mapping[str, Store[Any]], controller_name: str, *, enforce_reference_grants: bool = True
    ) -> None:
        self._stores = stores
        self._controller_name = controller_name
        self._enforce_grants = enforce_reference_grants

    def namespace_enabled(self, namespace: str) -> bool:
        """The namespace is labelled ``INJECT_LABEL: enabled``."""
        record = self._get(k.NAMESPACE, ObjectKey("", namespace))
        return record is not None and record.meta.labels.get(INJECT_LABEL) == INJECT_VALUE

    def pod_needs_gate(self, namespace: str, labels: Mapping[str, str]) -> bool:
        """The Pod (its namespace and labels) should carry the readiness gate."""
        return self.namespace_enabled(namespace) and bool(self.gating_services(namespace, labels))

    def gating_services(self, namespace: str, labels: Mapping[str, str]) -> tuple[GatingService, ...]:
        """The Services of ``namespace`` selecting a Pod with ``labels`` that are backends or exported,
        in name order (the namespace label is not checked here)."""
        services = self._store(k.SERVICE)
        if services is None:
            return ()
        out = []
        for service in sorted(services.records(namespace), key=lambda s: s.meta.name):
            if not service.deleting and selects(service.selector, labels):
                gating = self.service_gating(service.meta.key)
                if gating is not None:
                    out.append(gating)
        return tuple(out)

    def service_needs_gate(self, service: ObjectKey) -> bool:
        """The Service is a backend of one of our routes or is exported."""
        return self.service_gating(service) is not None

    def service_gating(self, service: ObjectKey) -> GatingService | None:
        routes = tuple(sorted(r.meta.key for r in self._backend_routes(service)))
        exported = self._get(k.SERVICE_EXPORT, service) is not None
        if not routes and not exported:
            return None
        return GatingService(service=service, routes=routes, exported=exported)

    def _backend_routes(self, service: ObjectKey) -> Iterable[Route]:
        value = indexes.backend_value("Service", service)
        for kind in _ROUTE_KINDS:
            store = self._store(kind)
            for route in store.by_index(indexes.ROUTES_BY_BACKEND, value) if store else ():
                if not route.meta.deleting and self._attached(route) and self._permitted(route, service):
                    yield route

    def _attached(self, route: Route) -> bool:
        """A parentRef of the route names an existing Gateway of our GatewayClass."""
        for key in indexes.route_parent_gateways(route):
            gateway = self._get(k.GATEWAY, ObjectKey.parse(key))
            if gateway is None:
                continue
            gateway_class = self._get(k.GATEWAY_CLASS, ObjectKey("", gateway.gateway_class_name))
            if gateway_class is not None and gateway_class.controller_name == self._controller_name:
                return True
        return False

    def _permitted(self, route: Route, service: ObjectKey) -> bool:
        if not self._enforce_grants or route.meta.namespace == service.namespace:
            return True
        grants = self._store(k.REFERENCE_GRANT)
        return reference_permitted(
            grants.by_index(indexes.BY_NAMESPACE, service.namespace) if grants else (),
            GATEWAY_API_GROUP,
            route.kind,
            route.meta.namespace,
            "",
            "Service",
            service.namespace,
            service.name,
        )

    def _store(self, kind: AnyKind) -> Store[Any] | None:
        return self._stores.get(kind.group_kind)

    def _get(self, kind: AnyKind, key: ObjectKey) -> Any:
        store = self._store(kind)
        return store.get(key) if store is not None else None
