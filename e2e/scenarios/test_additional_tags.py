"""Additional tags (`application-networking.k8s.aws/tags`) reach every Lattice resource of a route,
follow annotation edits, and can never overwrite the controller's own ManagedBy tag."""

from __future__ import annotations

from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    AN,
    MANAGED_BY,
    MANAGED_BY_KEY,
    Scenario,
    backend,
    gateway,
    http_route,
    parent,
    route_resource_arns,
    scenario,
    tags_of,
    wait_value,
)

__all__ = ["scenario"]

KINDS = ("service", "association", "listener", "rule", "tg")


def _tags_by_arn(s: Scenario, service_name: str) -> dict[str, tuple[str, dict[str, str]]]:
    arns = route_resource_arns(s.view(), service_name)
    return {arn: (kind, tags_of(s.client, arn)) for kind in KINDS for arn in arns[kind]}


def _complete(found: dict[str, tuple[str, dict[str, str]]]) -> bool:
    return {kind for kind, _ in found.values()} == set(KINDS)


def test_additional_tags_on_every_resource_and_update(
    scenario: Scenario, controller: ControllerProcess
) -> None:
    s = scenario
    ns = s.namespace("tags")
    service_name = f"tagged-{ns}"
    first = {"team": "payments", "env": "dev", "cost-center": "cc-1", "owner": "alice"}
    s.apply(
        gateway(ns),
        backend(ns, "tagged-backend"),
        http_route(
            ns,
            "tagged",
            [parent()],
            [("tagged-backend", 1)],
            annotations={f"{AN}/tags": ",".join(f"{k}={v}" for k, v in first.items())},
        ),
    )

    def carries(expected: dict[str, str], absent: set[str]) -> bool:
        found = _tags_by_arn(s, service_name)
        return _complete(found) and all(
            all(tags.get(k) == v for k, v in expected.items()) and not absent & tags.keys()
            for _, tags in found.values()
        )

    wait_value(
        lambda: _tags_by_arn(s, service_name),
        lambda found: (
            _complete(found) and all(all(t.get(k) == v for k, v in first.items()) for _, t in found.values())
        ),
        what="the four additional tags on service, association, listener, rule and target group",
    )
    for kind, tags in _tags_by_arn(s, service_name).values():
        assert tags[MANAGED_BY_KEY] == MANAGED_BY, kind

    # Drop `owner`, change `env`, and try to take the ManagedBy tag over.
    s.plane.kubectl(
        "annotate",
        "--overwrite",
        "httproute",
        "tagged",
        "-n",
        ns,
        f"{AN}/tags=team=payments,env=prod,cost-center=cc-2,{MANAGED_BY_KEY}=someone-else",
    )
    updated = {"team": "payments", "env": "prod", "cost-center": "cc-2"}
    found = wait_value(
        lambda: _tags_by_arn(s, service_name),
        lambda f: (
            _complete(f)
            and all(
                all(t.get(k) == v for k, v in updated.items()) and "owner" not in t for _, t in f.values()
            )
        ),
        what="tags updated and `owner` removed everywhere",
    )
    assert carries(updated, {"owner"})
    for arn, (kind, tags) in found.items():
        assert tags[MANAGED_BY_KEY] == MANAGED_BY, (kind, arn, tags)
