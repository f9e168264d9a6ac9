"""A Gateway listener's own conditions: its protocol, its route kinds and its TLS certificates (pure).

VPC Lattice listeners speak HTTP, HTTPS and TLS; anything else is ``Accepted=False/UnsupportedProtocol``.
Lattice serves ACM certificates only (the ``certificate-arn`` listener option): a Secret in
``tls.certificateRefs`` is never read (the controller has no access to Secrets), so it cannot
resolve — ``ResolvedRefs=False/InvalidCertificateRef`` with a message naming the option, unless
the option is set too. A reference to another namespace needs a ReferenceGrant there
(``RefNotPermitted``); a group/kind other than a core Secret is ``InvalidCertificateRef``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lattice_controller.model.k8s import (
    GATEWAY_API_GROUP,
    Condition,
    Gateway,
    Listener,
    ReferenceGrant,
    RouteGroupKind,
    reference_permitted,
)
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build.attachment import supported_kinds_by_protocol

CERTIFICATE_ARN_OPTION = "application-networking.k8s.aws/certificate-arn"
SUPPORTED_PROTOCOLS = ("HTTP", "HTTPS", "TLS")


@dataclass(frozen=True, slots=True)
class ListenerCheck:
    """``valid``: the listener counts as valid for the Gateway's ``Accepted`` (a listener with
    unresolved certificates is valid but not programmed). ``conditions`` without transition times."""

    valid: bool
    kinds: tuple[RouteGroupKind, ...]
    conditions: tuple[Condition, ...]


def _listener_kinds(listener: Listener) -> tuple[bool, tuple[RouteGroupKind, ...]]:
    """(valid, supportedKinds) — the reference's listenerRouteGroupKindSupported."""
    if not listener.allowed_kinds:
        return True, tuple(RouteGroupKind(None, k) for k in supported_kinds_by_protocol(listener.protocol))
    valid = True
    kinds = []
    for gk in listener.allowed_kinds:
        if gk.kind == "HTTPRoute":
            kinds.append(RouteGroupKind(None, "HTTPRoute"))
        elif gk.kind == "GRPCRoute" and listener.protocol == "HTTPS":
            kinds.append(RouteGroupKind(None, "GRPCRoute"))
        elif gk.kind == "TLSRoute" and listener.protocol == "TLS":
            kinds.append(RouteGroupKind(None, "TLSRoute"))
        else:
            valid = False
    return valid, tuple(kinds)


def terminates_tls(listener: Listener) -> bool:
    return listener.protocol == "HTTPS" or (listener.protocol == "TLS" and listener.tls_mode == "Terminate")


def certificate_problem(
    gateway: Gateway, listener: Listener, grants: Iterable[ReferenceGrant]
) -> tuple[str, str] | None:
    """(reason, message) for the first certificateRef that cannot be used, or None."""
    if not terminates_tls(listener):
        return None
    grants = tuple(grants)
    has_arn = bool(listener.tls_options.get(CERTIFICATE_ARN_OPTION))
    for i, ref in enumerate(listener.certificate_refs):
        where = f"certificateRefs[{i}]"
        if ref.group != "" or ref.kind != "Secret":
            group = ref.group or "core"
            return c.REASON_INVALID_CERTIFICATE_REF, (
                f"{where}: {ref.kind} of group {group} is not a certificate source; VPC Lattice serves "
                f"ACM certificates: set the listener's tls option {CERTIFICATE_ARN_OPTION}"
            )
        namespace = ref.namespace or gateway.meta.namespace
        if not reference_permitted(
            grants, GATEWAY_API_GROUP, "Gateway", gateway.meta.namespace, "", "Secret", namespace, ref.name
        ):
            return c.REASON_REF_NOT_PERMITTED, (
                f"{where}: Secret {namespace}/{ref.name} is in another namespace and no ReferenceGrant "
                f"in {namespace} allows Gateways of {gateway.meta.namespace} to refer to it"
            )
        if not has_arn:
            return c.REASON_INVALID_CERTIFICATE_REF, (
                f"{where}: VPC Lattice serves ACM certificates, not Kubernetes Secrets (Secret "
                f"{namespace}/{ref.name} is not read); set the listener's tls option "
                f"{CERTIFICATE_ARN_OPTION} to the ACM certificate's ARN"
            )
    return None


def check_listener(gateway: Gateway, listener: Listener, grants: Iterable[ReferenceGrant]) -> ListenerCheck:
    generation = gateway.meta.generation
    if listener.protocol not in SUPPORTED_PROTOCOLS:
        message = (
            f"protocol {listener.protocol} is not supported: VPC Lattice listeners speak "
            f"{', '.join(SUPPORTED_PROTOCOLS)}"
        )
        return ListenerCheck(
            False,
            (),
            (
                c.condition(c.ACCEPTED, c.REASON_UNSUPPORTED_PROTOCOL, message, generation),
                c.condition(c.PROGRAMMED, c.REASON_INVALID, message, generation),
            ),
        )
    valid, kinds = _listener_kinds(listener)
    if not valid:
        return ListenerCheck(
            False, kinds, (c.condition(c.RESOLVED_REFS, c.REASON_INVALID_ROUTE_KINDS, "", generation),)
        )
    problem = certificate_problem(gateway, listener, grants)
    if problem is not None:
        reason, message = problem
        conditions: tuple[Condition, ...] = (
            c.condition(c.ACCEPTED, c.REASON_ACCEPTED, "", generation),
            c.condition(c.RESOLVED_REFS, reason, message, generation),
            c.condition(c.PROGRAMMED, c.REASON_INVALID, message, generation),
        )
        return ListenerCheck(True, kinds, conditions)
    resolved_message = ""
    if terminates_tls(listener) and listener.certificate_refs:
        resolved_message = (
            f"certificateRefs are not read: the ACM certificate of {CERTIFICATE_ARN_OPTION} is served"
        )
    conditions = (
        c.condition(c.ACCEPTED, c.REASON_ACCEPTED, "", generation),
        c.condition(c.RESOLVED_REFS, c.REASON_RESOLVED_REFS, resolved_message, generation),
        c.condition(c.PROGRAMMED, c.REASON_PROGRAMMED, "", generation),
    )
    return ListenerCheck(True, kinds, conditions)
