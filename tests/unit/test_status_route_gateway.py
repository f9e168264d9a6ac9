"""Status bodies: equality (no write when unchanged), transition times, other controllers kept."""

from __future__ import annotations

from typing import Any

from lattice_controller.model.k8s import Route, parse_gateway, parse_gateway_class, parse_route
from lattice_controller.reconcile.build import ServiceNetworkLookup, build_gateway, build_route
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.status import gateway_class_status, gateway_status, route_status
from tests.unit.test_build_helpers import SETTINGS, gateway, route, snapshot

T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-02T00:00:00Z"


def with_status(r: Route, status: dict[str, Any], extra_parents: list[dict[str, Any]] | None = None) -> Route:
    obj = {
        "kind": r.kind,
        "metadata": {
            "name": r.meta.name,
            "namespace": r.meta.namespace,
            "generation": r.meta.generation,
            "annotations": r.meta.annotations.as_dict(),
        },
        "spec": {
            "parentRefs": [p.to_k8s() for p in r.parent_refs],
            "rules": [
                {"backendRefs": [{"name": b.name, "port": b.port} for b in rule.backend_refs]}
                for rule in r.rules
            ],
        },
        "status": {"parents": (extra_parents or []) + status["parents"]},
    }
    return parse_route(obj)


def test_route_status_round_trip_needs_no_second_write() -> None:
    r = route()
    first = route_status(r, build_route(snapshot(r), SETTINGS), T0)
    assert first.changed
    (entry,) = first.payload["parents"]
    assert entry["controllerName"] == "application-networking.k8s.aws/gateway-api-controller"
    assert [x["type"] for x in entry["conditions"]] == ["Accepted", "ResolvedRefs"]
    assert entry["conditions"][0]["lastTransitionTime"] == T0
    assert entry["conditions"][0]["observedGeneration"] == 2
    stored = with_status(r, first.payload)
    second = route_status(stored, build_route(snapshot(stored), SETTINGS), T1)
    assert not second.changed
    assert second.payload == first.payload


def test_route_status_flip_stamps_new_time_and_keeps_unchanged_one() -> None:
    r = route()
    stored = with_status(r, route_status(r, build_route(snapshot(r), SETTINGS), T0).payload)
    conflict = c.condition(
        c.ACCEPTED, c.REASON_CONFLICTED, "Found existing resource not owned by controller: x", 2
    )
    update = route_status(stored, build_route(snapshot(stored), SETTINGS), T1, overrides=[conflict])
    assert update.changed
    accepted, resolved = update.payload["parents"][0]["conditions"]
    assert (accepted["status"], accepted["reason"], accepted["lastTransitionTime"]) == (
        "False",
        "Conflicted",
        T1,
    )
    assert resolved["lastTransitionTime"] == T0


def test_route_status_keeps_other_controllers_entries() -> None:
    r = route()
    other = {
        "parentRef": {"name": "mesh", "kind": "Service", "group": ""},
        "controllerName": "example.com/mesh",
        "conditions": [
            {
                "type": "Accepted",
                "status": "True",
                "reason": "Accepted",
                "message": "",
                "lastTransitionTime": T0,
            }
        ],
    }
    ours = route_status(r, build_route(snapshot(r), SETTINGS), T0).payload
    stored = with_status(r, ours, extra_parents=[other])
    update = route_status(stored, build_route(snapshot(stored), SETTINGS), T1)
    assert not update.changed
    assert update.payload["parents"][0]["controllerName"] == "example.com/mesh"


def test_route_status_drops_our_stale_entries_when_irrelevant() -> None:
    r = route()
    stored = with_status(r, route_status(r, build_route(snapshot(r), SETTINGS), T0).payload)
    build = build_route(snapshot(stored, gateways=[]), SETTINGS)
    update = route_status(stored, build, T1)
    assert update.changed
    assert update.payload == {"parents": []}


def gw_obj(listeners: list[dict[str, Any]], status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "gw", "namespace": "infra", "generation": 4},
        "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": listeners},
        "status": status or {},
    }


def test_gateway_status_listeners_attached_routes_and_round_trip() -> None:
    listeners = [
        {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
        {"name": "bad", "port": 81, "protocol": "HTTP", "allowedRoutes": {"kinds": [{"kind": "TLSRoute"}]}},
    ]
    gw = parse_gateway(gw_obj(listeners))
    routes = [
        route(),
        route(
            "two", annotations={"application-networking.k8s.aws/lattice-assigned-domain-name": "two.lattice"}
        ),
        route("gone", deleting=True),
    ]
    build = build_gateway(gw, routes, {}, ServiceNetworkLookup(arn="arn:sn"))
    update = gateway_status(gw, build, T0)
    assert update.changed
    http, bad = update.payload["listeners"]
    assert http["attachedRoutes"] == 2
    assert http["supportedKinds"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]
    assert [x["type"] for x in http["conditions"]] == ["Accepted", "ResolvedRefs", "Programmed"]
    assert [(x["type"], x["reason"]) for x in bad["conditions"]] == [("ResolvedRefs", "InvalidRouteKinds")]
    assert bad["supportedKinds"] == []
    assert update.payload["addresses"] == [{"type": "Hostname", "value": "two.lattice"}]
    conds = {x["type"]: (x["status"], x["reason"], x["message"]) for x in update.payload["conditions"]}
    assert conds == {
        "Accepted": ("True", "ListenersNotValid", "listeners not valid (see their conditions): bad"),
        "Programmed": ("True", "Programmed", "aws-service-network-arn: arn:sn"),
    }
    stored = parse_gateway(gw_obj(listeners, update.payload))
    again = gateway_status(stored, build_gateway(stored, routes, {}, ServiceNetworkLookup(arn="arn:sn")), T1)
    assert not again.changed


def test_gateway_programmed_and_honest_accepted() -> None:
    gw = gateway()
    pending = build_gateway(gw, [], {}, ServiceNetworkLookup())
    assert pending.conditions[1].reason == "Pending"
    assert pending.conditions[1].message == "VPC Lattice Service Network not found"
    conflict = build_gateway(gw, [], {}, ServiceNetworkLookup(conflict=True))
    assert conflict.conditions[1].reason == "Invalid"
    assert conflict.conditions[1].message.startswith("Found multiple VPC Lattice Service Networks")
    no_listeners = build_gateway(gateway(listeners=[]), [], {}, None)
    assert (no_listeners.conditions[0].status, no_listeners.conditions[0].reason) == ("False", "Invalid")
    assert no_listeners.conditions[0].message == "failed to find gateway listener"
    assert len(no_listeners.conditions) == 1
    only_bad = gateway(
        listeners=[
            {"name": "x", "port": 1, "protocol": "HTTP", "allowedRoutes": {"kinds": [{"kind": "Foo"}]}}
        ]
    )
    assert build_gateway(only_bad, [], {}, None).conditions[0].message == "no valid listeners for gw"


def test_gateway_class_status() -> None:
    gc = parse_gateway_class(
        {
            "metadata": {"name": "c", "generation": 1},
            "spec": {"controllerName": "x"},
            "status": {
                "conditions": [
                    {
                        "type": "Accepted",
                        "status": "Unknown",
                        "reason": "Pending",
                        "message": "Waiting for controller",
                        "lastTransitionTime": T0,
                    }
                ]
            },
        }
    )
    update = gateway_class_status(gc, T1)
    assert update.changed
    assert update.payload["conditions"] == [
        {
            "type": "Accepted",
            "status": "True",
            "reason": "Accepted",
            "message": "Accepted",
            "lastTransitionTime": T1,
            "observedGeneration": 1,
        }
    ]
    assert update.payload["supportedFeatures"][:2] == [{"name": "GRPCRoute"}, {"name": "Gateway"}]
    names = [f["name"] for f in update.payload["supportedFeatures"]]
    assert names == sorted(names)
    assert {"Gateway", "HTTPRoute", "ReferenceGrant"} <= set(names)
    stored = parse_gateway_class(
        {
            "metadata": {"name": "c", "generation": 1},
            "spec": {"controllerName": "x"},
            "status": update.payload,
        }
    )
    assert not gateway_class_status(stored, "2030-01-01T00:00:00Z").changed
