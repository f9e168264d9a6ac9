"""Required-kind check and version resolution against the real apiserver with Gateway API CRDs."""

from __future__ import annotations

import pytest

from lattice_controller.kube import kinds as k
from lattice_controller.kube.discovery import MissingRequiredKinds, check_required_kinds
from lattice_controller.kube.rest import KubeRest

pytestmark = pytest.mark.integration


async def test_required_kinds_are_served_and_resolved(rest: KubeRest) -> None:
    resolved = await check_required_kinds(rest, optional=(*k.OPTIONAL_KINDS, *k.CORE_KINDS))
    assert {str(x) for x in resolved.required} == {
        "Gateway.gateway.networking.k8s.io/v1",
        "GatewayClass.gateway.networking.k8s.io/v1",
        "HTTPRoute.gateway.networking.k8s.io/v1",
        "GRPCRoute.gateway.networking.k8s.io/v1",
        "TLSRoute.gateway.networking.k8s.io/v1",
    }
    optional = {x.group_kind: x for x in resolved.optional}
    assert optional["ReferenceGrant.gateway.networking.k8s.io"].version == "v1"
    assert optional["EndpointSlice.discovery.k8s.io"].namespaced
    assert not optional["Namespace"].namespaced
    # manifests/crds are installed by the test control plane.
    assert optional["TargetGroupPolicy.application-networking.k8s.aws"].version == "v1alpha1"
    assert "DNSEndpoint.externaldns.k8s.io" not in optional  # external-dns's CRD is not installed here


async def test_missing_required_kind_is_reported_in_one_line(rest: KubeRest) -> None:
    not_served = k.Kind(k.GATEWAY_API_GROUP, "v1", "fooroutes", "FooRoute", True, ("v1alpha9",))
    with pytest.raises(MissingRequiredKinds) as info:
        await check_required_kinds(rest, required=(*k.REQUIRED_KINDS, not_served), optional=())
    assert str(info.value) == "missing required CRDs: FooRoute.gateway.networking.k8s.io/v1|v1alpha9"
    assert info.value.missing == (not_served,)
