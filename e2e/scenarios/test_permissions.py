"""The scenarios' promise about RBAC can fail: a controller whose role lacks a rule it needs is refused
(403) by the API server, and the harness turns that into a failure — here, a role without the right to
create events."""

from __future__ import annotations

import pytest
import yaml

from e2e.controlplane.plane import ControlPlane
from e2e.harness.controller import RBAC_MANIFEST, controller_env, start_controller
from e2e.scenarios.support import (
    apply,
    backend_rule,
    delete_namespaces,
    eventually,
    gateway_yaml,
    namespace_yaml,
    route_yaml,
    service_yaml,
    unique_ns,
    wait_route_condition,
)


def _roles_without_events() -> str:
    """manifests/rbac.yaml's roles without the events rule, the ClusterRole under its own name: a role of
    the shared name would take the rule away from every later test's controller too."""
    documents = [d for d in yaml.safe_load_all(RBAC_MANIFEST.read_text()) if d]
    for document in documents:
        if document.get("kind") == "ClusterRole":
            document["metadata"]["name"] = f"{document['metadata']['name']}-without-events"
            document["rules"] = [r for r in document["rules"] if "events" not in r.get("resources", [])]
    return yaml.safe_dump_all(documents)


def test_a_request_the_role_refuses_fails_the_run(workloads: ControlPlane, aws_env: dict[str, str]) -> None:
    env = controller_env(aws_env, DEFAULT_SERVICE_NETWORK="app-network")
    # Not ready by design: the start-up permission check sees the missing rule and says so on /readyz.
    process = start_controller(
        workloads,
        env,
        rbac=_roles_without_events(),
        service_account="lattice-controller-without-events",
        wait_ready=False,
    )
    ns = unique_ns("rbac")
    try:
        apply(
            workloads,
            namespace_yaml(ns)
            + gateway_yaml(ns)
            + service_yaml(ns, "svc")
            + route_yaml(ns, "r", backend_rule("svc")),
        )
        wait_route_condition(workloads, ns, "r", "Accepted", "True", timeout=60)
        refused = eventually(process.forbidden, timeout=60, what="the refused event")
        assert {(e.verb, e.resource) for e in refused} == {("create", "events")}
    finally:
        delete_namespaces(workloads, ns)
        process.stop()
    with pytest.raises(AssertionError, match="refused"):
        process.check_permissions()
