"""Adoption is opt-in: a route naming an untagged Lattice service in `service-name-override` gets
`Accepted=False/Conflicted` saying what to set, and nothing is written; once the service's owner
tags it `AllowAdoptionBy=<namespace>/<route>`, the route adopts it; deleting the route hands the
service back untagged instead of deleting it."""

from __future__ import annotations

from typing import Any

from e2e.scenarios.support import (
    AN,
    MANAGED_BY,
    MANAGED_BY_KEY,
    Scenario,
    accepted,
    backend,
    events,
    eventually,
    gateway,
    http_route,
    kube,
    non_default_rules,
    parent,
    parent_conditions,
    scenario,
    tags_of,
    wait_deleted,
    wait_value,
    writes,
)

__all__ = ["scenario"]

OVERRIDE = f"{AN}/service-name-override"


def _manual_service(s: Scenario, name: str) -> dict[str, str]:
    """A service someone made by hand: listener 8080 with a /payments rule, no tags."""
    c = s.client
    service = c.create_service(name=name)
    listener = c.create_listener(
        serviceIdentifier=service["id"],
        name="payments-8080",
        protocol="HTTP",
        port=8080,
        defaultAction={"fixedResponse": {"statusCode": 404}},
    )
    c.create_rule(
        serviceIdentifier=service["id"],
        listenerIdentifier=listener["id"],
        name="payments",
        priority=1,
        match={"httpMatch": {"pathMatch": {"match": {"prefix": "/payments"}, "caseSensitive": True}}},
        action={"fixedResponse": {"statusCode": 404}},
    )
    return {"service": service["arn"], "service_id": service["id"], "listener": listener["arn"]}


def _listeners(s: Scenario, service_id: str) -> list[dict[str, Any]]:
    return list(s.client.list_listeners(serviceIdentifier=service_id)["items"])


def test_untagged_service_is_adopted_only_with_the_owners_tag_and_handed_back(
    scenario: Scenario,
) -> None:
    s = scenario
    ns = s.namespace("b-c")
    name = f"manual-{ns}"
    manual = _manual_service(s, name)
    controller = s.start_controller(RECONCILE_DEFAULT_RESYNC_SECONDS="60")
    s.apply(gateway(ns), backend(ns, "evil"))
    controller.wait_quiet()
    s.fake.admin.reset_counters()

    s.apply(http_route(ns, "evil", [parent()], [("evil", 1)], path="/evil", annotations={OVERRIDE: name}))
    wait_value(
        lambda: accepted(s.route(ns, "evil")), lambda a: a == [("False", "Conflicted")], what="Conflicted"
    )
    message = parent_conditions(s.route(ns, "evil"))[0]["Accepted"][2]
    assert manual["service"] in message, message
    assert f"ADOPTION_ALLOWED_NAMESPACES lists namespace {ns}" in message, message
    assert f"{AN}/AllowAdoptionBy={ns}/evil" in message, message
    eventually(
        lambda: [e for e in events(s.plane, ns, "evil") if e["reason"] == "FailedDeployModel"],
        what="FailedDeployModel event",
        timeout=30,
    )
    controller.wait_quiet()  # every reconcile the conflict caused has finished
    # A first deploy may try CreateService without listing (the name is taken: ConflictException,
    # nothing changed). Nothing else may be written: no tags, no target group, no association.
    made = writes(s.fake.admin.counters())
    assert set(made) <= {"vpc-lattice:CreateService"}, made
    assert tags_of(s.client, manual["service"]) == {}
    assert [listener["arn"] for listener in _listeners(s, manual["service_id"])] == [manual["listener"]]
    assert [tg for tg in s.view().target_groups if tg["tags"].get(f"{AN}/RouteNamespace") == ns] == []

    # The owner opts in for exactly this route.
    s.client.tag_resource(resourceArn=manual["service"], tags={f"{AN}/AllowAdoptionBy": f"{ns}/evil"})
    kube(s.plane, "annotate", "httproute", "-n", ns, "evil", "--overwrite", "poke=1")
    wait_value(
        lambda: accepted(s.route(ns, "evil")),
        lambda a: a == [("True", "Accepted")],
        what="Accepted",
        timeout=120,
    )

    def adopted() -> dict[str, Any] | None:
        tags = tags_of(s.client, manual["service"])
        service = s.view().service(name)
        if tags.get(MANAGED_BY_KEY) != MANAGED_BY or service is None:
            return None
        rules = non_default_rules(service)
        if [r["match"]["httpMatch"]["pathMatch"]["match"].get("prefix") for r in rules] != ["/evil"]:
            return None
        return {"tags": tags, "service": service}

    found = eventually(adopted, what="manual service adopted with the route's rule")
    assert found["tags"][f"{AN}/AdoptedFrom"] == "unmanaged"
    assert (found["tags"][f"{AN}/RouteName"], found["tags"][f"{AN}/RouteNamespace"]) == ("evil", ns)

    kube(s.plane, "delete", "httproute", "-n", ns, "evil", "--wait=false")
    wait_deleted(s.plane, "httproute", ns, "evil", timeout=120)
    # Handed back, not deleted: our controller tags are gone, the owner's opt-in tag stays.
    assert tags_of(s.client, manual["service"]) == {f"{AN}/AllowAdoptionBy": f"{ns}/evil"}
    service = s.view().service(name)
    assert service is not None
    assert service["associations"] == []
    assert _listeners(s, manual["service_id"]) == []
    eventually(
        lambda: not [tg for tg in s.view().target_groups if tg["tags"].get(f"{AN}/RouteNamespace") == ns],
        what="the route's target groups deleted",
        timeout=60,
    )
