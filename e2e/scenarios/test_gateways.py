"""GatewayClass and Gateway status against service networks in the fake account (docs/compatibility.md).

The networks are created before the controller starts. Networks shared from another account (RAM)
are covered by test_shared_network.py.
"""

from __future__ import annotations

from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.scenarios.support import (
    AN,
    CONFLICT_MESSAGE,
    GATEWAY_FINALIZER,
    apply,
    backend_rule,
    condition,
    create_service_network,
    delete_namespaces,
    events,
    eventually,
    gateway_condition,
    gateway_yaml,
    get_json,
    kubectl_json,
    lattice,
    namespace_yaml,
    route_yaml,
    running_controller,
    service_yaml,
    unique_ns,
    wait_value,
    writes,
)


def _programmed(plane: ControlPlane, ns: str, name: str, status: str) -> dict[str, Any]:
    return eventually(
        lambda: (c := gateway_condition(plane, ns, name, "Programmed")) and c["status"] == status and c,
        timeout=60,
        what=f"gateway {name} Programmed={status}",
    )


def test_gateway_class_and_gateway_status(
    workloads: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]
) -> None:
    ns = unique_ns("gw")
    named = create_service_network(fake_aws, f"net-{ns}")
    by_id = create_service_network(fake_aws, f"byid-{ns}")
    # One account cannot hold two networks of the same name; a network *named* like another's id
    # gives the same ambiguity (two matches for one Gateway name).
    clashing = create_service_network(fake_aws, f"clash-{ns}")
    create_service_network(fake_aws, clashing["id"])
    gateways = {
        "named": f"net-{ns}",
        "missing": f"missing-{ns}",
        "clash": clashing["id"],
        "by_id": by_id["id"],
    }
    with running_controller(workloads, aws_env) as controller:
        apply(
            workloads,
            namespace_yaml(ns)
            + "".join(gateway_yaml(ns, name) for name in gateways.values())
            + service_yaml(ns, "svc1")
            + route_yaml(ns, "r1", backend_rule("svc1"), gateway=gateways["named"])
            + route_yaml(ns, "r2", backend_rule("svc1"), gateway=gateways["named"])
            + route_yaml(ns, "r3", backend_rule("svc1"), gateway=gateways["by_id"]),
        )
        try:
            gateway_class = eventually(
                lambda: condition(
                    kubectl_json(workloads, "get", "gatewayclass", "amazon-vpc-lattice")
                    .get("status", {})
                    .get("conditions"),
                    "Accepted",
                ),
                what="GatewayClass Accepted",
            )
            assert (gateway_class["status"], gateway_class["reason"]) == ("True", "Accepted")

            programmed = _programmed(workloads, ns, gateways["named"], "True")
            assert programmed["reason"] == "Programmed"
            assert programmed["message"] == f"aws-service-network-arn: {named['arn']}"
            by_id_programmed = _programmed(workloads, ns, gateways["by_id"], "True")
            assert by_id_programmed["message"] == f"aws-service-network-arn: {by_id['arn']}"
            pending = _programmed(workloads, ns, gateways["missing"], "False")
            assert (pending["reason"], pending["message"]) == (
                "Pending",
                "VPC Lattice Service Network not found",
            )
            invalid = _programmed(workloads, ns, gateways["clash"], "False")
            assert (invalid["reason"], invalid["message"]) == ("Invalid", CONFLICT_MESSAGE)
            accepted = gateway_condition(workloads, ns, gateways["named"], "Accepted") or {}
            assert accepted.get("status") == "True", accepted

            # Listener status counts both attached routes; addresses show a route's Lattice DNS name.
            def gateway_settled() -> dict[str, Any] | None:
                gw = get_json(workloads, "gateway", ns, gateways["named"]) or {}
                status = gw.get("status") or {}
                listeners = status.get("listeners") or []
                if listeners and listeners[0].get("attachedRoutes") == 2 and status.get("addresses"):
                    return gw
                return None

            gateway = eventually(gateway_settled, what="attachedRoutes=2 and an address")
            (listener,) = gateway["status"]["listeners"]
            assert listener["name"] == "http"
            assert listener["supportedKinds"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]
            assert {(c["type"], c["status"]) for c in listener["conditions"]} == {
                ("Accepted", "True"),
                ("ResolvedRefs", "True"),
                ("Programmed", "True"),
            }
            view = lattice(fake_aws)
            dns_names = {
                (view.service(f"{r}-{ns}") or {}).get("dnsEntry", {}).get("domainName") for r in ("r1", "r2")
            }
            (address,) = gateway["status"]["addresses"]
            assert address["type"] == "Hostname"
            assert address["value"] in dns_names, (address, dns_names)
            for route in ("r1", "r2"):
                service = view.service(f"{route}-{ns}") or {}
                assert [a["serviceNetworkName"] for a in service.get("associations", [])] == [
                    gateways["named"]
                ]

            # A route of the Gateway named by network id is associated with that network, once.
            view = wait_value(
                lambda: lattice(fake_aws),
                lambda v: bool((v.service(f"r3-{ns}") or {}).get("associations")),
                what="r3 associated",
            )
            associations = (view.service(f"r3-{ns}") or {})["associations"]
            assert [a["serviceNetworkId"] for a in associations] == [by_id["id"]]
            controller.wait_quiet()
            fake_aws.admin.reset_counters()
            before = controller.activity()
            out = workloads.kubectl("annotate", "httproute", "r3", "-n", ns, f"{AN}/tags=team=a")
            assert out.returncode == 0, out.stderr
            controller.wait_quiet(after=before)
            counters = fake_aws.admin.counters()
            assert not {k: n for k, n in writes(counters).items() if "Association" in k}, counters
            assert [a["id"] for a in (lattice(fake_aws).service(f"r3-{ns}") or {})["associations"]] == [
                a["id"] for a in associations
            ]

            # Deleting a route updates attachedRoutes.
            assert workloads.kubectl("delete", "httproute", "r2", "-n", ns).returncode == 0
            eventually(
                lambda: (
                    ((get_json(workloads, "gateway", ns, gateways["named"]) or {}).get("status") or {})
                    .get("listeners", [{}])[0]
                    .get("attachedRoutes")
                    == 1
                ),
                timeout=30,
                what="attachedRoutes=1",
            )

            # Deleting the Gateway while routes name it: the finalizer stays until the routes are gone.
            # The Gateway says so: Programmed=False/DeleteBlocked naming the routes, and a Warning event.
            out = workloads.kubectl("delete", "gateway", gateways["named"], "-n", ns, "--wait=false")
            assert out.returncode == 0, out.stderr
            blocked = eventually(
                lambda: (
                    (c := gateway_condition(workloads, ns, gateways["named"], "Programmed"))
                    and c["reason"] == "DeleteBlocked"
                    and c
                ),
                timeout=30,
                what="Programmed=False/DeleteBlocked",
            )
            assert blocked["status"] == "False", blocked
            assert f"1 route(s) still attached: {ns}/r1;" in blocked["message"], blocked
            eventually(
                lambda: [
                    e for e in events(workloads, ns, gateways["named"]) if e["reason"] == "DeleteBlocked"
                ],
                timeout=30,
                what="DeleteBlocked event",
            )
            gw = get_json(workloads, "gateway", ns, gateways["named"]) or {}
            assert gw["metadata"].get("deletionTimestamp"), gw["metadata"]
            assert GATEWAY_FINALIZER in gw["metadata"].get("finalizers", [])
            out = workloads.kubectl("delete", "httproute", "r1", "r3", "-n", ns, "--wait=false")
            assert out.returncode == 0, out.stderr
            wait_value(
                lambda: get_json(workloads, "gateway", ns, gateways["named"]),
                lambda gw: gw is None,
                timeout=60,
                what="gateway gone after its routes",
            )
            assert get_json(workloads, "httproute", ns, "r1") is None
        finally:
            delete_namespaces(workloads, ns)
