"""Auth policies, resource policies and access log subscriptions of services and service networks."""

from __future__ import annotations

import json
from typing import Any

from e2e.fakeaws import lookup, validate
from e2e.fakeaws.errors import conflict, not_found, validation_error
from e2e.fakeaws.idempotency import create_once
from e2e.fakeaws.ids import iso, new_id, now, resolve_id, touched
from e2e.fakeaws.pagination import paginate
from e2e.fakeaws.records import AccessLogSubscription, AuthPolicy, Service, ServiceNetwork
from e2e.fakeaws.registry import Args, Reply, drop_none, operation, required
from e2e.fakeaws.state import LatticeState


def forget_policies_of(state: LatticeState, resource_id: str) -> None:
    """Deleting a service or service network deletes its auth policy, resource policy and access log
    subscriptions."""
    state.auth_policies.pop(resource_id, None)
    for arn in [arn for arn in state.resource_policies if arn.rsplit("/", 1)[-1] == resource_id]:
        del state.resource_policies[arn]
    for sub_id in [s.id for s in state.access_log_subscriptions.values() if s.resource_id == resource_id]:
        del state.access_log_subscriptions[sub_id]


def _sn_or_service(state: LatticeState, identifier: Any) -> ServiceNetwork | Service:
    if not isinstance(identifier, str) or not identifier:
        raise validation_error("resourceIdentifier is required", "resourceIdentifier")
    last = identifier.rsplit("/", 1)[-1]
    if last.startswith("sn-"):
        return lookup.service_network(state, identifier, "resourceIdentifier")
    if last.startswith("svc-"):
        return lookup.service(state, identifier, "resourceIdentifier")
    raise validation_error(
        f"Invalid resourceIdentifier '{identifier}': expected a service or service network id or ARN",
        "resourceIdentifier",
    )


def _policy_state(resource: ServiceNetwork | Service) -> str:
    return "Active" if resource.auth_type == "AWS_IAM" else "Inactive"


@operation("PutAuthPolicy")
def put_auth_policy(state: LatticeState, args: Args) -> Reply:
    resource = _sn_or_service(state, args.get("resourceIdentifier"))
    policy = required(args, "policy")
    existing = state.auth_policies.get(resource.id)
    stamp = now()
    if existing is None:
        state.auth_policies[resource.id] = AuthPolicy(policy, stamp, stamp)
    else:
        existing.policy, existing.updated_at = policy, stamp
    return 200, {"policy": policy, "state": _policy_state(resource)}


@operation("GetAuthPolicy")
def get_auth_policy(state: LatticeState, args: Args) -> Reply:
    resource = _sn_or_service(state, args.get("resourceIdentifier"))
    policy = state.auth_policies.get(resource.id)
    if policy is None:
        raise not_found("AUTH_POLICY", resource.id, "auth policy of")
    return 200, {
        "policy": policy.policy,
        "state": _policy_state(resource),
        "createdAt": iso(policy.created_at),
        "lastUpdatedAt": iso(policy.updated_at),
    }


@operation("DeleteAuthPolicy")
def delete_auth_policy(state: LatticeState, args: Args) -> Reply:
    resource = _sn_or_service(state, args.get("resourceIdentifier"))
    if state.auth_policies.pop(resource.id, None) is None:
        raise not_found("AUTH_POLICY", resource.id, "auth policy of")
    return 204, None


# --- resource policies (by ARN only, as Lattice: an id is refused) -----------------------------------------


def _policy_owner(state: LatticeState, arn: Any) -> ServiceNetwork | Service:
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise validation_error(f"Invalid resourceArn '{arn}': expected an ARN", "resourceArn")
    return _sn_or_service(state, arn)


@operation("PutResourcePolicy")
def put_resource_policy(state: LatticeState, args: Args) -> Reply:
    owner = _policy_owner(state, args.get("resourceArn"))
    policy = required(args, "policy")
    try:
        json.loads(policy)
    except ValueError:
        raise validation_error("The policy is not valid JSON", "policy") from None
    state.resource_policies[owner.arn] = policy
    return 200, {}


@operation("GetResourcePolicy")
def get_resource_policy(state: LatticeState, args: Args) -> Reply:
    owner = _policy_owner(state, args.get("resourceArn"))
    policy = state.resource_policies.get(owner.arn)
    if policy is None:
        raise not_found("RESOURCE_POLICY", owner.id, "resource policy of")
    return 200, {"policy": policy}


@operation("DeleteResourcePolicy")
def delete_resource_policy(state: LatticeState, args: Args) -> Reply:
    owner = _policy_owner(state, args.get("resourceArn"))
    if state.resource_policies.pop(owner.arn, None) is None:
        raise not_found("RESOURCE_POLICY", owner.id, "resource policy of")
    return 204, None


# --- access log subscriptions --------------------------------------------------------------------------


def _destination_kind(arn: Any) -> str:
    parts = str(arn).split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in ("s3", "logs", "firehose"):
        raise validation_error(
            f"Invalid destinationArn '{arn}': expected an S3 bucket, CloudWatch log group or "
            "Firehose delivery stream ARN",
            "destinationArn",
        )
    return parts[2]


def _als_view(sub: AccessLogSubscription) -> dict[str, Any]:
    return drop_none(
        {
            "id": sub.id,
            "arn": sub.arn,
            "resourceId": sub.resource_id,
            "resourceArn": sub.resource_arn,
            "destinationArn": sub.destination_arn,
            "serviceNetworkLogType": sub.service_network_log_type,
            "createdAt": iso(sub.created_at),
            "lastUpdatedAt": iso(sub.updated_at),
        }
    )


def _als(state: LatticeState, identifier: object) -> AccessLogSubscription:
    sub_id = resolve_id(identifier, "als", "accessLogSubscriptionIdentifier")
    found = state.access_log_subscriptions.get(sub_id)
    if found is None:
        raise not_found("ACCESS_LOG_SUBSCRIPTION", sub_id, "access log subscription")
    return found


@operation("CreateAccessLogSubscription")
def create_access_log_subscription(state: LatticeState, args: Args) -> Reply:
    resource = _sn_or_service(state, args.get("resourceIdentifier"))
    destination = required(args, "destinationArn")
    kind = _destination_kind(destination)
    log_type = args.get("serviceNetworkLogType")
    if isinstance(resource, ServiceNetwork):
        log_type = validate.enum(
            log_type, "serviceNetworkLogType", ("SERVICE", "RESOURCE"), default="SERVICE"
        )
    elif log_type is not None:
        raise validation_error(
            "serviceNetworkLogType applies to service networks only", "serviceNetworkLogType"
        )
    tags = validate.tags(args.get("tags"))

    def create() -> tuple[str, AccessLogSubscription]:
        for existing in state.access_log_subscriptions.values():
            if (
                existing.resource_id == resource.id
                and _destination_kind(existing.destination_arn) == kind
                and existing.service_network_log_type == log_type
            ):
                raise conflict(
                    f"Resource {resource.id} already has an access log subscription to a {kind} destination.",
                    "ACCESS_LOG_SUBSCRIPTION",
                    existing.id,
                )
        sub_id, stamp = new_id("als"), now()
        sub = AccessLogSubscription(
            id=sub_id,
            arn=state.arn(f"accesslogsubscription/{sub_id}"),
            seq=state.next_seq(),
            created_at=stamp,
            updated_at=stamp,
            tags=tags,
            resource_id=resource.id,
            resource_arn=resource.arn,
            destination_arn=destination,
            service_network_log_type=log_type,
        )
        state.access_log_subscriptions[sub_id] = sub
        return sub_id, sub

    sub = create_once(state, "CreateAccessLogSubscription", args, state.access_log_subscriptions.get, create)
    view = _als_view(sub)
    keys = ("id", "arn", "resourceId", "resourceArn", "serviceNetworkLogType", "destinationArn")
    return 201, {k: view[k] for k in keys if k in view}


@operation("GetAccessLogSubscription")
def get_access_log_subscription(state: LatticeState, args: Args) -> Reply:
    return 200, _als_view(_als(state, args.get("accessLogSubscriptionIdentifier")))


@operation("UpdateAccessLogSubscription")
def update_access_log_subscription(state: LatticeState, args: Args) -> Reply:
    sub = _als(state, args.get("accessLogSubscriptionIdentifier"))
    destination = required(args, "destinationArn")
    if _destination_kind(destination) != _destination_kind(sub.destination_arn):
        # As Lattice answers it (and as the Go controller reads it: replace the subscription).
        raise conflict(
            f"Access log subscription {sub.id} cannot change its destination type "
            f"from {_destination_kind(sub.destination_arn)} to {_destination_kind(destination)}.",
            "ACCESS_LOG_SUBSCRIPTION",
            sub.id,
        )
    sub.destination_arn, sub.updated_at = destination, touched(sub.updated_at)
    view = _als_view(sub)
    return 200, {k: view[k] for k in ("id", "arn", "resourceId", "resourceArn", "destinationArn")}


@operation("DeleteAccessLogSubscription")
def delete_access_log_subscription(state: LatticeState, args: Args) -> Reply:
    sub = _als(state, args.get("accessLogSubscriptionIdentifier"))
    del state.access_log_subscriptions[sub.id]
    return 204, None


@operation("ListAccessLogSubscriptions")
def list_access_log_subscriptions(state: LatticeState, args: Args) -> Reply:
    resource = _sn_or_service(state, required(args, "resourceIdentifier"))
    subs = [s for s in state.access_log_subscriptions.values() if s.resource_id == resource.id]
    page, token = paginate(subs, args, lambda s: s.seq)
    return 200, drop_none({"items": [_als_view(s) for s in page], "nextToken": token})
