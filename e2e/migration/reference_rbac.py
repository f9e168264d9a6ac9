"""The ClusterRole the Go controller's chart (v2.1.x) installs, as PolicyRules.

Same name as ours (``aws-application-networking-controller``), so whichever is applied last wins. It has
no rule for ReferenceGrants (the Go controller never reads them) and broad write verbs on inputs that we
never use. Tests bind a ServiceAccount to it to see how lattice-controller behaves under it.
"""

from __future__ import annotations

from typing import Any

CLUSTER_ROLE_NAME = "aws-application-networking-controller"

_ALL = ["create", "delete", "get", "list", "patch", "update", "watch"]
_STATUS = ["get", "patch", "update"]
_GATEWAY_API = ["gatewayclasses", "gateways", "httproutes", "grpcroutes", "tlsroutes"]
_AWS_KINDS = [
    "serviceexports",
    "serviceimports",
    "targetgrouppolicies",
    "vpcassociationpolicies",
    "accesslogpolicies",
    "iamauthpolicies",
]


def _rule(group: str, resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": [group], "resources": resources, "verbs": verbs}


REFERENCE_CLUSTER_ROLE_RULES: list[dict[str, Any]] = [
    _rule("", ["events"], ["create", "patch"]),
    _rule("", ["endpoints"], _ALL),
    _rule("", ["endpoints/status"], _STATUS),
    _rule("discovery.k8s.io", ["endpointslices"], _ALL),
    _rule("discovery.k8s.io", ["endpointslices/status"], _STATUS),
    _rule("", ["configmaps"], _ALL),
    _rule("coordination.k8s.io", ["leases"], _ALL),
    _rule("", ["pods"], _ALL),
    _rule("", ["pods/finalizers"], ["update"]),
    _rule("", ["pods/status"], _STATUS),
    _rule("", ["namespaces"], ["get", "list", "watch"]),
    _rule("", ["services"], _ALL),
    _rule("", ["services/finalizers"], ["update"]),
    _rule("", ["services/status"], _STATUS),
    _rule("gateway.networking.k8s.io", _GATEWAY_API, _ALL),
    _rule("gateway.networking.k8s.io", [f"{r}/finalizers" for r in _GATEWAY_API], ["update"]),
    _rule("gateway.networking.k8s.io", [f"{r}/status" for r in _GATEWAY_API], _STATUS),
    _rule("application-networking.k8s.aws", _AWS_KINDS, _ALL),
    _rule("application-networking.k8s.aws", [f"{r}/finalizers" for r in _AWS_KINDS], ["update"]),
    _rule("application-networking.k8s.aws", [f"{r}/status" for r in _AWS_KINDS], _STATUS),
    _rule("application-networking.k8s.aws", ["servicenetworks"], ["get", "list", "watch", "update", "patch"]),
    _rule("application-networking.k8s.aws", ["servicenetworks/finalizers"], ["update"]),
    _rule("application-networking.k8s.aws", ["servicenetworks/status"], _STATUS),
    _rule("externaldns.k8s.io", ["dnsendpoints"], _ALL),
]


def reference_cluster_role(name: str = CLUSTER_ROLE_NAME) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": REFERENCE_CLUSTER_ROLE_RULES,
    }
