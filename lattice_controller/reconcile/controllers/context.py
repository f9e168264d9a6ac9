"""What every reconciler shares: a read view of the cache (``CacheView``, also usable offline by
``lattice-controller plan``) and, for the live controller, Kubernetes writers and the AWS edge."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.tagging import TagStore
from lattice_controller.cache import indexes
from lattice_controller.cache.store import Record, Store
from lattice_controller.kube import kinds as k
from lattice_controller.kube.events import EventRecorder, InvolvedObject
from lattice_controller.kube.kinds import AnyKind, Kind
from lattice_controller.kube.writes import KubeWriter
from lattice_controller.model.k8s import Gateway, GatewayClass, ReferenceGrant, Route
from lattice_controller.model.k8s.route import RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build.inputs import BuildSettings, RouteSnapshot, route_dependencies
from lattice_controller.reconcile.controllers.policy_lookup import service_policies
from lattice_controller.reconcile.observe import DetailCache

ROUTE_KINDS: dict[RouteType, Kind[Route]] = {
    RouteType.HTTP: k.HTTP_ROUTE,
    RouteType.GRPC: k.GRPC_ROUTE,
    RouteType.TLS: k.TLS_ROUTE,
}
R = TypeVar("R", bound=Record)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class CacheView:
    """Reads of cache records that reconcilers (and the offline plan) need; no I/O."""

    stores: dict[str, Store[Any]]
    kinds: dict[str, AnyKind]
    settings: BuildSettings

    def kind(self, kind: AnyKind) -> AnyKind:
        """The served version of ``kind``."""
        return self.kinds.get(kind.group_kind, kind)

    def store(self, kind: Kind[R]) -> Store[R] | None:
        """The store of ``kind`` with its record type (None when the kind is not served)."""
        store: Store[R] | None = self.stores.get(kind.group_kind)
        return store

    def gateway_classes(self) -> dict[str, GatewayClass]:
        store = self.store(k.GATEWAY_CLASS)
        return {c.meta.key.name: c for c in store.records()} if store else {}

    def is_ours(self, gateway: Gateway) -> bool:
        cls = self.gateway_classes().get(gateway.gateway_class_name)
        return cls is not None and cls.controller_name == self.settings.controller_name

    def routes(self) -> list[Route]:
        out: list[Route] = []
        for kind in ROUTE_KINDS.values():
            store = self.store(kind)
            if store:
                out += store.records()
        return out

    def routes_of_gateway(self, gateway: ObjectKey) -> list[Route]:
        out: list[Route] = []
        for kind in ROUTE_KINDS.values():
            store = self.store(kind)
            if store:
                out += store.by_index(indexes.ROUTES_BY_PARENT_GATEWAY, str(gateway))
        return out

    def certificate_grants(self, gateway: Gateway) -> list[ReferenceGrant]:
        """The ReferenceGrants of the other namespaces the gateway's certificateRefs name."""
        namespaces = {
            ref.namespace
            for listener in gateway.listeners
            for ref in listener.certificate_refs
            if ref.namespace and ref.namespace != gateway.meta.namespace
        }
        store = self.store(k.REFERENCE_GRANT)
        if store is None:
            return []
        return [g for ns in sorted(namespaces) for g in store.by_index(indexes.BY_NAMESPACE, ns)]

    def route_snapshot(self, route: Route) -> RouteSnapshot:
        """Everything the pure build of ``route`` may read, taken from the cache now."""
        deps = route_dependencies(route)
        services = self._by_keys(k.SERVICE, deps.services)
        slices_store = self.store(k.ENDPOINT_SLICE)
        endpoint_slices = {
            key: slices_store.by_index(indexes.ENDPOINT_SLICES_BY_SERVICE, str(key)) if slices_store else []
            for key in services
        }
        grants_store = self.store(k.REFERENCE_GRANT)
        grants = [
            g
            for ns in deps.grant_namespaces
            for g in (grants_store.by_index(indexes.BY_NAMESPACE, ns) if grants_store else [])
        ]
        namespaces_store = self.store(k.NAMESPACE)
        namespaces = {n.meta.key.name: n for n in namespaces_store.records()} if namespaces_store else {}
        return RouteSnapshot(
            route=route,
            gateways=self._by_keys(k.GATEWAY, deps.gateways),
            gateway_classes=self.gateway_classes(),
            services=services,
            endpoint_slices=endpoint_slices,
            reference_grants=grants,
            namespaces=namespaces,
            service_imports=self._by_keys(k.SERVICE_IMPORT, deps.service_imports),
            target_group_policies=service_policies(self.store(k.TARGET_GROUP_POLICY), services),
        )

    def _by_keys(self, kind: Kind[R], keys: Iterable[ObjectKey]) -> dict[ObjectKey, R]:
        store = self.store(kind)
        if store is None:
            return {}
        found: dict[ObjectKey, R] = {}
        for key in keys:
            record = store.get(key)
            if record is not None:
                found[key] = record
        return found


@dataclass
class ControllerContext(CacheView):
    """Shared, long-lived dependencies of the reconcilers (built once by the app)."""

    writer: KubeWriter
    recorder: EventRecorder
    lattice: LatticeApi
    tags: TagStore
    inventory: LatticeInventory
    details: DetailCache = field(default_factory=DetailCache)
    now: Callable[[], str] = field(default=utc_now)

    def involved(self, kind: AnyKind, key: ObjectKey, uid: str = "") -> InvolvedObject:
        return InvolvedObject(self.kind(kind), key, uid)
