"""Tags of Lattice resources: the Lattice tag operations and the hooks the Resource Groups Tagging API uses.

Tags live on the records, so deleting a resource removes it from `tag:GetResources` too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from e2e.fakeaws import validate
from e2e.fakeaws.errors import not_found, validation_error
from e2e.fakeaws.records import Resource
from e2e.fakeaws.registry import Args, Reply, operation, required
from e2e.fakeaws.state import LatticeState

RESOURCE_TYPES = {
    "servicenetwork": "service_networks",
    "service": "services",
    "listener": "listeners",
    "rule": "rules",
    "targetgroup": "target_groups",
    "servicenetworkserviceassociation": "sn_service_associations",
    "servicenetworkvpcassociation": "sn_vpc_associations",
    "accesslogsubscription": "access_log_subscriptions",
}
_ID_PREFIX_TYPES = {
    "sn": "servicenetwork",
    "svc": "service",
    "listener": "listener",
    "rule": "rule",
    "tg": "targetgroup",
    "snsa": "servicenetworkserviceassociation",
    "snva": "servicenetworkvpcassociation",
    "als": "accesslogsubscription",
}
MAX_TAGS = validate.MAX_TAGS


def handles_arn(arn: str) -> bool:
    """True for ARNs of resource types this project models (others stay with moto's own tagger)."""
    prefix = arn.rsplit("/", 1)[-1].split("-", 1)[0]
    return ":vpc-lattice:" in arn and prefix in _ID_PREFIX_TYPES


def find_by_arn(state: LatticeState, arn: Any) -> Resource:
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise validation_error(f"Invalid resourceArn '{arn}'", "resourceArn")
    resource_id = arn.rsplit("/", 1)[-1]
    kind = _ID_PREFIX_TYPES.get(resource_id.split("-", 1)[0])
    table: dict[str, Resource] = getattr(state, RESOURCE_TYPES[kind]) if kind else {}
    found = table.get(resource_id)
    if found is None or found.arn != arn:
        raise not_found("RESOURCE", arn, "resource")
    return found


def iter_resources(state: LatticeState) -> Iterator[tuple[str, Resource]]:
    for kind, attribute in RESOURCE_TYPES.items():
        table: dict[str, Resource] = getattr(state, attribute)
        for resource in list(table.values()):
            yield f"vpc-lattice:{kind}", resource


def add_tags(resource: Resource, tags: Any) -> None:
    merged = resource.tags | validate.tags(tags)
    if len(merged) > MAX_TAGS:
        raise validation_error(f"A resource can have at most {MAX_TAGS} tags", "tags")
    resource.tags = merged


def remove_tags(resource: Resource, keys: list[str]) -> None:
    resource.tags = {k: v for k, v in resource.tags.items() if k not in set(keys)}


@operation("ListTagsForResource")
def list_tags_for_resource(state: LatticeState, args: Args) -> Reply:
    return 200, {"tags": dict(find_by_arn(state, args.get("resourceArn")).tags)}


@operation("TagResource")
def tag_resource(state: LatticeState, args: Args) -> Reply:
    add_tags(find_by_arn(state, args.get("resourceArn")), required(args, "tags"))
    return 200, {}


@operation("UntagResource")
def untag_resource(state: LatticeState, args: Args) -> Reply:
    keys = args.get("tagKeys") or []
    if isinstance(keys, str):
        keys = [keys]
    remove_tags(find_by_arn(state, args.get("resourceArn")), list(keys))
    return 200, {}
