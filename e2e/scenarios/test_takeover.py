"""Service takeover: a Lattice service owned by another controller ("blue") is left alone until the
route names that owner in `application-networking.k8s.aws/allow-takeover-from` *and* the platform
lists the route's namespace in ADOPTION_ALLOWED_NAMESPACES; then ManagedBy is rewritten on the
service, listener, rule and association, and the rule forwards to our target groups."""

from __future__ import annotations

from typing import Any

from e2e.harness.controller import CLUSTER_VPC_ID
from e2e.scenarios.support import (
    AN,
    DEFAULT_NETWORK,
    MANAGED_BY,
    MANAGED_BY_KEY,
    Scenario,
    accepted,
    annotate,
    backend,
    events,
    eventually,
    forward_tg_ids,
    gateway,
    http_route,
    non_default_rules,
    parent,
    parent_conditions,
    scenario,
    tags_of,
    wait_value,
    writes,
)

__all__ = ["scenario"]

BLUE = "999999999999/blue-cluster/vpc-0blue0000000000000"


def _precreate_blue(s: Scenario, ns: str, service_name: str) -> dict[str, str]:
    """The resources a blue controller made for route `shop` in `ns`; returns their ARNs/ids."""
    c = s.client
    blue = {MANAGED_BY_KEY: BLUE}
    network = c.create_service_network(name=DEFAULT_NETWORK, tags=blue)
    tg = c.create_target_group(
        name="k8s-blue-shop-tg",
        type="IP",
        config={"port": 80, "protocol": "HTTP", "vpcIdentifier": CLUSTER_VPC_ID, "ipAddressType": "IPV4"},
        tags={**blue, f"{AN}/ServiceName": "shop-a", f"{AN}/ServiceNamespace": ns},
    )
    service = c.create_service(
        name=service_name,
        tags={**blue, f"{AN}/RouteName": "shop", f"{AN}/RouteNamespace": ns, f"{AN}/RouteType": "http"},
    )
    listener = c.create_listener(
        serviceIdentifier=service["id"],
        name=f"shop-{ns}-80-http",
        protocol="HTTP",
        port=80,
        defaultAction={"fixedResponse": {"statusCode": 404}},
        tags=blue,
    )
    rule = c.create_rule(
        serviceIdentifier=service["id"],
        listenerIdentifier=listener["id"],
        name="blue-rule-1",
        priority=1,
        match={"httpMatch": {"pathMatch": {"match": {"prefix": "/"}, "caseSensitive": True}}},
        action={"forward": {"targetGroups": [{"targetGroupIdentifier": tg["id"], "weight": 100}]}},
        tags=blue,
    )
    association = c.create_service_network_service_association(
        serviceIdentifier=service["id"], serviceNetworkIdentifier=network["id"], tags=blue
    )
    return {
        "service": service["arn"],
        "listener": listener["arn"],
        "rule": rule["arn"],
        "rule_id": rule["id"],
        "association": association["arn"],
        "tg": tg["arn"],
        "tg_id": tg["id"],
    }


def test_takeover_only_when_allowed(scenario: Scenario) -> None:
    s = scenario
    ns = s.namespace("takeover")
    service_name = f"shop-{ns}"
    # The blue controller's resources exist before ours starts (as in a real migration).
    arns = _precreate_blue(s, ns, service_name)
    kinds = ("service", "listener", "rule", "association", "tg")
    before = {k: tags_of(s.client, arns[k]) for k in kinds}
    controller = s.start_controller(RECONCILE_DEFAULT_RESYNC_SECONDS="60")
    s.apply(gateway(ns), backend(ns, "shop-a"), backend(ns, "shop-b"))
    controller.wait_quiet()
    s.fake.admin.reset_counters()

    s.apply(http_route(ns, "shop", [parent()], [("shop-a", 50), ("shop-b", 50)]))
    wait_value(
        lambda: accepted(s.route(ns, "shop")), lambda a: a == [("False", "Conflicted")], what="Conflicted"
    )
    message = parent_conditions(s.route(ns, "shop"))[0]["Accepted"][2]
    assert arns["service"] in message, message
    eventually(
        lambda: [e for e in events(s.plane, ns, "shop") if e["reason"] == "FailedDeployModel"],
        what="FailedDeployModel event",
        timeout=30,
    )
    controller.wait_quiet()  # every reconcile the conflict caused has finished
    # A first deploy may try CreateService without listing (tagging-API shortcut); the name is taken,
    # so that call fails with ConflictException and changes nothing. Nothing else may be written.
    made = writes(s.fake.admin.counters())
    assert set(made) <= {"vpc-lattice:CreateService"}, made
    assert len([svc for svc in s.view().services if svc["name"] == service_name]) == 1
    assert {k: tags_of(s.client, arns[k]) for k in kinds} == before

    annotate(s.plane, "httproute", ns, "shop", allow_takeover_from=BLUE)
    # Naming the owner is not enough: a route may not take over what it does not own by itself.
    wait_value(
        lambda: parent_conditions(s.route(ns, "shop"))[0]["Accepted"][2],
        lambda m: "ADOPTION_ALLOWED_NAMESPACES" in m,
        what="Conflicted saying what to set",
    )
    assert accepted(s.route(ns, "shop")) == [("False", "Conflicted")]
    made = writes(s.fake.admin.counters())
    assert set(made) <= {"vpc-lattice:CreateService"}, made
    assert {k: tags_of(s.client, arns[k]) for k in kinds} == before

    # The platform opts the namespace in.
    assert s.controllers[0].stop() == 0
    s.start_controller(RECONCILE_DEFAULT_RESYNC_SECONDS="60", ADOPTION_ALLOWED_NAMESPACES=f"other,{ns}")
    wait_value(lambda: accepted(s.route(ns, "shop")), lambda a: a == [("True", "Accepted")], what="Accepted")

    def taken_over() -> dict[str, Any] | None:
        owners = {k: tags_of(s.client, arns[k]).get(MANAGED_BY_KEY) for k in kinds[:4]}
        if set(owners.values()) != {MANAGED_BY}:
            return None
        view = s.view()
        service = view.service(service_name)
        if service is None:
            return None
        rules = non_default_rules(service)
        if len(rules) != 1:
            return None
        forward = forward_tg_ids(rules[0])
        names = {
            (view.target_group_by_id(i) or {}).get("tags", {}).get(f"{AN}/ServiceName"): w
            for i, w in forward.items()
        }
        if names != {"shop-a": 50, "shop-b": 50}:
            return None
        return {"service": service, "rule": rules[0], "forward": forward}

    found = eventually(taken_over, what="ManagedBy rewritten and rule forwarding 50/50 to our TGs")
    assert found["service"]["arn"] == arns["service"]
    assert found["rule"]["id"] == arns["rule_id"]
    assert arns["tg_id"] not in found["forward"]
    for tg_id in found["forward"]:
        assert (
            tags_of(s.client, (s.view().target_group_by_id(tg_id) or {})["arn"])[MANAGED_BY_KEY] == MANAGED_BY
        )
    assert tags_of(s.client, arns["tg"])[MANAGED_BY_KEY] == BLUE  # the old owner's TG is not touched
    service_tags = tags_of(s.client, arns["service"])
    assert (service_tags[f"{AN}/RouteName"], service_tags[f"{AN}/RouteNamespace"]) == ("shop", ns)
    assert service_tags[f"{AN}/AdoptedFrom"] == BLUE
