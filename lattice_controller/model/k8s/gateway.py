"""GatewayClass and Gateway records and their parsers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import Problems, as_list, as_map, as_str, opt_int, opt_str
from lattice_controller.model.k8s.common import (
    EMPTY_STR_MAP,
    Condition,
    LabelSelector,
    Meta,
    StrMap,
    parse_conditions,
    parse_label_selector,
    parse_meta,
    str_map,
)


@dataclass(frozen=True, slots=True)
class GatewayClass:
    meta: Meta
    controller_name: str
    conditions: tuple[Condition, ...] = ()
    supported_features: tuple[str, ...] = ()


def parse_gateway_class(obj: Any) -> GatewayClass:
    obj = as_map(obj, "")
    status = as_map(obj.get("status"), "status")
    features = [as_map(f, "status.supportedFeatures[]") for f in as_list(status.get("supportedFeatures"), "")]
    return GatewayClass(
        meta=parse_meta(obj),
        controller_name=as_str(as_map(obj.get("spec"), "spec").get("controllerName")),
        conditions=parse_conditions(status.get("conditions"), "status.conditions"),
        supported_features=tuple(as_str(f.get("name")) for f in features),
    )


@dataclass(frozen=True, slots=True)
class RouteGroupKind:
    group: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class CertificateRef:
    """One ``tls.certificateRefs[]`` entry (``group`` "": core; ``namespace`` None: the Gateway's)."""

    name: str
    group: str = ""
    kind: str = "Secret"
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class Listener:
    """One ``spec.listeners[]`` entry. ``namespaces_from`` is kept verbatim (``Same`` when unset)."""

    name: str
    port: int | None
    protocol: str
    hostname: str | None = None
    tls_mode: str | None = None
    tls_options: StrMap = EMPTY_STR_MAP
    certificate_refs: tuple[CertificateRef, ...] = ()
    namespaces_from: str = "Same"
    namespaces_selector: LabelSelector | None = None
    allowed_kinds: tuple[RouteGroupKind, ...] = ()


@dataclass(frozen=True, slots=True)
class ListenerStatus:
    name: str
    supported_kinds: tuple[RouteGroupKind, ...]
    attached_routes: int
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class GatewayAddress:
    type: str
    value: str


@dataclass(frozen=True, slots=True)
class Gateway:
    meta: Meta
    gateway_class_name: str
    listeners: tuple[Listener, ...] = ()
    conditions: tuple[Condition, ...] = ()
    listener_statuses: tuple[ListenerStatus, ...] = ()
    addresses: tuple[GatewayAddress, ...] = ()
    problems: tuple[str, ...] = ()


def _group_kinds(value: Any, path: str, problems: Problems | None) -> tuple[RouteGroupKind, ...]:
    out = []
    for i, raw in enumerate(as_list(value, path, problems)):
        gk = as_map(raw, f"{path}[{i}]", problems)
        out.append(RouteGroupKind(opt_str(gk.get("group")), as_str(gk.get("kind"))))
    return tuple(out)


def _certificate_refs(value: Any, path: str, problems: Problems) -> tuple[CertificateRef, ...]:
    out = []
    for i, raw in enumerate(as_list(value, path, problems)):
        ref = as_map(raw, f"{path}[{i}]", problems)
        out.append(
            CertificateRef(
                name=as_str(ref.get("name"), f"{path}[{i}].name", problems),
                group=as_str(ref.get("group")),
                kind=as_str(ref.get("kind"), default="Secret"),
                namespace=opt_str(ref.get("namespace")),
            )
        )
    return tuple(out)


def _parse_listener(raw: Any, path: str, problems: Problems) -> Listener:
    spec = as_map(raw, path, problems)
    tls = as_map(spec.get("tls"), f"{path}.tls", problems)
    allowed = as_map(spec.get("allowedRoutes"), f"{path}.allowedRoutes", problems)
    namespaces = as_map(allowed.get("namespaces"), f"{path}.allowedRoutes.namespaces", problems)
    selector_raw = namespaces.get("selector")
    return Listener(
        name=as_str(spec.get("name"), f"{path}.name", problems),
        port=opt_int(spec.get("port"), f"{path}.port", problems),
        protocol=as_str(spec.get("protocol"), f"{path}.protocol", problems),
        hostname=opt_str(spec.get("hostname"), f"{path}.hostname", problems),
        tls_mode=opt_str(tls.get("mode")) if tls else None,
        tls_options=str_map(tls.get("options"), f"{path}.tls.options", problems),
        certificate_refs=_certificate_refs(
            tls.get("certificateRefs"), f"{path}.tls.certificateRefs", problems
        ),
        namespaces_from=as_str(namespaces.get("from"), default="Same"),
        namespaces_selector=None
        if selector_raw is None
        else parse_label_selector(selector_raw, f"{path}.allowedRoutes.namespaces.selector", problems),
        allowed_kinds=_group_kinds(allowed.get("kinds"), f"{path}.allowedRoutes.kinds", problems),
    )


def _parse_listener_status(raw: Any, path: str) -> ListenerStatus:
    st = as_map(raw, path)
    return ListenerStatus(
        name=as_str(st.get("name")),
        supported_kinds=_group_kinds(st.get("supportedKinds"), f"{path}.supportedKinds", None),
        attached_routes=opt_int(st.get("attachedRoutes"), f"{path}.attachedRoutes") or 0,
        conditions=parse_conditions(st.get("conditions"), f"{path}.conditions"),
    )


def parse_gateway(obj: Any) -> Gateway:
    problems = Problems()
    obj = as_map(obj, "", problems)
    spec = as_map(obj.get("spec"), "spec", problems)
    status = as_map(obj.get("status"), "status")
    listeners = tuple(
        _parse_listener(raw, f"spec.listeners[{i}]", problems)
        for i, raw in enumerate(as_list(spec.get("listeners"), "spec.listeners", problems))
    )
    addresses = []
    for i, raw in enumerate(as_list(status.get("addresses"), "status.addresses")):
        a = as_map(raw, f"status.addresses[{i}]")
        addresses.append(GatewayAddress(as_str(a.get("type"), default="IPAddress"), as_str(a.get("value"))))
    return Gateway(
        meta=parse_meta(obj, problems),
        gateway_class_name=as_str(spec.get("gatewayClassName"), "spec.gatewayClassName", problems),
        listeners=listeners,
        conditions=parse_conditions(status.get("conditions"), "status.conditions"),
        listener_statuses=tuple(
            _parse_listener_status(raw, f"status.listeners[{i}]")
            for i, raw in enumerate(as_list(status.get("listeners"), "status.listeners"))
        ),
        addresses=tuple(addresses),
        problems=problems.freeze(),
    )
