"""Which parser and indexes each kind's store gets: one call registers everything the controller reads.

The app resolves served kinds with ``kube.discovery.check_required_kinds`` and passes them here; kinds
without a record type yet are skipped (and logged), so the cache never holds raw dicts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.cache import indexes
from lattice_controller.cache.cache import Cache
from lattice_controller.cache.policy_targets import POLICIES_BY_TARGET, policy_targets
from lattice_controller.cache.store import Store
from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.model.k8s import (
    parse_endpoint_slice,
    parse_namespace,
    parse_service,
)
from lattice_controller.model.k8s.access_log_policy import parse_access_log_policy
from lattice_controller.model.k8s.auth_policy import parse_iam_auth_policy
from lattice_controller.model.k8s.dns_endpoint import parse_dns_endpoint
from lattice_controller.model.k8s.gateway import parse_gateway, parse_gateway_class
from lattice_controller.model.k8s.pod import parse_pod
from lattice_controller.model.k8s.reference_grant import parse_reference_grant
from lattice_controller.model.k8s.route import parse_grpc_route, parse_http_route, parse_tls_route
from lattice_controller.model.k8s.service_export import parse_service_export
from lattice_controller.model.k8s.service_import import parse_service_import
from lattice_controller.model.k8s.service_network import parse_service_network
from lattice_controller.model.k8s.target_group_policy import parse_target_group_policy
from lattice_controller.model.k8s.vpc_association_policy import parse_vpc_association_policy

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoreSpec:
    parse: Callable[[Mapping[str, Any]], Any]
    indexes: tuple[tuple[str, Callable[[Any], Iterable[str]]], ...] = ()


_ROUTE_INDEXES = (
    (indexes.ROUTES_BY_PARENT_GATEWAY, indexes.route_parent_gateways),
    (indexes.ROUTES_BY_BACKEND, indexes.route_backends),
)

STORE_SPECS: dict[str, StoreSpec] = {
    k.GATEWAY_CLASS.group_kind: StoreSpec(parse_gateway_class),
    k.GATEWAY.group_kind: StoreSpec(parse_gateway),
    k.HTTP_ROUTE.group_kind: StoreSpec(parse_http_route, _ROUTE_INDEXES),
    k.GRPC_ROUTE.group_kind: StoreSpec(parse_grpc_route, _ROUTE_INDEXES),
    k.TLS_ROUTE.group_kind: StoreSpec(parse_tls_route, _ROUTE_INDEXES),
    k.REFERENCE_GRANT.group_kind: StoreSpec(
        parse_reference_grant, ((indexes.BY_NAMESPACE, indexes.record_namespace),)
    ),
    k.SERVICE.group_kind: StoreSpec(parse_service),
    k.ENDPOINT_SLICE.group_kind: StoreSpec(
        parse_endpoint_slice, ((indexes.ENDPOINT_SLICES_BY_SERVICE, indexes.endpoint_slice_service),)
    ),
    k.NAMESPACE.group_kind: StoreSpec(parse_namespace),
    k.POD.group_kind: StoreSpec(parse_pod, ((indexes.GATED_PODS, indexes.gated_pod),)),
    k.SERVICE_IMPORT.group_kind: StoreSpec(parse_service_import),
    k.SERVICE_EXPORT.group_kind: StoreSpec(
        parse_service_export, ((indexes.EXPORTS_BY_SERVICE, indexes.export_service),)
    ),
    k.DNS_ENDPOINT.group_kind: StoreSpec(parse_dns_endpoint),
    k.SERVICE_NETWORK.group_kind: StoreSpec(parse_service_network),
    k.TARGET_GROUP_POLICY.group_kind: StoreSpec(
        parse_target_group_policy, ((POLICIES_BY_TARGET, policy_targets),)
    ),
    k.ACCESS_LOG_POLICY.group_kind: StoreSpec(
        parse_access_log_policy, ((POLICIES_BY_TARGET, policy_targets),)
    ),
    k.VPC_ASSOCIATION_POLICY.group_kind: StoreSpec(
        parse_vpc_association_policy, ((POLICIES_BY_TARGET, policy_targets),)
    ),
    k.IAM_AUTH_POLICY.group_kind: StoreSpec(parse_iam_auth_policy, ((POLICIES_BY_TARGET, policy_targets),)),
}


def detached_store(kind: AnyKind) -> Store[Any]:
    """A store for ``kind`` with the controller's parser and indexes, outside any cache: the ``plan``
    command and the tests fill it with objects themselves."""
    spec = STORE_SPECS[kind.group_kind]
    store: Store[Any] = Store(kind.group_kind, spec.parse)
    for name, fn in spec.indexes:
        store.add_index(name, fn)
    return store


def register_controller_kinds(cache: Cache, kinds: Iterable[AnyKind]) -> dict[str, Store[Any]]:
    """Register a store (parser + indexes) for each of ``kinds``; returns them by ``group_kind``."""
    stores: dict[str, Store[Any]] = {}
    for kind in kinds:
        spec = STORE_SPECS.get(kind.group_kind)
        if spec is None:
            log.warning("no record type for %s yet; not caching it", kind.group_kind)
            continue
        store = cache.register(kind, spec.parse)
        for name, fn in spec.indexes:
            store.add_index(name, fn)
        stores[kind.group_kind] = store
    return stores
