"""HTTPRoute, GRPCRoute and TLSRoute as one ``Route`` record with a ``route_type`` discriminator.

Fields are kept as written (``None`` when absent) so status can echo parentRefs verbatim and
validation can report unsupported values; ``effective_*`` properties apply the CRD defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lattice_controller.model.k8s._parse import (
    Problems,
    as_list,
    as_map,
    as_str,
    opt_int,
    opt_str,
    str_tuple,
)
from lattice_controller.model.k8s.common import Condition, Meta, parse_conditions, parse_meta

GATEWAY_API_GROUP = "gateway.networking.k8s.io"


class RouteType(StrEnum):
    """The route kinds; the value is the reference's ``RouteType`` tag value."""

    HTTP = "http"
    GRPC = "grpc"
    TLS = "tls"

    @property
    def kind(self) -> str:
        return {"http": "HTTPRoute", "grpc": "GRPCRoute", "tls": "TLSRoute"}[self.value]

    @property
    def finalizer(self) -> str:
        return f"{self.value}route.k8s.aws/resources"

    @classmethod
    def from_kind(cls, kind: str) -> RouteType | None:
        for rt in cls:
            if rt.kind == kind:
                return rt
        return None


@dataclass(frozen=True, slots=True)
class ParentRef:
    name: str
    namespace: str | None = None
    group: str | None = None
    kind: str | None = None
    section_name: str | None = None
    port: int | None = None

    @property
    def effective_group(self) -> str:
        return GATEWAY_API_GROUP if self.group is None else self.group

    @property
    def effective_kind(self) -> str:
        return "Gateway" if self.kind is None else self.kind

    def to_k8s(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.group is not None:
            out["group"] = self.group
        if self.kind is not None:
            out["kind"] = self.kind
        if self.namespace is not None:
            out["namespace"] = self.namespace
        out["name"] = self.name
        if self.section_name is not None:
            out["sectionName"] = self.section_name
        if self.port is not None:
            out["port"] = self.port
        return out


@dataclass(frozen=True, slots=True)
class ValueMatch:
    """A header or query-parameter match; ``type`` None means the CRD default ``Exact``."""

    name: str
    value: str
    type: str | None = None


@dataclass(frozen=True, slots=True)
class GRPCMethodMatch:
    type: str | None = None
    service: str | None = None
    method: str | None = None


@dataclass(frozen=True, slots=True)
class RouteMatch:
    path_type: str | None = None
    path_value: str | None = None
    has_path: bool = False
    method: str | None = None
    headers: tuple[ValueMatch, ...] = ()
    query_params: tuple[ValueMatch, ...] = ()
    grpc_method: GRPCMethodMatch | None = None


@dataclass(frozen=True, slots=True)
class BackendRef:
    name: str
    namespace: str | None = None
    group: str | None = None
    kind: str | None = None
    port: int | None = None
    weight: int | None = None

    @property
    def effective_group(self) -> str:
        return self.group or ""

    @property
    def effective_kind(self) -> str:
        return "Service" if self.kind is None else self.kind

    @property
    def effective_weight(self) -> int:
        return 1 if self.weight is None else self.weight

    def namespace_or(self, route_namespace: str) -> str:
        return self.namespace or route_namespace


@dataclass(frozen=True, slots=True)
class RouteRule:
    matches: tuple[RouteMatch, ...] = ()
    backend_refs: tuple[BackendRef, ...] = ()
    name: str | None = None
    filter_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouteParentStatus:
    parent_ref: ParentRef
    controller_name: str
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Route:
    meta: Meta
    route_type: RouteType
    parent_refs: tuple[ParentRef, ...] = ()
    hostnames: tuple[str, ...] = ()
    rules: tuple[RouteRule, ...] = ()
    parents: tuple[RouteParentStatus, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.route_type.kind


def parse_parent_ref(raw: Any, path: str, problems: Problems | None = None) -> ParentRef:
    p = as_map(raw, path, problems)
    return ParentRef(
        name=as_str(p.get("name"), f"{path}.name", problems),
        namespace=opt_str(p.get("namespace"), f"{path}.namespace", problems),
        group=opt_str(p.get("group"), f"{path}.group", problems),
        kind=opt_str(p.get("kind"), f"{path}.kind", problems),
        section_name=opt_str(p.get("sectionName"), f"{path}.sectionName", problems),
        port=opt_int(p.get("port"), f"{path}.port", problems),
    )


def _value_matches(value: Any, path: str, problems: Problems) -> tuple[ValueMatch, ...]:
    out = []
    for i, raw in enumerate(as_list(value, path, problems)):
        m = as_map(raw, f"{path}[{i}]", problems)
        out.append(
            ValueMatch(
                name=as_str(m.get("name"), f"{path}[{i}].name", problems),
                value=as_str(m.get("value"), f"{path}[{i}].value", problems),
                type=opt_str(m.get("type"), f"{path}[{i}].type", problems),
            )
        )
    return tuple(out)


def _parse_match(raw: Any, path: str, problems: Problems, route_type: RouteType) -> RouteMatch:
    m = as_map(raw, path, problems)
    grpc: GRPCMethodMatch | None = None
    method: str | None = None
    if route_type is RouteType.GRPC:
        if m.get("method") is not None:
            gm = as_map(m.get("method"), f"{path}.method", problems)
            grpc = GRPCMethodMatch(
                type=opt_str(gm.get("type"), f"{path}.method.type", problems),
                service=opt_str(gm.get("service"), f"{path}.method.service", problems),
                method=opt_str(gm.get("method"), f"{path}.method.method", problems),
            )
    else:
        method = opt_str(m.get("method"), f"{path}.method", problems)
    path_raw = m.get("path")
    path_map = as_map(path_raw, f"{path}.path", problems)
    return RouteMatch(
        path_type=opt_str(path_map.get("type"), f"{path}.path.type", problems),
        path_value=opt_str(path_map.get("value"), f"{path}.path.value", problems),
        has_path=path_raw is not None,
        method=method,
        headers=_value_matches(m.get("headers"), f"{path}.headers", problems),
        query_params=_value_matches(m.get("queryParams"), f"{path}.queryParams", problems),
        grpc_method=grpc,
    )


def _parse_backend_ref(raw: Any, path: str, problems: Problems) -> BackendRef:
    b = as_map(raw, path, problems)
    return BackendRef(
        name=as_str(b.get("name"), f"{path}.name", problems),
        namespace=opt_str(b.get("namespace"), f"{path}.namespace", problems),
        group=opt_str(b.get("group"), f"{path}.group", problems),
        kind=opt_str(b.get("kind"), f"{path}.kind", problems),
        port=opt_int(b.get("port"), f"{path}.port", problems),
        weight=opt_int(b.get("weight"), f"{path}.weight", problems),
    )


def _parse_rule(raw: Any, path: str, problems: Problems, route_type: RouteType) -> RouteRule:
    r = as_map(raw, path, problems)
    filters = []
    for i, f in enumerate(as_list(r.get("filters"), f"{path}.filters", problems)):
        filters.append(as_str(as_map(f, f"{path}.filters[{i}]", problems).get("type")))
    return RouteRule(
        matches=tuple(
            _parse_match(m, f"{path}.matches[{i}]", problems, route_type)
            for i, m in enumerate(as_list(r.get("matches"), f"{path}.matches", problems))
        ),
        backend_refs=tuple(
            _parse_backend_ref(b, f"{path}.backendRefs[{i}]", problems)
            for i, b in enumerate(as_list(r.get("backendRefs"), f"{path}.backendRefs", problems))
        ),
        name=opt_str(r.get("name"), f"{path}.name", problems),
        filter_types=tuple(filters),
    )


def _parse_parent_status(raw: Any, path: str) -> RouteParentStatus:
    p = as_map(raw, path)
    return RouteParentStatus(
        parent_ref=parse_parent_ref(p.get("parentRef"), f"{path}.parentRef"),
        controller_name=as_str(p.get("controllerName")),
        conditions=parse_conditions(p.get("conditions"), f"{path}.conditions"),
    )


def parse_route(obj: Any, route_type: RouteType | None = None) -> Route:
    """Parse any of the three route kinds; ``route_type`` defaults to the object's ``kind``."""
    problems = Problems()
    obj = as_map(obj, "", problems)
    if route_type is None:
        route_type = RouteType.from_kind(as_str(obj.get("kind"))) or RouteType.HTTP
    spec = as_map(obj.get("spec"), "spec", problems)
    status = as_map(obj.get("status"), "status")
    return Route(
        meta=parse_meta(obj, problems),
        route_type=route_type,
        parent_refs=tuple(
            parse_parent_ref(p, f"spec.parentRefs[{i}]", problems)
            for i, p in enumerate(as_list(spec.get("parentRefs"), "spec.parentRefs", problems))
        ),
        hostnames=str_tuple(spec.get("hostnames"), "spec.hostnames", problems),
        rules=tuple(
            _parse_rule(r, f"spec.rules[{i}]", problems, route_type)
            for i, r in enumerate(as_list(spec.get("rules"), "spec.rules", problems))
        ),
        parents=tuple(
            _parse_parent_status(p, f"status.parents[{i}]")
            for i, p in enumerate(as_list(status.get("parents"), "status.parents"))
        ),
        problems=problems.freeze(),
    )


def parse_http_route(obj: Any) -> Route:
    return parse_route(obj, RouteType.HTTP)


def parse_grpc_route(obj: Any) -> Route:
    return parse_route(obj, RouteType.GRPC)


def parse_tls_route(obj: Any) -> Route:
    return parse_route(obj, RouteType.TLS)
