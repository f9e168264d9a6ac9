"""Service networks owned by another account and shared with the controller's (AWS RAM).

The fake models RAM with `FakeAwsAdmin.share_service_network` (see e2e/fakeaws/README.md): a shared
network is listed in the controller account's ListServiceNetworks, as on AWS, unless shared with
`listed=False`; then only the cluster VPC's association shows it (FindServiceNetwork step 4).
Everything is prepared before the controller starts (networks made out of band are seen at the next
resync otherwise), and the controller runs without DEFAULT_SERVICE_NETWORK: a VPC has one association,
which here belongs to the shared network.
"""

from __future__ import annotations

from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.client import as_account
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ACCOUNT_ID, CLUSTER_VPC_ID
from e2e.harness.lattice_view import LatticeView, lattice_client
from e2e.scenarios.support import (
    CONFLICT_MESSAGE,
    apply,
    backend_rule,
    create_service_network,
    delete_namespaces,
    eventually,
    gateway_condition,
    gateway_yaml,
    lattice,
    namespace_yaml,
    route_yaml,
    running_controller,
    service_yaml,
    unique_ns,
    wait_route_condition,
    wait_value,
)

OWNER_ACCOUNT = "210987654321"


def _owner_client(fake: FakeAws) -> Any:
    return as_account(lattice_client(fake.endpoint, fake.region), OWNER_ACCOUNT)


def _programmed(plane: ControlPlane, ns: str, gateway: str, status: str) -> dict[str, Any]:
    return eventually(
        lambda: (c := gateway_condition(plane, ns, gateway, "Programmed")) and c["status"] == status and c,
        timeout=60,
        what=f"gateway {gateway} Programmed={status}",
    )


def _network_arns(view: LatticeView, service_name: str) -> list[str]:
    return [a["serviceNetworkArn"] for a in (view.service(service_name) or {}).get("associations", [])]


def test_networks_shared_from_another_account(
    workloads: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]
) -> None:
    ns = unique_ns("shr")
    owner = _owner_client(fake_aws)
    # hub: shared unlisted, associated with the cluster VPC (found through the association);
    # pub: shared and listed (found through ListServiceNetworks); dup: shared, and a local network
    # of the same name exists in the controller's account.
    hub = owner.create_service_network(name=f"hub-{ns}")
    pub = owner.create_service_network(name=f"pub-{ns}")
    dup = owner.create_service_network(name=f"dup-{ns}")
    fake_aws.admin.share_service_network(hub["arn"], ACCOUNT_ID, listed=False)
    fake_aws.admin.share_service_network(pub["arn"], ACCOUNT_ID)
    fake_aws.admin.share_service_network(dup["arn"], ACCOUNT_ID)
    create_service_network(fake_aws, f"dup-{ns}")
    mine = lattice_client(fake_aws.endpoint, fake_aws.region)
    mine.create_service_network_vpc_association(
        serviceNetworkIdentifier=hub["arn"], vpcIdentifier=CLUSTER_VPC_ID
    )
    gateways = {"hub": hub["name"], "hub_id": hub["id"], "pub": pub["name"], "dup": dup["name"]}

    with running_controller(workloads, aws_env, DEFAULT_SERVICE_NETWORK=""):
        apply(
            workloads,
            namespace_yaml(ns)
            + "".join(gateway_yaml(ns, name) for name in gateways.values())
            + service_yaml(ns, "svc1")
            + route_yaml(ns, "r-hub", backend_rule("svc1"), gateway=gateways["hub"])
            + route_yaml(ns, "r-pub", backend_rule("svc1"), gateway=gateways["pub"]),
        )
        try:
            for key, network in (("hub", hub), ("hub_id", hub), ("pub", pub)):
                programmed = _programmed(workloads, ns, gateways[key], "True")
                assert programmed["reason"] == "Programmed", (key, programmed)
                assert programmed["message"] == f"aws-service-network-arn: {network['arn']}", key
            invalid = _programmed(workloads, ns, gateways["dup"], "False")
            assert (invalid["reason"], invalid["message"]) == ("Invalid", CONFLICT_MESSAGE)

            # Each route's service is associated with the shared network it names, in our account.
            for route in ("r-hub", "r-pub"):
                wait_route_condition(workloads, ns, route, "Accepted", "True")
            view = wait_value(
                lambda: lattice(fake_aws),
                lambda v: bool(_network_arns(v, f"r-hub-{ns}") and _network_arns(v, f"r-pub-{ns}")),
                what="both route services associated",
            )
            assert _network_arns(view, f"r-hub-{ns}") == [hub["arn"]]
            assert _network_arns(view, f"r-pub-{ns}") == [pub["arn"]]
            (association,) = (view.service(f"r-hub-{ns}") or {})["associations"]
            assert (association["status"], association["serviceNetworkName"]) == ("ACTIVE", hub["name"])
            assert f":{ACCOUNT_ID}:servicenetworkserviceassociation/" in association["arn"]
            counted = owner.get_service_network(serviceNetworkIdentifier=hub["id"])
            assert (counted["numberOfAssociatedServices"], counted["numberOfAssociatedVPCs"]) == (1, 1)

            # Deleting the route removes its association with the shared network.
            assert workloads.kubectl("delete", "httproute", "r-hub", "-n", ns).returncode == 0
            wait_value(
                lambda: owner.get_service_network(serviceNetworkIdentifier=hub["id"]),
                lambda n: n["numberOfAssociatedServices"] == 0,
                timeout=60,
                what="hub association deleted",
            )
        finally:
            delete_namespaces(workloads, ns)
