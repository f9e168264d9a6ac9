"""Every raw response body uses only members of botocore's output shape for its operation.

botocore silently drops unknown members, so a misspelt field would otherwise go unnoticed.
"""

from __future__ import annotations

import json
from typing import Any

from tests.integration.fakeaws.builders import (
    VPC,
    forward,
    listener,
    path_match,
    service,
    service_network,
    target_group,
)


def _stray_members(shape: Any, value: Any, path: str) -> list[str]:
    if shape is None:
        return []
    if shape.type_name == "structure" and isinstance(value, dict):
        stray = [f"{path}.{key}" for key in value if key not in shape.members]
        for key, item in value.items():
            if key in shape.members:
                stray += _stray_members(shape.members[key], item, f"{path}.{key}")
        return stray
    if shape.type_name == "list" and isinstance(value, list):
        return [s for item in value for s in _stray_members(shape.member, item, f"{path}[]")]
    return []


async def test_no_member_outside_the_output_shapes(lattice_client: Any) -> None:
    stray: list[str] = []
    seen: set[str] = set()

    def inspect(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        seen.add(operation_model.name)
        body = response_dict.get("body") or b""
        if response_dict.get("status_code", 200) < 300 and body:
            stray.extend(_stray_members(operation_model.output_shape, json.loads(body), operation_model.name))

    lattice_client.meta.events.register("before-parse.vpc-lattice", inspect)
    c = lattice_client
    sn = await service_network(c, tags={"a": "b"})
    svc = await service(c, customDomainName="a.example.com")
    tg = await target_group(c)
    lis = await listener(c, svc["id"], action=forward(tg["id"]))
    created = await c.create_rule(
        serviceIdentifier=svc["id"],
        listenerIdentifier=lis["id"],
        name="shape",
        priority=1,
        match=path_match("/"),
        action=forward(tg["id"]),
    )
    snsa = await c.create_service_network_service_association(
        serviceNetworkIdentifier=sn["id"], serviceIdentifier=svc["id"]
    )
    snva = await c.create_service_network_vpc_association(
        serviceNetworkIdentifier=sn["id"], vpcIdentifier=VPC, securityGroupIds=["sg-12345678"]
    )
    als = await c.create_access_log_subscription(
        resourceIdentifier=sn["id"], destinationArn="arn:aws:s3:::bucket-a"
    )
    await c.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.1"}])
    await c.put_auth_policy(resourceIdentifier=svc["id"], policy="{}")
    ids = {"serviceIdentifier": svc["id"], "listenerIdentifier": lis["id"]}
    for call, kwargs in [
        (c.get_service_network, {"serviceNetworkIdentifier": sn["id"]}),
        (c.list_service_networks, {}),
        (c.update_service_network, {"serviceNetworkIdentifier": sn["id"], "authType": "NONE"}),
        (c.get_service, {"serviceIdentifier": svc["id"]}),
        (c.list_services, {}),
        (c.update_service, {"serviceIdentifier": svc["id"], "authType": "AWS_IAM"}),
        (c.get_target_group, {"targetGroupIdentifier": tg["id"]}),
        (c.list_target_groups, {}),
        (c.update_target_group, {"targetGroupIdentifier": tg["id"], "healthCheck": {"path": "/x"}}),
        (c.get_listener, ids),
        (c.list_listeners, {"serviceIdentifier": svc["id"]}),
        (c.update_listener, {**ids, "defaultAction": forward(tg["id"])}),
        (c.get_rule, {**ids, "ruleIdentifier": created["id"]}),
        (c.list_rules, ids),
        (c.update_rule, {**ids, "ruleIdentifier": created["id"], "priority": 2}),
        (c.batch_update_rule, {**ids, "rules": [{"ruleIdentifier": created["id"], "priority": 3}]}),
        (c.list_targets, {"targetGroupIdentifier": tg["id"]}),
        (c.deregister_targets, {"targetGroupIdentifier": tg["id"], "targets": [{"id": "10.0.0.1"}]}),
        (
            c.get_service_network_service_association,
            {"serviceNetworkServiceAssociationIdentifier": snsa["id"]},
        ),
        (c.list_service_network_service_associations, {"serviceNetworkIdentifier": sn["id"]}),
        (c.get_service_network_vpc_association, {"serviceNetworkVpcAssociationIdentifier": snva["id"]}),
        (c.list_service_network_vpc_associations, {"serviceNetworkIdentifier": sn["id"]}),
        (
            c.update_service_network_vpc_association,
            {"serviceNetworkVpcAssociationIdentifier": snva["id"], "securityGroupIds": ["sg-87654321"]},
        ),
        (c.get_access_log_subscription, {"accessLogSubscriptionIdentifier": als["id"]}),
        (c.list_access_log_subscriptions, {"resourceIdentifier": sn["id"]}),
        (
            c.update_access_log_subscription,
            {"accessLogSubscriptionIdentifier": als["id"], "destinationArn": "arn:aws:s3:::bucket-b"},
        ),
        (c.get_auth_policy, {"resourceIdentifier": svc["id"]}),
        (c.list_tags_for_resource, {"resourceArn": sn["arn"]}),
        (
            c.delete_service_network_service_association,
            {"serviceNetworkServiceAssociationIdentifier": snsa["id"]},
        ),
        (c.delete_service_network_vpc_association, {"serviceNetworkVpcAssociationIdentifier": snva["id"]}),
        (c.delete_listener, ids),
        (c.delete_target_group, {"targetGroupIdentifier": tg["id"]}),
        (c.delete_service, {"serviceIdentifier": svc["id"]}),
    ]:
        await call(**kwargs)
    assert len(seen) >= 40
    assert stray == []
