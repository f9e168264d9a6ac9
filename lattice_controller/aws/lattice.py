"""A thin typed facade over the VPC Lattice API: one async method per operation the controller uses.

Methods take identifiers as typed arguments and any other request member by its API name in
``**fields`` (camelCase, e.g. ``customDomainName=``); ``None`` values are dropped. They return the
response as a plain dict without ``ResponseMetadata``. ``list_*`` methods follow ``nextToken`` to the
end. Create methods require a ``client_token`` (idempotent retries after a crash). Every successful
write is reported to the registered write observers (the inventory and the tag cache use this to
stay correct without re-listing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lattice_controller.aws.metrics import is_read_operation
from lattice_controller.aws.pagination import collect_pages
from lattice_controller.aws.session import LATTICE
from lattice_controller.aws.transport import AwsTransport

Json = dict[str, Any]
WriteObserver = Callable[[str, Mapping[str, Any], Mapping[str, Any]], None]
"""Called as ``observer(operation, params, response)`` after each successful write."""

TARGETS_PER_CALL = 100


def _drop_none(params: Mapping[str, Any]) -> Json:
    return {k: v for k, v in params.items() if v is not None}


class LatticeApi:
    def __init__(self, transport: AwsTransport) -> None:
        self._transport = transport
        self._write_observers: list[WriteObserver] = []

    def add_write_observer(self, observer: WriteObserver) -> None:
        self._write_observers.append(observer)

    async def call(self, operation: str, **params: Any) -> Json:
        """Send any Lattice operation; the typed methods below all go through here."""
        params = _drop_none(params)
        response = await self._transport.call(LATTICE, operation, params)
        if not is_read_operation(operation):
            for observer in self._write_observers:
                observer(operation, params, response)
        return response

    async def list_all(self, operation: str, **params: Any) -> list[Json]:
        """All ``items`` of a paginated Lattice List operation."""

        async def page(token: str | None) -> Json:
            return await self.call(operation, nextToken=token, **params)

        return await collect_pages(page, items_key="items", token_key="nextToken")

    # -- services --------------------------------------------------------------------------------

    async def create_service(
        self, name: str, *, client_token: str, tags: Mapping[str, str] | None = None, **fields: Any
    ) -> Json:
        return await self.call("CreateService", name=name, clientToken=client_token, tags=tags, **fields)

    async def get_service(self, service_id: str) -> Json:
        return await self.call("GetService", serviceIdentifier=service_id)

    async def update_service(self, service_id: str, **fields: Any) -> Json:
        return await self.call("UpdateService", serviceIdentifier=service_id, **fields)

    async def delete_service(self, service_id: str) -> Json:
        return await self.call("DeleteService", serviceIdentifier=service_id)

    async def list_services(self) -> list[Json]:
        return await self.list_all("ListServices")

    # -- listeners -------------------------------------------------------------------------------

    async def create_listener(
        self,
        service_id: str,
        name: str,
        protocol: str,
        default_action: Mapping[str, Any],
        *,
        client_token: str,
        port: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Json:
        return await self.call(
            "CreateListener",
            serviceIdentifier=service_id,
            name=name,
            protocol=protocol,
            port=port,
            defaultAction=default_action,
            clientToken=client_token,
            tags=tags,
        )

    async def get_listener(self, service_id: str, listener_id: str) -> Json:
        return await self.call("GetListener", serviceIdentifier=service_id, listenerIdentifier=listener_id)

    async def update_listener(
        self, service_id: str, listener_id: str, default_action: Mapping[str, Any]
    ) -> Json:
        return await self.call(
            "UpdateListener",
            serviceIdentifier=service_id,
            listenerIdentifier=listener_id,
            defaultAction=default_action,
        )

    async def delete_listener(self, service_id: str, listener_id: str) -> Json:
        return await self.call("DeleteListener", serviceIdentifier=service_id, listenerIdentifier=listener_id)

    async def list_listeners(self, service_id: str) -> list[Json]:
        return await self.list_all("ListListeners", serviceIdentifier=service_id)

    # -- rules -----------------------------------------------------------------------------------

    async def create_rule(
        self,
        service_id: str,
        listener_id: str,
        name: str,
        match: Mapping[str, Any],
        priority: int,
        action: Mapping[str, Any],
        *,
        client_token: str,
        tags: Mapping[str, str] | None = None,
    ) -> Json:
        return await self.call(
            "CreateRule",
            serviceIdentifier=service_id,
            listenerIdentifier=listener_id,
            name=name,
            match=match,
            priority=priority,
            action=action,
            clientToken=client_token,
            tags=tags,
        )

    async def get_rule(self, service_id: str, listener_id: str, rule_id: str) -> Json:
        return await self.call(
            "GetRule", serviceIdentifier=service_id, listenerIdentifier=listener_id, ruleIdentifier=rule_id
        )

    async def update_rule(self, service_id: str, listener_id: str, rule_id: str, **fields: Any) -> Json:
        """``fields``: any of ``match``, ``priority``, ``action``."""
        return await self.call(
            "UpdateRule",
            serviceIdentifier=service_id,
            listenerIdentifier=listener_id,
            ruleIdentifier=rule_id,
            **fields,
        )

    async def delete_rule(self, service_id: str, listener_id: str, rule_id: str) -> Json:
        return await self.call(
            "DeleteRule", serviceIdentifier=service_id, listenerIdentifier=listener_id, ruleIdentifier=rule_id
        )

    async def list_rules(self, service_id: str, listener_id: str) -> list[Json]:
        return await self.list_all("ListRules", serviceIdentifier=service_id, listenerIdentifier=listener_id)

    async def batch_update_rule(
        self, service_id: str, listener_id: str, rules: Sequence[Mapping[str, Any]]
    ) -> Json:
        """``rules``: ``[{"ruleIdentifier": ..., "priority": ...}, ...]``; returns successful/unsuccessful."""
        return await self.call(
            "BatchUpdateRule", serviceIdentifier=service_id, listenerIdentifier=listener_id, rules=list(rules)
        )

    # -- target groups and targets ---------------------------------------------------------------

    async def create_target_group(
        self,
        name: str,
        type: str,
        *,
        client_token: str,
        config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Json:
        return await self.call(
            "CreateTargetGroup", name=name, type=type, config=config, clientToken=client_token, tags=tags
        )

    async def get_target_group(self, target_group_id: str) -> Json:
        return await self.call("GetTargetGroup", targetGroupIdentifier=target_group_id)

    async def update_target_group(self, target_group_id: str, health_check: Mapping[str, Any]) -> Json:
        return await self.call(
            "UpdateTargetGroup", targetGroupIdentifier=target_group_id, healthCheck=health_check
        )

    async def delete_target_group(self, target_group_id: str) -> Json:
        return await self.call("DeleteTargetGroup", targetGroupIdentifier=target_group_id)

    async def list_target_groups(
        self, *, vpc_id: str | None = None, target_group_type: str | None = None
    ) -> list[Json]:
        return await self.list_all(
            "ListTargetGroups", vpcIdentifier=vpc_id, targetGroupType=target_group_type
        )

    async def register_targets(self, target_group_id: str, targets: Sequence[Mapping[str, Any]]) -> Json:
        """Register ``[{"id": ip, "port": n}, ...]`` in calls of at most 100; results are merged."""
        return await self._targets_in_batches("RegisterTargets", target_group_id, targets)

    async def deregister_targets(self, target_group_id: str, targets: Sequence[Mapping[str, Any]]) -> Json:
        return await self._targets_in_batches("DeregisterTargets", target_group_id, targets)

    async def list_targets(
        self, target_group_id: str, targets: Sequence[Mapping[str, Any]] | None = None
    ) -> list[Json]:
        return await self.list_all(
            "ListTargets",
            targetGroupIdentifier=target_group_id,
            targets=list(targets) if targets is not None else None,
        )

    async def _targets_in_batches(
        self, operation: str, target_group_id: str, targets: Sequence[Mapping[str, Any]]
    ) -> Json:
        merged: Json = {"successful": [], "unsuccessful": []}
        for start in range(0, len(targets), TARGETS_PER_CALL):
            batch = list(targets[start : start + TARGETS_PER_CALL])
            response = await self.call(operation, targetGroupIdentifier=target_group_id, targets=batch)
            merged["successful"].extend(response.get("successful") or [])
            merged["unsuccessful"].extend(response.get("unsuccessful") or [])
        return merged

    # -- service networks ------------------------------------------------------------------------

    async def create_service_network(
        self, name: str, *, client_token: str, tags: Mapping[str, str] | None = None, **fields: Any
    ) -> Json:
        return await self.call(
            "CreateServiceNetwork", name=name, clientToken=client_token, tags=tags, **fields
        )

    async def get_service_network(self, service_network_id: str) -> Json:
        return await self.call("GetServiceNetwork", serviceNetworkIdentifier=service_network_id)

    async def update_service_network(self, service_network_id: str, auth_type: str) -> Json:
        return await self.call(
            "UpdateServiceNetwork", serviceNetworkIdentifier=service_network_id, authType=auth_type
        )

    async def delete_service_network(self, service_network_id: str) -> Json:
        return await self.call("DeleteServiceNetwork", serviceNetworkIdentifier=service_network_id)

    async def list_service_networks(self) -> list[Json]:
        return await self.list_all("ListServiceNetworks")

    # -- service network ↔ service associations --------------------------------------------------

    async def create_service_network_service_association(
        self,
        service_id: str,
        service_network_id: str,
        *,
        client_token: str,
        tags: Mapping[str, str] | None = None,
    ) -> Json:
        return await self.call(
            "CreateServiceNetworkServiceAssociation",
            serviceIdentifier=service_id,
            serviceNetworkIdentifier=service_network_id,
            clientToken=client_token,
            tags=tags,
        )

    async def get_service_network_service_association(self, association_id: str) -> Json:
        return await self.call(
            "GetServiceNetworkServiceAssociation", serviceNetworkServiceAssociationIdentifier=association_id
        )

    async def delete_service_network_service_association(self, association_id: str) -> Json:
        return await self.call(
            "DeleteServiceNetworkServiceAssociation",
            serviceNetworkServiceAssociationIdentifier=association_id,
        )

    async def list_service_network_service_associations(
        self, *, service_network_id: str | None = None, service_id: str | None = None
    ) -> list[Json]:
        return await self.list_all(
            "ListServiceNetworkServiceAssociations",
            serviceNetworkIdentifier=service_network_id,
            serviceIdentifier=service_id,
        )

    # -- service network ↔ VPC associations ------------------------------------------------------

    async def create_service_network_vpc_association(
        self,
        service_network_id: str,
        vpc_id: str,
        *,
        client_token: str,
        security_group_ids: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Json:
        return await self.call(
            "CreateServiceNetworkVpcAssociation",
            serviceNetworkIdentifier=service_network_id,
            vpcIdentifier=vpc_id,
            securityGroupIds=list(security_group_ids) if security_group_ids is not None else None,
            clientToken=client_token,
            tags=tags,
            **fields,
        )

    async def get_service_network_vpc_association(self, association_id: str) -> Json:
        return await self.call(
            "GetServiceNetworkVpcAssociation", serviceNetworkVpcAssociationIdentifier=association_id
        )

    async def update_service_network_vpc_association(self, association_id: str, **fields: Any) -> Json:
        """``fields``: ``securityGroupIds`` (and ``privateDnsEnabled``/``dnsOptions`` where allowed)."""
        return await self.call(
            "UpdateServiceNetworkVpcAssociation",
            serviceNetworkVpcAssociationIdentifier=association_id,
            **fields,
        )

    async def delete_service_network_vpc_association(self, association_id: str) -> Json:
        return await self.call(
            "DeleteServiceNetworkVpcAssociation", serviceNetworkVpcAssociationIdentifier=association_id
        )

    async def list_service_network_vpc_associations(
        self, *, service_network_id: str | None = None, vpc_id: str | None = None
    ) -> list[Json]:
        return await self.list_all(
            "ListServiceNetworkVpcAssociations",
            serviceNetworkIdentifier=service_network_id,
            vpcIdentifier=vpc_id,
        )

    # -- tags (uncached here; read tags through TagStore) ----------------------------------------

    async def list_tags_for_resource(self, arn: str) -> dict[str, str]:
        response = await self.call("ListTagsForResource", resourceArn=arn)
        return dict(response.get("tags") or {})

    async def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        await self.call("TagResource", resourceArn=arn, tags=dict(tags))

    async def untag_resource(self, arn: str, tag_keys: Sequence[str]) -> None:
        await self.call("UntagResource", resourceArn=arn, tagKeys=list(tag_keys))

    # -- auth policies ---------------------------------------------------------------------------

    async def put_auth_policy(self, resource_id: str, policy: str) -> Json:
        return await self.call("PutAuthPolicy", resourceIdentifier=resource_id, policy=policy)

    async def get_auth_policy(self, resource_id: str) -> Json:
        return await self.call("GetAuthPolicy", resourceIdentifier=resource_id)

    async def delete_auth_policy(self, resource_id: str) -> Json:
        return await self.call("DeleteAuthPolicy", resourceIdentifier=resource_id)

    # -- access log subscriptions ----------------------------------------------------------------

    async def create_access_log_subscription(
        self,
        resource_id: str,
        destination_arn: str,
        *,
        client_token: str,
        tags: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Json:
        return await self.call(
            "CreateAccessLogSubscription",
            resourceIdentifier=resource_id,
            destinationArn=destination_arn,
            clientToken=client_token,
            tags=tags,
            **fields,
        )

    async def get_access_log_subscription(self, subscription_id: str) -> Json:
        return await self.call("GetAccessLogSubscription", accessLogSubscriptionIdentifier=subscription_id)

    async def update_access_log_subscription(self, subscription_id: str, destination_arn: str) -> Json:
        return await self.call(
            "UpdateAccessLogSubscription",
            accessLogSubscriptionIdentifier=subscription_id,
            destinationArn=destination_arn,
        )

    async def delete_access_log_subscription(self, subscription_id: str) -> Json:
        return await self.call("DeleteAccessLogSubscription", accessLogSubscriptionIdentifier=subscription_id)

    async def list_access_log_subscriptions(self, resource_id: str) -> list[Json]:
        return await self.list_all("ListAccessLogSubscriptions", resourceIdentifier=resource_id)
