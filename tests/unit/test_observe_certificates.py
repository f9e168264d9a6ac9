"""discover_certificate: the desired service gets the ACM certificate, or the route a not-found error."""

from __future__ import annotations

from dataclasses import replace

from lattice_controller.aws.acm import AcmApi
from lattice_controller.aws.certificates import CertificateFinder
from lattice_controller.aws.testing import ScriptedTransport
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import RouteLatticeState, ServiceSpec
from lattice_controller.model.lattice_observed import ObservedRouteState
from lattice_controller.reconcile.diff import CreateService, plan_route
from lattice_controller.reconcile.observe import discover_certificate

ROUTE = ObjectKey("default", "web")
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/abc"


def desired(discover: bool = True, domain: str | None = "web.example.com") -> RouteLatticeState:
    service = ServiceSpec(
        "web-default", ROUTE, "http", "owner", custom_domain=domain, discover_certificate=discover
    )
    return RouteLatticeState(ROUTE, "http", "owner", service)


def finder(*domains: str) -> tuple[CertificateFinder, ScriptedTransport]:
    transport = ScriptedTransport()
    summaries = [{"CertificateArn": CERT, "DomainName": d} for d in domains]
    transport.on("ListCertificates", {"CertificateSummaryList": summaries})
    return CertificateFinder(AcmApi(transport)), transport


async def test_found_certificate_is_written_into_the_desired_service() -> None:
    certificates, _ = finder("web.example.com")
    found = await discover_certificate(desired(), certificates)
    assert found.not_found is None
    assert found.desired.service is not None
    assert found.desired.service.certificate_arn == CERT
    assert not found.desired.service.discover_certificate
    (create,) = [
        s for s in plan_route(found.desired, ObservedRouteState()).steps if isinstance(s, CreateService)
    ]
    assert create.certificate_arn == CERT


async def test_not_found_is_the_reference_error_text() -> None:
    certificates, _ = finder("other.example.com")
    result = await discover_certificate(desired(), certificates)
    assert result.not_found == "no matching ACM certificate found for hostname web.example.com"


async def test_nothing_is_looked_up_unless_asked() -> None:
    certificates, transport = finder("web.example.com")
    for state in (
        desired(discover=False),
        desired(domain=None),
        replace(desired(), deleting=True),
        replace(desired(), service=None),
    ):
        assert (await discover_certificate(state, certificates)).desired == state
    assert transport.count("ListCertificates") == 0
    state = desired()
    assert (await discover_certificate(state, None)).desired == state


async def test_optional_discovery_that_finds_nothing_builds_the_service_without_a_certificate() -> None:
    certificates, _ = finder("other.example.com")
    state = desired()
    assert state.service is not None
    optional = replace(state, service=replace(state.service, certificate_optional=True))
    result = await discover_certificate(optional, certificates)
    assert result.not_found is None
    assert result.desired.service is not None
    assert result.desired.service.certificate_arn is None
    assert not result.desired.service.discover_certificate
    found = await discover_certificate(optional, finder("web.example.com")[0])
    assert found.desired.service is not None
    assert found.desired.service.certificate_arn == CERT
