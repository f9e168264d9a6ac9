"""Listener conditions: unsupported protocols, certificateRefs (kinds, ReferenceGrants, Secrets vs ACM),
and the Gateway's Accepted reason; the routes of a listener with unusable certificates stay accepted."""

from __future__ import annotations

from typing import Any

from lattice_controller.model.k8s import ReferenceGrant, parse_reference_grant
from lattice_controller.reconcile.build import ServiceNetworkLookup, build_gateway, build_route
from lattice_controller.reconcile.build.listeners import CERTIFICATE_ARN_OPTION
from tests.unit.test_build_helpers import SETTINGS, gateway, route, snapshot

ARN = "arn:aws:acm:us-west-2:123456789012:certificate/abc"


def https(
    *refs: dict[str, Any], options: dict[str, str] | None = None, name: str = "https"
) -> dict[str, Any]:
    tls: dict[str, Any] = {"mode": "Terminate", "certificateRefs": list(refs)}
    if options:
        tls["options"] = options
    return {
        "name": name,
        "port": 443,
        "protocol": "HTTPS",
        "tls": tls,
        "allowedRoutes": {"namespaces": {"from": "All"}},
    }


def secret_grant(namespace: str, from_namespace: str, name: str | None = None) -> ReferenceGrant:
    to: dict[str, Any] = {"group": "", "kind": "Secret"}
    if name:
        to["name"] = name
    return parse_reference_grant(
        {
            "metadata": {"name": "certs", "namespace": namespace},
            "spec": {
                "from": [
                    {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": from_namespace}
                ],
                "to": [to],
            },
        }
    )


def listener_conditions(listeners: list[dict[str, Any]], grants: list[ReferenceGrant] | None = None) -> Any:
    build = build_gateway(
        gateway(listeners=listeners), [], {}, ServiceNetworkLookup(arn="arn:sn"), grants=grants or []
    )
    out = {s.name: {x.type: (x.status, x.reason, x.message) for x in s.conditions} for s in build.listeners}
    return build, out


def test_unsupported_protocol_alone_makes_the_gateway_not_accepted() -> None:
    build, listeners = listener_conditions([{"name": "invalid", "port": 1111, "protocol": "INVALID"}])
    status, reason, message = listeners["invalid"]["Accepted"]
    assert (status, reason) == ("False", "UnsupportedProtocol")
    assert "INVALID" in message
    assert "HTTP, HTTPS, TLS" in message
    assert listeners["invalid"]["Programmed"][0] == "False"
    assert build.listeners[0].supported_kinds == ()
    accepted = build.conditions[0]
    assert (accepted.status, accepted.reason) == ("False", "ListenersNotValid")


def test_one_good_and_one_unsupported_listener_accepts_the_gateway_with_listeners_not_valid() -> None:
    build, listeners = listener_conditions(
        [
            {"name": "http", "port": 80, "protocol": "HTTP"},
            {"name": "invalid", "port": 1111, "protocol": "INVALID"},
        ]
    )
    assert listeners["http"]["Accepted"][:2] == ("True", "Accepted")
    assert listeners["invalid"]["Accepted"][:2] == ("False", "UnsupportedProtocol")
    accepted = build.conditions[0]
    assert (accepted.status, accepted.reason) == ("True", "ListenersNotValid")
    assert "invalid" in accepted.message


def test_secret_certificate_is_not_read_and_names_the_certificate_arn_option() -> None:
    build, listeners = listener_conditions([https({"group": "", "kind": "Secret", "name": "cert"})])
    status, reason, message = listeners["https"]["ResolvedRefs"]
    assert (status, reason) == ("False", "InvalidCertificateRef")
    assert "ACM" in message
    assert CERTIFICATE_ARN_OPTION in message
    assert "infra/cert" in message
    assert listeners["https"]["Programmed"][:2] == ("False", "Invalid")
    assert listeners["https"]["Accepted"][:2] == ("True", "Accepted")
    assert (build.conditions[0].status, build.conditions[0].reason) == ("True", "Accepted")


def test_wrong_group_or_kind_is_an_invalid_certificate_ref_even_with_an_acm_certificate() -> None:
    for ref in (
        {"group": "wrong.group.company.io", "kind": "Secret", "name": "c"},
        {"group": "", "kind": "WrongKind", "name": "c"},
    ):
        _, listeners = listener_conditions([https(ref, options={CERTIFICATE_ARN_OPTION: ARN})])
        status, reason, message = listeners["https"]["ResolvedRefs"]
        assert (status, reason) == ("False", "InvalidCertificateRef"), ref
        assert ref["kind"] in message


def test_cross_namespace_secret_needs_a_matching_reference_grant() -> None:
    ref = {"group": "", "kind": "Secret", "name": "cert", "namespace": "web"}
    options = {CERTIFICATE_ARN_OPTION: ARN}
    _, missing = listener_conditions([https(ref, options=options)])
    assert missing["https"]["ResolvedRefs"][:2] == ("False", "RefNotPermitted")
    assert missing["https"]["Programmed"][0] == "False"
    for wrong in (
        secret_grant("web", "elsewhere"),
        secret_grant("web", "infra", "other"),
        secret_grant("x", "infra"),
    ):
        _, listeners = listener_conditions([https(ref, options=options)], [wrong])
        assert listeners["https"]["ResolvedRefs"][:2] == ("False", "RefNotPermitted"), wrong
    for good in (secret_grant("web", "infra"), secret_grant("web", "infra", "cert")):
        _, listeners = listener_conditions([https(ref, options=options)], [good])
        assert listeners["https"]["ResolvedRefs"][:2] == ("True", "ResolvedRefs")
        assert listeners["https"]["Programmed"][:2] == ("True", "Programmed")
    # A permitted Secret without the ACM option still cannot be served.
    _, listeners = listener_conditions([https(ref)], [secret_grant("web", "infra")])
    assert listeners["https"]["ResolvedRefs"][:2] == ("False", "InvalidCertificateRef")


def test_acm_option_alone_and_plain_http_resolve() -> None:
    _, listeners = listener_conditions(
        [https(options={CERTIFICATE_ARN_OPTION: ARN}), {"name": "http", "port": 80, "protocol": "HTTP"}]
    )
    assert listeners["https"]["ResolvedRefs"] == ("True", "ResolvedRefs", "")
    assert listeners["http"]["Programmed"][:2] == ("True", "Programmed")


def test_routes_of_a_listener_with_a_secret_certificate_are_accepted_with_optional_acm_discovery() -> None:
    gw = gateway(listeners=[https({"group": "", "kind": "Secret", "name": "cert"})])
    r = route(hostnames=["shop.example.com"])
    build = build_route(snapshot(r, gateways=[gw]), SETTINGS)
    (parent,) = build.parents
    assert [(x.type, x.status, x.reason) for x in parent.conditions] == [
        ("Accepted", "True", "Accepted"),
        ("ResolvedRefs", "True", "ResolvedRefs"),
    ]
    assert build.desired.service is not None
    # ACM is still searched by hostname (the reference's dummy-certificateRef setups keep working);
    # finding nothing is the listener's problem, not the route's.
    assert build.desired.service.discover_certificate
    assert build.desired.service.certificate_optional
    assert build.desired.service.certificate_arn is None
    # Without certificateRefs a discovery that finds nothing is the route's CertificateNotFound.
    plain = build_route(snapshot(r, gateways=[gateway(listeners=[https()])]), SETTINGS)
    assert plain.desired.service is not None
    assert plain.desired.service.discover_certificate
    assert not plain.desired.service.certificate_optional


def test_gateway_build_counts_attached_routes_on_a_listener_with_unresolved_certificates() -> None:
    gw = gateway(listeners=[https({"group": "", "kind": "Secret", "name": "does-not-exist"})])
    build = build_gateway(gw, [route()], {}, ServiceNetworkLookup(arn="arn:sn"))
    (listener,) = build.listeners
    assert listener.attached_routes == 1
    assert {x.type: x.status for x in listener.conditions} == {
        "Accepted": "True",
        "ResolvedRefs": "False",
        "Programmed": "False",
    }
