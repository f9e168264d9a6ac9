"""The secondary indexes reconcilers query, over the ``model.k8s`` records.

Index values are strings: ``ns/name`` of the referenced object (``ObjectKey`` text), prefixed with the
referenced kind where one index covers several kinds (``Service:ns/name``, ``ServiceImport:ns/name``).
Build values with the helpers here rather than by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lattice_controller.model.k8s import EndpointSlice
from lattice_controller.model.k8s.pod import Pod
from lattice_controller.model.k8s.route import GATEWAY_API_GROUP, Route
from lattice_controller.model.k8s.service_export import ServiceExport
from lattice_controller.model.keys import ObjectKey

ROUTES_BY_PARENT_GATEWAY = "routes-by-parent-gateway"
ROUTES_BY_BACKEND = "routes-by-backend"
ENDPOINT_SLICES_BY_SERVICE = "endpointslices-by-service"
BY_NAMESPACE = "by-namespace"
EXPORTS_BY_SERVICE = "exports-by-service"
GATED_PODS = "gated-pods"
"""Pods carrying the readiness gate, by namespace (the other Pods are not indexed)."""

AWS_GROUP = "application-networking.k8s.aws"


def backend_value(kind: str, key: ObjectKey) -> str:
    """Value of ``ROUTES_BY_BACKEND`` for a backend of ``kind`` (``Service`` or ``ServiceImport``)."""
    return f"{kind}:{key}"


def route_parent_gateways(route: Route) -> Iterable[str]:
    """``ns/name`` of every Gateway the route names as a parent (namespace defaults to the route's)."""
    own = route.meta.key.namespace
    for ref in route.parent_refs:
        if ref.effective_group == GATEWAY_API_GROUP and ref.effective_kind == "Gateway":
            yield str(ObjectKey(ref.namespace or own, ref.name))


def route_backends(route: Route) -> Iterable[str]:
    """Service and ServiceImport backends of every rule, as ``backend_value`` strings."""
    own = route.meta.key.namespace
    seen: set[str] = set()
    for rule in route.rules:
        for ref in rule.backend_refs:
            kind = ref.effective_kind
            if (kind == "Service" and ref.effective_group == "") or (
                kind == "ServiceImport" and ref.effective_group in ("", AWS_GROUP)
            ):
                value = backend_value(kind, ObjectKey(ref.namespace_or(own), ref.name))
                if value not in seen:
                    seen.add(value)
                    yield value


def endpoint_slice_service(endpoint_slice: EndpointSlice) -> Iterable[str]:
    if endpoint_slice.service_name:
        yield str(ObjectKey(endpoint_slice.meta.key.namespace, endpoint_slice.service_name))


def record_namespace(record: Any) -> Iterable[str]:
    """For any record with ``meta.key``: its namespace (e.g. ReferenceGrants by namespace)."""
    yield record.meta.key.namespace


def export_service(export: ServiceExport) -> Iterable[str]:
    """``ns/name`` of the Service a ServiceExport exports (its name, or the service-name annotation)."""
    yield str(ObjectKey(export.meta.key.namespace, export.service_name))


def gated_pod(pod: Pod) -> Iterable[str]:
    """``GATED_PODS``: the namespace of a Pod that carries the readiness gate and is not being deleted."""
    if pod.gated and not pod.meta.deleting:
        yield pod.meta.key.namespace
