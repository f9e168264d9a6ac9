"""Kind coordinates: API paths, apiVersion, version-independent identity."""

from __future__ import annotations

from lattice_controller.kube import kinds as k


def test_paths_for_core_group_and_cluster_scoped_kinds() -> None:
    assert k.SERVICE.collection_path() == "/api/v1/services"
    assert k.SERVICE.object_path("ns", "svc") == "/api/v1/namespaces/ns/services/svc"
    assert k.ENDPOINT_SLICE.collection_path("ns") == "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices"
    assert k.HTTP_ROUTE.object_path("ns", "r", "status") == (
        "/apis/gateway.networking.k8s.io/v1/namespaces/ns/httproutes/r/status"
    )
    assert k.GATEWAY_CLASS.object_path("", "gc") == "/apis/gateway.networking.k8s.io/v1/gatewayclasses/gc"
    assert k.SERVICE_NETWORK.collection_path("ignored") == (
        "/apis/application-networking.k8s.aws/v1alpha1/servicenetworks"
    )


def test_identity_does_not_depend_on_the_resolved_version() -> None:
    old = k.TLS_ROUTE.at_version("v1alpha2")
    assert old.group_kind == k.TLS_ROUTE.group_kind == "TLSRoute.gateway.networking.k8s.io"
    assert old.api_version == "gateway.networking.k8s.io/v1alpha2"
    assert old.candidate_versions == ("v1alpha2",)
    assert k.TLS_ROUTE.candidate_versions == ("v1", "v1alpha3", "v1alpha2")
    assert k.SERVICE.api_version == "v1"
    assert k.SERVICE.group_kind == "Service"
