"""apply_plan: Pending substitution, ARN → id identifiers, API shapes, outcome mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from lattice_controller.aws import errors
from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.tagging import TagStore
from lattice_controller.aws.testing import ScriptedTransport
from lattice_controller.model.lattice import RuleMatch, TargetGroupConfig
from lattice_controller.reconcile.apply import ApplyFailed, UnresolvedRef, apply_plan, request_token
from lattice_controller.reconcile.diff import (
    BatchUpdateRule,
    CreateListener,
    CreateRule,
    CreateService,
    CreateServiceNetworkServiceAssociation,
    CreateTargetGroup,
    DeleteListener,
    DeleteService,
    DeleteTargetGroup,
    DeregisterTargets,
    Pending,
    Plan,
    PlanAction,
    RegisterTargets,
    TagResource,
    UpdateRule,
    UpdateService,
)

ACCOUNT = "arn:aws:vpc-lattice:us-west-2:123456789012"
SVC_ARN = f"{ACCOUNT}:service/svc-1"
LISTENER_ARN = f"{SVC_ARN}/listener/listener-1"
RULE_ARN = f"{LISTENER_ARN}/rule/rule-1"
TG_ARN = f"{ACCOUNT}:targetgroup/tg-old"
TAGS = (("application-networking.k8s.aws/ManagedBy", "me"),)


def created(prefix: str, arn: str) -> Any:
    def answer(params: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": f"{prefix}-new",
            "arn": arn,
            "status": "ACTIVE",
            "dnsEntry": {"domainName": "d.example"},
        }

    return answer


def setup(transport: ScriptedTransport) -> tuple[LatticeApi, TagStore, LatticeInventory]:
    api = LatticeApi(transport)
    tags = TagStore(api, transport)
    return api, tags, LatticeInventory(api, tags)


def create_plan() -> Plan:
    tg = Pending("target_group", "k8s-default-web-abc")
    svc = Pending("service", "web-default")
    listener = Pending("listener", "web-default-80-http")
    return Plan(
        (
            CreateTargetGroup("k8s-default-web-abc", TargetGroupConfig("vpc-1"), None, TAGS),
            RegisterTargets(tg, (("10.0.0.1", 8080),)),
            CreateService("web-default", TAGS),
            CreateServiceNetworkServiceAssociation(svc, "sn-1", TAGS),
            CreateListener(svc, "web-default-80-http", 80, "HTTP", PlanAction(fixed_status=404), TAGS),
            CreateRule(svc, listener, "k8s-r-1", 1, RuleMatch(), PlanAction(((tg, 1),)), TAGS),
        )
    )


async def test_pending_refs_are_replaced_by_the_ids_creates_returned() -> None:
    transport = ScriptedTransport(default={})
    transport.on("CreateTargetGroup", created("tg", f"{ACCOUNT}:targetgroup/tg-new"))
    transport.on("CreateService", created("svc", f"{ACCOUNT}:service/svc-new"))
    transport.on("CreateListener", created("listener", f"{ACCOUNT}:service/svc-new/listener/listener-new"))
    transport.on("CreateRule", created("rule", "arn:rule"))
    transport.on("CreateServiceNetworkServiceAssociation", created("snsa", "arn:snsa"))
    api, tags, inventory = setup(transport)

    result = await apply_plan(create_plan(), api, tags, inventory=inventory)

    assert result.writes == 6
    assert not result.waits
    assert result.service is not None
    assert result.service.id == "svc-new"
    assert result.service_dns_name == "d.example"
    assert transport.params_of("RegisterTargets") == [
        {"targetGroupIdentifier": "tg-new", "targets": [{"id": "10.0.0.1", "port": 8080}]}
    ]
    (listener,) = transport.params_of("CreateListener")
    assert listener["serviceIdentifier"] == "svc-new"
    assert listener["defaultAction"] == {"fixedResponse": {"statusCode": 404}}
    request = {k: v for k, v in listener.items() if k != "clientToken"}
    assert listener["clientToken"] == request_token("CreateListener", **request)
    (rule,) = transport.params_of("CreateRule")
    assert (rule["serviceIdentifier"], rule["listenerIdentifier"]) == ("svc-new", "listener-new")
    assert rule["action"] == {"forward": {"targetGroups": [{"targetGroupIdentifier": "tg-new", "weight": 1}]}}
    assert rule["match"] == {"httpMatch": {"pathMatch": {"match": {"prefix": "/"}, "caseSensitive": True}}}
    (group,) = transport.params_of("CreateTargetGroup")
    request = {k: v for k, v in group.items() if k != "clientToken"}
    assert group["clientToken"] == request_token("CreateTargetGroup", **request)
    assert group["type"] == "IP"
    assert group["config"]["vpcIdentifier"] == "vpc-1"
    # Created resources' tags are known: ownership reads of them need no call.
    assert tags.cache.get(f"{ACCOUNT}:service/svc-new") == dict(TAGS)


async def test_existing_resources_are_addressed_by_id_and_tagged_by_arn() -> None:
    transport = ScriptedTransport(default={})
    transport.on("BatchUpdateRule", {"successful": [], "unsuccessful": []})
    api, tags, inventory = setup(transport)
    plan = Plan(
        (
            TagResource(SVC_ARN, (("team", "a"),)),
            UpdateRule(SVC_ARN, LISTENER_ARN, RULE_ARN, RuleMatch("exact", "/x"), PlanAction(((TG_ARN, 2),))),
            BatchUpdateRule(SVC_ARN, LISTENER_ARN, ((RULE_ARN, 3),)),
            DeleteListener(SVC_ARN, LISTENER_ARN),
        )
    )
    await apply_plan(plan, api, tags, inventory=inventory)
    assert transport.params_of("TagResources") == [{"ResourceARNList": [SVC_ARN], "Tags": {"team": "a"}}]
    (update,) = transport.params_of("UpdateRule")
    assert (update["serviceIdentifier"], update["listenerIdentifier"], update["ruleIdentifier"]) == (
        "svc-1",
        "listener-1",
        "rule-1",
    )
    assert update["action"]["forward"]["targetGroups"] == [{"targetGroupIdentifier": "tg-old", "weight": 2}]
    assert transport.params_of("BatchUpdateRule")[0]["rules"] == [{"ruleIdentifier": "rule-1", "priority": 3}]
    assert transport.params_of("DeleteListener") == [
        {"serviceIdentifier": "svc-1", "listenerIdentifier": "listener-1"}
    ]


async def test_delete_of_something_already_gone_succeeds() -> None:
    transport = ScriptedTransport(default={})
    transport.fail("DeleteService", "ResourceNotFoundException")
    transport.fail("DeregisterTargets", "ResourceNotFoundException")
    api, tags, inventory = setup(transport)
    result = await apply_plan(
        Plan(
            (
                DeleteService(SVC_ARN),
                DeregisterTargets(TG_ARN, (("10.0.0.1", 80),)),
                DeleteTargetGroup(TG_ARN),
            )
        ),
        api,
        tags,
        inventory=inventory,
    )
    assert result.already_gone == 2
    assert not result.waits
    assert transport.count("DeleteTargetGroup") == 1


async def test_conflict_on_delete_is_a_wait_and_the_plan_goes_on() -> None:
    transport = ScriptedTransport(default={})
    transport.on("DeleteTargetGroup", {})
    transport.fail("DeleteTargetGroup", "ConflictException", "Target group is in use", times=1)
    api, tags, inventory = setup(transport)
    other = f"{ACCOUNT}:targetgroup/tg-other"
    result = await apply_plan(
        Plan((DeleteTargetGroup(TG_ARN), DeleteTargetGroup(other))), api, tags, inventory=inventory
    )
    assert result.requeue_after == 10.0
    assert result.waits == (f"DeleteTargetGroup {TG_ARN}: Target group is in use",)
    assert transport.params_of("DeleteTargetGroup")[1] == {"targetGroupIdentifier": "tg-other"}


async def test_association_create_in_progress_is_a_wait() -> None:
    transport = ScriptedTransport(default={})
    transport.fail(
        "CreateServiceNetworkServiceAssociation", "ConflictException", "association is CREATE_IN_PROGRESS"
    )
    api, tags, inventory = setup(transport)
    result = await apply_plan(
        Plan((CreateServiceNetworkServiceAssociation(SVC_ARN, "sn-1", TAGS),)),
        api,
        tags,
        inventory=inventory,
    )
    assert result.waits


async def test_other_errors_stop_the_plan_and_drop_stale_listings() -> None:
    transport = ScriptedTransport(default={})
    transport.on("ListServices", {"items": [{"id": "svc-1", "arn": SVC_ARN, "name": "web-default"}]})
    transport.fail("UpdateService", "ValidationException", "bad certificate")
    api, tags, inventory = setup(transport)
    assert await inventory.service_named("web-default") is not None
    plan = Plan((UpdateService(SVC_ARN, "arn:cert"), DeleteTargetGroup(TG_ARN)))
    with pytest.raises(errors.AwsError):
        await apply_plan(plan, api, tags, inventory=inventory)
    assert transport.count("DeleteTargetGroup") == 0
    await inventory.service_named("web-default")
    assert transport.count("ListServices") == 2


async def test_service_name_taken_is_a_wait_that_ends_the_plan_and_forces_a_listing() -> None:
    transport = ScriptedTransport(default={})
    transport.fail(
        "CreateService", "ConflictException", "A service with the name 'web-default' already exists."
    )
    api, tags, inventory = setup(transport)
    assert not inventory.service_name_taken("web-default")
    plan = Plan((CreateService("web-default", TAGS), DeleteTargetGroup(TG_ARN)))
    result = await apply_plan(plan, api, tags, inventory=inventory)
    assert result.waits
    assert transport.count("DeleteTargetGroup") == 0
    assert inventory.service_name_taken("web-default")


async def test_partial_failures_raise() -> None:
    transport = ScriptedTransport(default={})
    transport.on(
        "RegisterTargets", {"successful": [], "unsuccessful": [{"id": "10.0.0.1", "failureCode": "X"}]}
    )
    transport.on(
        "BatchUpdateRule", {"successful": [], "unsuccessful": [{"id": "rule-1", "failureCode": "Y"}]}
    )
    api, tags, inventory = setup(transport)
    with pytest.raises(ApplyFailed, match="1 target"):
        await apply_plan(
            Plan((RegisterTargets(TG_ARN, (("10.0.0.1", 80),)),)), api, tags, inventory=inventory
        )
    with pytest.raises(ApplyFailed, match="1 rule"):
        await apply_plan(Plan((BatchUpdateRule(SVC_ARN, LISTENER_ARN, ((RULE_ARN, 2),)),)), api, tags)


async def test_a_ref_to_nothing_created_is_an_error() -> None:
    api, tags, _ = setup(ScriptedTransport(default={}))
    with pytest.raises(UnresolvedRef):
        await apply_plan(
            Plan((RegisterTargets(Pending("target_group", "x"), (("10.0.0.1", 80),)),)), api, tags
        )
    with pytest.raises(UnresolvedRef):
        await apply_plan(Plan((TagResource("svc-1", (("a", "b"),)),)), api, tags)


async def test_client_tokens_are_pinned() -> None:
    """A token is part of the contract with AWS: a controller upgraded mid-create must send the token
    the previous version sent, or Lattice creates a duplicate. Any change to how requests are built
    or hashed changes these values and fails here first."""
    transport = ScriptedTransport(default={})
    transport.on("CreateTargetGroup", created("tg", f"{ACCOUNT}:targetgroup/tg-new"))
    transport.on("CreateService", created("svc", f"{ACCOUNT}:service/svc-new"))
    transport.on("CreateListener", created("listener", f"{ACCOUNT}:service/svc-new/listener/listener-new"))
    transport.on("CreateRule", created("rule", "arn:rule"))
    transport.on("CreateServiceNetworkServiceAssociation", created("snsa", "arn:snsa"))
    api, tags, inventory = setup(transport)

    await apply_plan(create_plan(), api, tags, inventory=inventory)

    tokens = {c.operation: c.params["clientToken"] for c in transport.calls if "clientToken" in c.params}
    assert tokens == PINNED_TOKENS


PINNED_TOKENS = {
    "CreateTargetGroup": "c6486221bf5ac577c3ea6ca7eb0456952470907f24cdc3f49455604df127509a",
    "CreateService": "5f7f3146ca0c206913c0edd429781f7262cc243c45e85535c26a430fda0dce0e",
    "CreateServiceNetworkServiceAssociation": (
        "d23bfe892158dd077da0dede4cf6cf6e37214a5ac8e0cf2f996a13776ca08912"
    ),
    "CreateListener": "10537208934475e4509b5aafaad8e30cb65c80f5569f1aa9c0cba5a7e600c81d",
    "CreateRule": "227ed17259917dbbd990fe3a1d1e06b7e2b583f4bdf5ffb57ec68b2070620368",
}


async def test_a_failure_after_writes_says_the_service_is_partially_applied_and_which_step_failed() -> None:
    transport = ScriptedTransport(default={})
    transport.on("CreateTargetGroup", created("tg", f"{ACCOUNT}:targetgroup/tg-new"))
    transport.on("CreateService", created("svc", SVC_ARN))
    transport.on("CreateServiceNetworkServiceAssociation", created("snsa", f"{ACCOUNT}:snsa/a-1"))
    transport.on("CreateListener", created("listener", LISTENER_ARN))
    transport.fail("CreateRule", "ServiceQuotaExceededException", "rules per listener")
    api, tags, inventory = setup(transport)
    with pytest.raises(errors.ServiceQuotaExceeded) as failure:
        await apply_plan(create_plan(), api, tags, inventory=inventory)
    (note,) = failure.value.__notes__
    assert note.startswith("the service is partially applied: ")
    assert "k8s-r-1" in note, note


async def test_a_first_step_failure_is_partial_only_on_a_live_service() -> None:
    transport = ScriptedTransport(default={})
    transport.fail("UpdateService", "ValidationException", "bad certificate")
    api, tags, inventory = setup(transport)
    plan = Plan((UpdateService(SVC_ARN, "arn:cert"),))
    with pytest.raises(errors.AwsError) as new:
        await apply_plan(plan, api, tags, inventory=inventory)
    assert not getattr(new.value, "__notes__", ())
    with pytest.raises(errors.AwsError) as live:
        await apply_plan(plan, api, tags, inventory=inventory, live=True)
    assert "partially applied" in live.value.__notes__[0]
