"""HTTPS listeners: the certificate comes from the Gateway listener's certificate-arn option, else from
ACM discovery on the route's first hostname (its custom domain) — exact name before wildcard, newest
first; none found is `CertificateNotFound` until one is imported; a certificate no longer wanted is
removed from the service."""

from __future__ import annotations

import time

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    apply,
    backend_rule,
    create_service_network,
    delete_namespaces,
    eventually,
    lattice,
    namespace_yaml,
    route_yaml,
    service_yaml,
    unique_ns,
    wait_route_condition,
    wait_value,
)
from e2e.scenarios.support_kinds import import_certificate, kinds_gateway_yaml, service_detail

BYOC_ARN = "arn:aws:acm:us-west-2:123456789012:certificate/11111111-2222-4333-8444-555555555555"


def _listeners(fake: FakeAws, service_name: str) -> list[tuple[str, int]] | None:
    service = lattice(fake).service(service_name)
    return sorted((lst["protocol"], lst["port"]) for lst in service["listeners"]) if service else None


def _certificate(fake: FakeAws, service_name: str) -> tuple[str | None, str | None] | None:
    """(customDomainName, certificateArn) of the service, None while it does not exist."""
    service = lattice(fake).service(service_name)
    if service is None:
        return None
    detail = service_detail(fake, service["id"])
    return detail.get("customDomainName"), detail.get("certificateArn")


def _with_certificate(value: tuple[str | None, str | None] | None) -> bool:
    return value is not None and bool(value[1])


def test_acm_discovery_exact_newest_not_found_retry_and_removal(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    wildcard = import_certificate(fake_aws, "*.example.com")
    older = import_certificate(fake_aws, "shop.example.com")
    time.sleep(1.1)  # ImportedAt has one-second resolution
    newer = import_certificate(fake_aws, "shop.example.com", "www.shop.example.com")
    ns = unique_ns("https")
    apply(
        workloads,
        namespace_yaml(ns)
        + kinds_gateway_yaml(ns, certificate_arn=None)
        + service_yaml(ns, "svc1")
        + route_yaml(
            ns,
            "shop",
            backend_rule("svc1"),
            hostnames=("shop.example.com", "extra.example.com"),
            section="https",
        )
        + route_yaml(ns, "cart", backend_rule("svc1"), hostnames=("cart.example.com",), section="https")
        + route_yaml(ns, "lost", backend_rule("svc1"), hostnames=("lost.other.test",), section="https"),
    )
    try:
        shop, cart, lost = f"shop-{ns}", f"cart-{ns}", f"lost-{ns}"
        assert wait_value(
            lambda: _certificate(fake_aws, shop), _with_certificate, what="shop certificate"
        ) == (
            "shop.example.com",
            newer,
        ), older
        assert wait_value(
            lambda: _certificate(fake_aws, cart), _with_certificate, what="cart certificate"
        ) == (
            "cart.example.com",
            wildcard,
        )
        assert _listeners(fake_aws, shop) == [("HTTPS", 443)]

        not_found = wait_route_condition(workloads, ns, "lost", "Accepted", "False", "CertificateNotFound")
        assert not_found["message"] == "no matching ACM certificate found for hostname lost.other.test"
        assert lattice(fake_aws).service(lost) is None

        # The route is retried: once a certificate is imported it is found (the listing is cached ~60 s).
        imported = import_certificate(fake_aws, "lost.other.test")
        assert wait_value(
            lambda: _certificate(fake_aws, lost),
            _with_certificate,
            timeout=180,
            what="lost service after the import",
        ) == ("lost.other.test", imported)
        wait_route_condition(workloads, ns, "lost", "Accepted", "True", "Accepted", timeout=30)

        # Moved to the HTTP listener: no certificate is wanted any more, and it is removed.
        apply(
            workloads,
            route_yaml(ns, "cart", backend_rule("svc1"), hostnames=("cart.example.com",), section="http"),
        )
        eventually(lambda: _listeners(fake_aws, cart) == [("HTTP", 80)], what="cart on HTTP only")
        assert wait_value(
            lambda: _certificate(fake_aws, cart),
            lambda c: c is not None and not c[1],
            what="certificate removed",
        ) == ("cart.example.com", None)
    finally:
        delete_namespaces(workloads, ns)


def test_listener_certificate_option_wins_without_section_name(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    """The reference's bring-your-own-certificate case: the option is used, discovery is not, and a
    parentRef without sectionName attaches to the HTTP and HTTPS listeners alike."""
    import_certificate(fake_aws, "*.example.com")  # would match: the option must win
    create_service_network(fake_aws, "byoc")
    ns = unique_ns("byoc")
    apply(
        workloads,
        namespace_yaml(ns)
        + kinds_gateway_yaml(ns, "byoc", certificate_arn=BYOC_ARN)
        + service_yaml(ns, "svc1")
        + route_yaml(ns, "pay", backend_rule("svc1"), gateway="byoc", hostnames=("pay.example.com",)),
    )
    try:
        name = f"pay-{ns}"
        assert wait_value(
            lambda: _certificate(fake_aws, name), _with_certificate, what="pay certificate"
        ) == (
            "pay.example.com",
            BYOC_ARN,
        )
        eventually(lambda: _listeners(fake_aws, name) == [("HTTP", 80), ("HTTPS", 443)], what="two listeners")
        wait_route_condition(workloads, ns, "pay", "Accepted", "True", "Accepted")
    finally:
        delete_namespaces(workloads, ns)
