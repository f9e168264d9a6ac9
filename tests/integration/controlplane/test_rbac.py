"""A restricted ServiceAccount identity is allowed what its role grants and denied everything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from e2e.controlplane.plane import ControlPlane

pytestmark = pytest.mark.integration

GROUP, VERSION = "gateway.networking.k8s.io", "v1"
READ_ROUTES_ROLE = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: lc-test-route-reader
rules:
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes/status"]
  verbs: ["update", "patch"]
"""


async def _client_for(kubeconfig: str) -> client.ApiClient:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    return client.ApiClient(configuration=configuration)


def _route(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "HTTPRoute",
        "metadata": {"name": name},
        "spec": {"parentRefs": [{"name": "gw"}]},
    }


async def test_restricted_identity_gets_exactly_its_role(
    control_plane: ControlPlane, kube_api: client.ApiClient, namespace: str
) -> None:
    await client.CustomObjectsApi(kube_api).create_namespaced_custom_object(
        GROUP, VERSION, namespace, "httproutes", _route("existing")
    )
    kubeconfig = control_plane.restricted_kubeconfig("route-reader", READ_ROUTES_ROLE)
    api = await _client_for(str(kubeconfig))
    try:
        custom = client.CustomObjectsApi(api)
        listing = await custom.list_namespaced_custom_object(GROUP, VERSION, namespace, "httproutes")
        assert [r["metadata"]["name"] for r in listing["items"]] == ["existing"]

        with pytest.raises(ApiException) as created:
            await custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "httproutes", _route("x"))
        assert created.value.status == 403

        with pytest.raises(ApiException) as secrets:
            await client.CoreV1Api(api).list_namespaced_secret(namespace)
        assert secrets.value.status == 403
    finally:
        await api.close()

    who = control_plane.kubectl(
        "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}", kubeconfig=kubeconfig
    )
    assert who.stdout == "system:serviceaccount:lc-identities:route-reader", who.stderr
    can_i = control_plane.kubectl(
        "auth", "can-i", "patch", "httproutes", "--subresource=status", "-n", namespace, kubeconfig=kubeconfig
    )
    assert can_i.stdout.strip() == "yes", can_i.stderr


async def test_restricted_identity_from_plain_rules(control_plane: ControlPlane, namespace: str) -> None:
    rules = [{"apiGroups": [""], "resources": ["services"], "verbs": ["list"]}]
    kubeconfig = control_plane.restricted_kubeconfig("svc-lister", rules)
    allowed = control_plane.kubectl("get", "services", "-n", namespace, kubeconfig=kubeconfig)
    assert allowed.returncode == 0, allowed.stderr
    denied = control_plane.kubectl("get", "endpointslices", "-n", namespace, kubeconfig=kubeconfig)
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr.lower()


def test_identity_from_the_project_rbac_manifest(control_plane: ControlPlane, namespace: str) -> None:
    manifest = Path(__file__).resolve().parents[3] / "manifests" / "rbac.yaml"
    if not manifest.exists():
        pytest.skip("manifests/rbac.yaml not present")
    kubeconfig = control_plane.restricted_kubeconfig("project-rbac", manifest)

    def can_i(*args: str) -> str:
        return control_plane.kubectl("auth", "can-i", *args, kubeconfig=kubeconfig).stdout.strip()

    assert can_i("watch", "httproutes.gateway.networking.k8s.io", "-n", namespace) == "yes"
    assert can_i("list", "endpointslices.discovery.k8s.io", "--all-namespaces") == "yes"
    assert can_i("get", "secrets", "-n", namespace) == "no"
    assert can_i("create", "leases.coordination.k8s.io", "-n", "aws-application-networking-system") == "yes"
    assert can_i("create", "leases.coordination.k8s.io", "-n", namespace) == "no"
