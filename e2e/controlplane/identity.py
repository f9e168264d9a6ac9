"""Restricted identities for RBAC tests: ServiceAccount + (Cluster)Role + binding + TokenRequest.

The identity is the same kind of subject the controller has in a cluster
(`system:serviceaccount:<ns>:<name>`), so a kubeconfig made here shows exactly what its role allows.
"""

from __future__ import annotations

import base64
import copy
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from e2e.controlplane.pki import kubeconfig_document, write_kubeconfig
from e2e.controlplane.rest import ApiError, RestClient, poll

if TYPE_CHECKING:
    from e2e.controlplane.plane import ControlPlane

RBAC = "/apis/rbac.authorization.k8s.io/v1"
TOKEN_SECONDS = 24 * 3600
SAR_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


def _roles_from(name: str, rules_or_role: Any) -> list[dict[str, Any]]:
    """Normalise the input to a list of Role/ClusterRole objects.

    Accepts a list of PolicyRule dicts (→ one ClusterRole named `name`), a Role/ClusterRole dict, or YAML
    text (or a Path to a YAML file such as manifests/rbac.yaml) holding one or more Role/ClusterRole
    documents; other kinds in the text (ServiceAccount, bindings) are ignored.
    """
    if isinstance(rules_or_role, Path):
        rules_or_role = rules_or_role.read_text()
    if isinstance(rules_or_role, str):
        docs = [d for d in yaml.safe_load_all(rules_or_role) if isinstance(d, dict)]
    elif isinstance(rules_or_role, dict):
        docs = [copy.deepcopy(rules_or_role)]
    else:
        rules = list(rules_or_role)
        return [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": name},
                "rules": rules,
            }
        ]
    roles = [d for d in docs if d.get("kind") in ("Role", "ClusterRole")]
    if not roles:
        raise ValueError("expected PolicyRules, or a Role/ClusterRole object or YAML")
    return roles


def _upsert(client: RestClient, collection: str, obj: dict[str, Any]) -> None:
    try:
        client.create(collection, obj)
    except ApiError as exc:
        if exc.status != 409:
            raise
        current = client.get(f"{collection}/{obj['metadata']['name']}")
        obj = {
            **obj,
            "metadata": {**obj["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]},
        }
        client.request("PUT", f"{collection}/{obj['metadata']['name']}", obj)


def _bind(client: RestClient, name: str, role: dict[str, Any], subject: dict[str, str]) -> None:
    role_ref = {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": role["kind"],
        "name": role["metadata"]["name"],
    }
    if role["kind"] == "ClusterRole":
        collection = f"{RBAC}/clusterrolebindings"
        meta = {"name": f"{name}-{role['metadata']['name']}"}
        kind = "ClusterRoleBinding"
    else:
        ns = role["metadata"]["namespace"]
        collection = f"{RBAC}/namespaces/{ns}/rolebindings"
        meta = {"name": f"{name}-{role['metadata']['name']}", "namespace": ns}
        kind = "RoleBinding"
    # roleRef is immutable: replace a binding left by an earlier test rather than updating it.
    client.delete(f"{collection}/{meta['name']}")
    body = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta}
    client.create(collection, {**body, "roleRef": role_ref, "subjects": [subject]})


def _probe_attributes(roles: list[dict[str, Any]]) -> dict[str, str] | None:
    """SubjectAccessReview attributes that the first resource rule of `roles` must allow."""
    for role in roles:
        for rule in role.get("rules", []):
            if rule.get("resources") and rule.get("verbs"):
                attrs = {
                    "group": (rule.get("apiGroups") or [""])[0].replace("*", ""),
                    "resource": rule["resources"][0].split("/")[0].replace("*", "pods"),
                    "verb": rule["verbs"][0].replace("*", "get"),
                }
                if rule.get("resourceNames"):
                    attrs["name"] = rule["resourceNames"][0]
                if role["kind"] == "Role":
                    attrs["namespace"] = role["metadata"]["namespace"]
                return attrs
    return None


def _wait_rules_visible(client: RestClient, user: str, roles: list[dict[str, Any]]) -> None:
    """RBAC is served from an informer cache: wait until the first rule is effective for the user."""
    attrs = _probe_attributes(roles)
    if attrs is None:
        return
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": user,
            "groups": ["system:serviceaccounts", "system:authenticated"],
            "resourceAttributes": attrs,
        },
    }
    poll(
        f"RBAC rule visible for {user}",
        lambda: bool(client.create(SAR_PATH, review)["status"].get("allowed")),
        timeout=30.0,
        interval=0.1,
    )


def create_restricted_identity(
    plane: ControlPlane, name: str, rules_or_role: Any, *, namespace: str = "lc-identities"
) -> Path:
    """Create SA `namespace/name`, its role(s) and binding(s), request a token; return its kubeconfig."""
    client = plane.rest()
    client.create("/api/v1/namespaces", {"metadata": {"name": namespace}}, exist_ok=True)
    sa_path = f"/api/v1/namespaces/{namespace}/serviceaccounts"
    client.create(sa_path, {"metadata": {"name": name}}, exist_ok=True)
    subject = {"kind": "ServiceAccount", "name": name, "namespace": namespace}
    roles = _roles_from(name, rules_or_role)
    for role in roles:
        if role["kind"] == "ClusterRole":
            _upsert(client, f"{RBAC}/clusterroles", role)
        else:
            ns = role["metadata"].setdefault("namespace", namespace)
            client.create("/api/v1/namespaces", {"metadata": {"name": ns}}, exist_ok=True)
            _upsert(client, f"{RBAC}/namespaces/{ns}/roles", role)
        _bind(client, name, role, subject)
    _wait_rules_visible(client, f"system:serviceaccount:{namespace}:{name}", roles)
    request = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": TOKEN_SECONDS},
    }
    token = client.create(f"{sa_path}/{name}/token", request)["status"]["token"]
    doc = kubeconfig_document(plane.server, _ca_of(plane), user=name, token=token)
    path = plane.dir / f"{namespace}.{name}.{int(time.time() * 1000)}.kubeconfig"
    return write_kubeconfig(path, doc)


def _ca_of(plane: ControlPlane) -> bytes:
    doc = yaml.safe_load(plane.kubeconfig.read_text())
    return base64.b64decode(doc["clusters"][0]["cluster"]["certificate-authority-data"])
