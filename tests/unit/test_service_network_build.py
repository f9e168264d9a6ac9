"""The pure decisions of the ServiceNetwork reconciler (``reconcile/build/service_network.py``): names,
ownership with the adoption opt-ins, what a deletion does, what blocks it, and the record's parser."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s import Gateway
from lattice_controller.model.k8s.gateway import parse_gateway
from lattice_controller.model.k8s.service_network import parse_service_network
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.build import service_network as sn

SETTINGS = BuildSettings(account="123456789012", cluster="c1", vpc="vpc-1")
OURS = SETTINGS.managed_by


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("ab", "3-63 characters"),
        ("a" * 64, "3-63 characters"),
        ("payments.prod", "only lowercase letters"),
        ("pay--ments", "only lowercase letters"),
        ("-payments", "only lowercase letters"),
    ],
)
def test_names_lattice_refuses_are_reported(name: str, fragment: str) -> None:
    problem = sn.name_problem(name)
    assert problem is not None
    assert fragment in problem
    assert problem.startswith(f"metadata.name {name!r} is not a valid VPC Lattice service network name")


def test_valid_names_pass() -> None:
    assert sn.name_problem("payments") is None
    assert sn.name_problem("a" * 63) is None


def test_ours_is_owned_and_another_controllers_is_not() -> None:
    assert sn.network_ownership("n1", {tag_keys.MANAGED_BY: OURS}, SETTINGS) == sn.NetworkOwnership(
        True, {tag_keys.MANAGED_BY: OURS}
    )
    foreign = sn.network_ownership("n1", {tag_keys.MANAGED_BY: "1/other/vpc-9"}, SETTINGS)
    assert not foreign.owned
    assert (
        foreign.conflict
        == "ServiceNetwork n1 is owned by another controller (1/other/vpc-9); it is left alone"
    )
    # The platform opt-in never covers another controller's network.
    assert not sn.network_ownership(
        "n1", {tag_keys.MANAGED_BY: "1/other/vpc-9"}, replace(SETTINGS, adoption_allowed_namespaces=("*",))
    ).owned


def test_untagged_networks_are_adopted_only_with_an_opt_in() -> None:
    refused = sn.network_ownership("n1", {}, SETTINGS)
    assert not refused.owned
    assert refused.conflict is not None
    assert f"{tag_keys.ALLOW_ADOPTION_BY}=ServiceNetwork/n1" in refused.conflict
    # A namespace list does not cover a cluster-scoped object; only * does.
    assert not sn.network_ownership(
        "n1", {}, replace(SETTINGS, adoption_allowed_namespaces=("team-a",))
    ).owned
    adopted = {tag_keys.MANAGED_BY: OURS, tag_keys.ADOPTED_FROM: tag_keys.ADOPTED_FROM_UNMANAGED}
    by_platform = sn.network_ownership("n1", {}, replace(SETTINGS, adoption_allowed_namespaces=("*",)))
    assert by_platform == sn.NetworkOwnership(True, adopted)
    by_owner = sn.network_ownership("n1", {tag_keys.ALLOW_ADOPTION_BY: "ServiceNetwork/n1"}, SETTINGS)
    assert by_owner == sn.NetworkOwnership(True, adopted)
    assert not sn.network_ownership("n1", {tag_keys.ALLOW_ADOPTION_BY: "ServiceNetwork/n2"}, SETTINGS).owned


def test_removal_deletes_ours_releases_adopted_and_leaves_the_rest() -> None:
    assert sn.network_removal({tag_keys.MANAGED_BY: OURS}, SETTINGS) == sn.NetworkRemoval(delete=True)
    adopted = {tag_keys.MANAGED_BY: OURS, tag_keys.ADOPTED_FROM: tag_keys.ADOPTED_FROM_UNMANAGED}
    assert sn.network_removal(adopted, SETTINGS) == sn.NetworkRemoval(
        release=True, untag=(tag_keys.ADOPTED_FROM, tag_keys.MANAGED_BY)
    )
    platform = replace(SETTINGS, adoption_allowed_namespaces=("*",))
    assert sn.network_removal(adopted, platform) == sn.NetworkRemoval(delete=True)
    assert sn.network_removal({}, SETTINGS) == sn.NetworkRemoval()
    assert sn.network_removal({tag_keys.MANAGED_BY: "1/other/vpc-9"}, SETTINGS) == sn.NetworkRemoval()


def _gateway(name: str, namespace: str = "infra", deleting: bool = False) -> Gateway:
    metadata: dict[str, object] = {"name": name, "namespace": namespace}
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return parse_gateway({"metadata": metadata, "spec": {"gatewayClassName": "c", "listeners": []}})


def test_gateways_using_a_network_by_name_or_through_override_mode() -> None:
    gateways = [_gateway("n1"), _gateway("n1", "other", deleting=True), _gateway("n2")]
    assert sn.gateways_using("n1", gateways, SETTINGS) == ["infra/n1"]
    override = replace(SETTINGS, default_service_network="n1", service_network_override=True)
    assert sn.gateways_using("n1", gateways, override) == ["infra/n1", "infra/n2"]


def test_delete_blocked_messages() -> None:
    assert sn.delete_blocked_message("n1", [], 0, 0) is None
    assert (
        sn.delete_blocked_message("n1", ["infra/n1"], 3, 1)
        == "Cannot delete: Gateway infra/n1 still references this service network"
    )
    assert sn.delete_blocked_message("n1", ["a/n1", "b/n1"], 0, 0) == (
        "Cannot delete: Gateway a/n1 still references this service network (and 1 more)"
    )
    message = sn.delete_blocked_message("n1", [], 2, 1)
    assert message is not None
    assert "still has 2 service association(s) and 1 VPC association(s)" in message


def test_conditions_and_the_record() -> None:
    assert (sn.accepted(3).status, sn.accepted(3).reason, sn.accepted(3).observed_generation) == (
        "True",
        "Accepted",
        3,
    )
    assert (sn.accepted(1, "bad").status, sn.accepted(1, "bad").reason) == ("False", "Invalid")
    blocked = sn.programmed(2, sn.REASON_DELETE_BLOCKED, "wait")
    assert (blocked.status, blocked.reason, blocked.message) == ("False", "DeleteBlocked", "wait")
    record = parse_service_network(
        {
            "metadata": {"name": "n1", "generation": 2},
            "spec": {},
            "status": {
                "serviceNetworkARN": "arn:aws:vpc-lattice:us-west-2:1:servicenetwork/sn-1",
                "serviceNetworkID": "sn-1",
                "conditions": [
                    {
                        "type": "Programmed",
                        "status": "True",
                        "reason": "Programmed",
                        "message": "ServiceNetwork is programmed",
                        "lastTransitionTime": "2026-01-01T00:00:00Z",
                    }
                ],
            },
        }
    )
    assert (record.meta.key.name, record.meta.key.namespace, record.id) == ("n1", "", "sn-1")
    assert record.arn.endswith("/sn-1")
    assert [c.type for c in record.conditions] == ["Programmed"]
