"""Core and discovery kinds the controller reads: Service, EndpointSlice, Namespace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import (
    Problems,
    as_list,
    as_map,
    as_str,
    opt_bool,
    opt_int,
    opt_str,
    str_tuple,
)
from lattice_controller.model.k8s.common import EMPTY_STR_MAP, Meta, StrMap, parse_meta, str_map

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int | None
    name: str = ""
    target_port: int | str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class Service:
    meta: Meta
    ports: tuple[ServicePort, ...] = ()
    ip_families: tuple[str, ...] = ()
    selector: StrMap = EMPTY_STR_MAP
    type: str = "ClusterIP"
    cluster_ip: str = ""
    problems: tuple[str, ...] = ()

    @property
    def deleting(self) -> bool:
        return self.meta.deleting


def parse_service(obj: Any) -> Service:
    problems = Problems()
    obj = as_map(obj, "", problems)
    spec = as_map(obj.get("spec"), "spec", problems)
    ports = []
    for i, raw in enumerate(as_list(spec.get("ports"), "spec.ports", problems)):
        p = as_map(raw, f"spec.ports[{i}]", problems)
        target = p.get("targetPort")
        target_port: int | str | None
        if isinstance(target, int) and not isinstance(target, bool):
            target_port = target
        else:
            target_port = opt_str(target, f"spec.ports[{i}].targetPort", problems)
        ports.append(
            ServicePort(
                port=opt_int(p.get("port"), f"spec.ports[{i}].port", problems),
                name=as_str(p.get("name")),
                target_port=target_port,
                protocol=as_str(p.get("protocol"), default="TCP"),
            )
        )
    return Service(
        meta=parse_meta(obj, problems),
        ports=tuple(ports),
        ip_families=str_tuple(spec.get("ipFamilies"), "spec.ipFamilies", problems),
        selector=str_map(spec.get("selector"), "spec.selector", problems),
        type=as_str(spec.get("type"), default="ClusterIP"),
        cluster_ip=as_str(spec.get("clusterIP")),
        problems=problems.freeze(),
    )


@dataclass(frozen=True, slots=True)
class EndpointPort:
    port: int | None
    name: str = ""
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One endpoint; conditions are ``None`` when unset (the API treats unset ready as ready)."""

    addresses: tuple[str, ...]
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None
    target_kind: str | None = None
    target_name: str | None = None
    target_namespace: str | None = None

    @property
    def is_ready(self) -> bool:
        return self.ready is not False

    @property
    def is_terminating(self) -> bool:
        return self.terminating is True


@dataclass(frozen=True, slots=True)
class EndpointSlice:
    meta: Meta
    service_name: str | None
    address_type: str = "IPv4"
    ports: tuple[EndpointPort, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()


def _parse_endpoint(raw: Any) -> Endpoint:
    e = as_map(raw, "")
    cond = as_map(e.get("conditions"), "")
    ref = as_map(e.get("targetRef"), "")
    return Endpoint(
        addresses=str_tuple(e.get("addresses")),
        ready=opt_bool(cond.get("ready")),
        serving=opt_bool(cond.get("serving")),
        terminating=opt_bool(cond.get("terminating")),
        target_kind=opt_str(ref.get("kind")) if ref else None,
        target_name=opt_str(ref.get("name")) if ref else None,
        target_namespace=opt_str(ref.get("namespace")) if ref else None,
    )


def parse_endpoint_slice(obj: Any) -> EndpointSlice:
    obj = as_map(obj, "")
    meta = parse_meta(obj)
    ports = []
    for raw in as_list(obj.get("ports"), "ports"):
        p = as_map(raw, "")
        ports.append(
            EndpointPort(
                port=opt_int(p.get("port"), "port"),
                name=as_str(p.get("name")),
                protocol=as_str(p.get("protocol"), default="TCP"),
            )
        )
    return EndpointSlice(
        meta=meta,
        service_name=meta.labels.get(SERVICE_NAME_LABEL),
        address_type=as_str(obj.get("addressType"), default="IPv4"),
        ports=tuple(ports),
        endpoints=tuple(_parse_endpoint(e) for e in as_list(obj.get("endpoints"), "endpoints")),
    )


@dataclass(frozen=True, slots=True)
class Namespace:
    meta: Meta

    @property
    def labels(self) -> StrMap:
        return self.meta.labels


def parse_namespace(obj: Any) -> Namespace:
    return Namespace(parse_meta(obj))
