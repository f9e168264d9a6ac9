"""The audit log reader tells an RBAC refusal from other 403s (e.g. a namespace being deleted)."""

from __future__ import annotations

import json
from pathlib import Path

from e2e.controlplane.audit import AuditLog, forbidden

USER = "system:serviceaccount:ns:controller"


def _event(code: int, decision: str, resource: str) -> str:
    return json.dumps(
        {
            "stage": "ResponseComplete",
            "verb": "create",
            "user": {"username": USER},
            "objectRef": {"resource": resource, "namespace": "t1", "name": "x"},
            "responseStatus": {"code": code},
            "annotations": {"authorization.k8s.io/decision": decision},
        }
    )


def test_only_what_rbac_refused_is_forbidden(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_text(
        "\n".join(
            [
                _event(201, "allow", "events"),
                _event(403, "forbid", "secrets"),
                _event(403, "allow", "events"),  # namespace terminating: admission, not RBAC
            ]
        )
    )
    entries = AuditLog(path).since_mark(USER)
    assert [(e.code, e.decision) for e in entries] == [(201, "allow"), (403, "forbid"), (403, "allow")]
    assert [e.resource for e in forbidden(entries)] == ["secrets"]
