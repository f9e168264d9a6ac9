"""Services and their listeners (each listener owns a default rule, see `rules`)."""

from __future__ import annotations

import hashlib
from typing import Any

from e2e.fakeaws import knobs, lookup, validate
from e2e.fakeaws.errors import conflict, quota_exceeded, validation_error
from e2e.fakeaws.idempotency import create_once
from e2e.fakeaws.ids import iso, new_id, now, touched
from e2e.fakeaws.pagination import paginate
from e2e.fakeaws.records import Listener, Service
from e2e.fakeaws.registry import Args, Reply, drop_none, operation, optional_int, required
from e2e.fakeaws.rules import make_default_rule
from e2e.fakeaws.state import LatticeState

AUTH_TYPES = ("NONE", "AWS_IAM")
LISTENER_PROTOCOLS = ("HTTP", "HTTPS", "TLS_PASSTHROUGH")
DEFAULT_PORTS = {"HTTP": 80, "HTTPS": 443, "TLS_PASSTHROUGH": 443}


def dns_entry(svc: Service) -> dict[str, str]:
    return {"domainName": svc.dns_domain_name, "hostedZoneId": svc.hosted_zone_id}


def _service_view(svc: Service) -> dict[str, Any]:
    return drop_none(
        {
            "id": svc.id,
            "name": svc.name,
            "arn": svc.arn,
            "createdAt": iso(svc.created_at),
            "lastUpdatedAt": iso(svc.updated_at),
            "dnsEntry": dns_entry(svc),
            "customDomainName": svc.custom_domain_name,
            "certificateArn": svc.certificate_arn,
            "status": svc.status,
            "authType": svc.auth_type,
            "idleTimeoutSeconds": svc.idle_timeout_seconds,
        }
    )


def _pick(view: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: view[k] for k in keys if k in view}


@operation("CreateService")
def create_service(state: LatticeState, args: Args) -> Reply:
    name = validate.name(required(args, "name"), "name", 40, forbidden_prefix="svc-")
    auth_type = validate.enum(args.get("authType"), "authType", AUTH_TYPES, default="NONE")
    tags = validate.tags(args.get("tags"))
    certificate_arn = args.get("certificateArn") or None
    custom_domain = args.get("customDomainName") or None
    if certificate_arn and ":certificate/" not in certificate_arn:
        raise validation_error(f"Invalid certificateArn '{certificate_arn}'", "certificateArn")

    def create() -> tuple[str, Service]:
        if any(s.name == name for s in state.services.values()):
            raise conflict(f"A service with the name '{name}' already exists.", "SERVICE", name)
        svc_id, stamp = new_id("svc"), now()
        digest = hashlib.sha256(svc_id.encode()).hexdigest()
        svc = Service(
            id=svc_id,
            arn=state.arn(f"service/{svc_id}"),
            seq=state.next_seq(),
            created_at=stamp,
            updated_at=stamp,
            tags=tags,
            name=name,
            auth_type=auth_type,
            certificate_arn=certificate_arn,
            custom_domain_name=custom_domain,
            idle_timeout_seconds=optional_int(args, "idleTimeoutSeconds"),
            dns_domain_name=f"{name}-{svc_id[4:18]}.{digest[:7]}.vpc-lattice-svcs.{state.region}.on.aws",
            hosted_zone_id="Z" + digest[7:20].upper(),
        )
        state.services[svc_id] = svc
        return svc_id, svc

    svc = create_once(state, "CreateService", args, state.services.get, create)
    view = _service_view(svc)
    return 201, _pick(
        view,
        "id",
        "arn",
        "name",
        "customDomainName",
        "certificateArn",
        "status",
        "authType",
        "idleTimeoutSeconds",
        "dnsEntry",
    )


@operation("GetService")
def get_service(state: LatticeState, args: Args) -> Reply:
    return 200, _service_view(lookup.service(state, args.get("serviceIdentifier")))


@operation("ListServices")
def list_services(state: LatticeState, args: Args) -> Reply:
    page, token = paginate(list(state.services.values()), args, lambda s: s.seq)
    items = [
        _pick(
            _service_view(s),
            "id",
            "name",
            "arn",
            "createdAt",
            "lastUpdatedAt",
            "dnsEntry",
            "customDomainName",
            "status",
        )
        for s in page
    ]
    return 200, drop_none({"items": items, "nextToken": token})


@operation("UpdateService")
def update_service(state: LatticeState, args: Args) -> Reply:
    svc = lookup.service(state, args.get("serviceIdentifier"))
    if args.get("authType") is not None:
        svc.auth_type = validate.enum(args["authType"], "authType", AUTH_TYPES)
    if "certificateArn" in args and args["certificateArn"] is not None:
        certificate_arn = args["certificateArn"] or None
        if certificate_arn and ":certificate/" not in certificate_arn:
            raise validation_error(f"Invalid certificateArn '{certificate_arn}'", "certificateArn")
        svc.certificate_arn = certificate_arn
    if args.get("idleTimeoutSeconds") is not None:
        svc.idle_timeout_seconds = optional_int(args, "idleTimeoutSeconds")
    svc.updated_at = touched(svc.updated_at)
    return 200, _pick(
        _service_view(svc),
        "id",
        "arn",
        "name",
        "customDomainName",
        "certificateArn",
        "authType",
        "idleTimeoutSeconds",
    )


@operation("DeleteService")
def delete_service(state: LatticeState, args: Args) -> Reply:
    svc = lookup.service(state, args.get("serviceIdentifier"))
    associations = sorted(a.id for a in state.sn_service_associations.values() if a.service_id == svc.id)
    if associations:
        raise conflict(
            f"Service {svc.id} cannot be deleted while it is associated with service networks "
            f"({', '.join(associations)}); delete the associations first.",
            "SERVICE",
            svc.id,
        )
    for listener in [item for item in state.listeners.values() if item.service_id == svc.id]:
        _drop_listener(state, listener)
    from e2e.fakeaws.policies import forget_policies_of

    forget_policies_of(state, svc.id)
    del state.services[svc.id]
    return 200, {"id": svc.id, "arn": svc.arn, "name": svc.name, "status": "DELETE_IN_PROGRESS"}


# --- listeners -----------------------------------------------------------------------------------------


def _listener_view(listener: Listener) -> dict[str, Any]:
    return {
        "arn": listener.arn,
        "id": listener.id,
        "name": listener.name,
        "protocol": listener.protocol,
        "port": listener.port,
        "serviceArn": listener.service_arn,
        "serviceId": listener.service_id,
        "defaultAction": listener.default_action,
        "createdAt": iso(listener.created_at),
        "lastUpdatedAt": iso(listener.updated_at),
    }


def _drop_listener(state: LatticeState, listener: Listener) -> None:
    for rule in lookup.listener_rules(state, listener):
        del state.rules[rule.id]
    del state.listeners[listener.id]


@operation("CreateListener")
def create_listener(state: LatticeState, args: Args) -> Reply:
    svc = lookup.service(state, args.get("serviceIdentifier"))
    name = validate.name(required(args, "name"), "name", 63, forbidden_prefix="listener-")
    protocol = validate.enum(required(args, "protocol"), "protocol", LISTENER_PROTOCOLS)
    port = optional_int(args, "port")
    port = DEFAULT_PORTS[protocol] if port is None else validate.int_range(port, "port", 1, 65535)
    default_action = validate.rule_action(state, required(args, "defaultAction"), "defaultAction")
    tags = validate.tags(args.get("tags"))

    def create() -> tuple[str, Listener]:
        siblings = [item for item in state.listeners.values() if item.service_id == svc.id]
        for sibling in siblings:
            if sibling.name == name:
                raise conflict(
                    f"A listener with the name '{name}' already exists in service {svc.id}.",
                    "LISTENER",
                    sibling.id,
                )
            if sibling.port == port:
                raise conflict(
                    f"A listener on port {port} already exists in service {svc.id}.", "LISTENER", sibling.id
                )
        limit = knobs.current().max_listeners_per_service
        if len(siblings) >= limit:
            raise quota_exceeded(
                f"Service {svc.id} already has {limit} listeners, the maximum.", "LISTENER", "L-B2B4B1D7"
            )
        listener_id, stamp = new_id("listener"), now()
        listener = Listener(
            id=listener_id,
            arn=f"{svc.arn}/listener/{listener_id}",
            seq=state.next_seq(),
            created_at=stamp,
            updated_at=stamp,
            tags=tags,
            service_id=svc.id,
            service_arn=svc.arn,
            name=name,
            protocol=protocol,
            port=port,
            default_action=default_action,
        )
        state.listeners[listener_id] = listener
        default_rule = make_default_rule(state, listener)
        state.rules[default_rule.id] = default_rule
        return listener_id, listener

    listener = create_once(state, "CreateListener", args, state.listeners.get, create)
    return 201, _pick(
        _listener_view(listener),
        "arn",
        "id",
        "name",
        "protocol",
        "port",
        "serviceArn",
        "serviceId",
        "defaultAction",
    )


@operation("GetListener")
def get_listener(state: LatticeState, args: Args) -> Reply:
    return 200, _listener_view(
        lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    )


@operation("UpdateListener")
def update_listener(state: LatticeState, args: Args) -> Reply:
    listener = lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    listener.default_action = validate.rule_action(state, required(args, "defaultAction"), "defaultAction")
    listener.updated_at = touched(listener.updated_at)
    return 200, _pick(
        _listener_view(listener),
        "arn",
        "id",
        "name",
        "protocol",
        "port",
        "serviceArn",
        "serviceId",
        "defaultAction",
    )


@operation("DeleteListener")
def delete_listener(state: LatticeState, args: Args) -> Reply:
    _drop_listener(
        state, lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    )
    return 204, None


@operation("ListListeners")
def list_listeners(state: LatticeState, args: Args) -> Reply:
    svc = lookup.service(state, args.get("serviceIdentifier"))
    listeners = [item for item in state.listeners.values() if item.service_id == svc.id]
    page, token = paginate(listeners, args, lambda item: item.seq)
    items = [
        _pick(_listener_view(item), "arn", "id", "name", "protocol", "port", "createdAt", "lastUpdatedAt")
        for item in page
    ]
    return 200, drop_none({"items": items, "nextToken": token})
