"""Tag keys and values written on Lattice resources, the additional-tags annotation, tag diffs.

Keys and values are part of the drop-in contract (docs/compatibility.md): resources created by the Go
controller must look exactly like ours.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lattice_controller.model.naming import ANNOTATION_PREFIX

TAG_PREFIX = ANNOTATION_PREFIX
AWS_RESERVED_PREFIX = "aws:"

MANAGED_BY = TAG_PREFIX + "ManagedBy"
CLUSTER_NAME = TAG_PREFIX + "ClusterName"
SERVICE_NAME = TAG_PREFIX + "ServiceName"
SERVICE_NAMESPACE = TAG_PREFIX + "ServiceNamespace"
ROUTE_NAME = TAG_PREFIX + "RouteName"
ROUTE_NAMESPACE = TAG_PREFIX + "RouteNamespace"
ROUTE_TYPE = TAG_PREFIX + "RouteType"
SOURCE_TYPE_KEY = TAG_PREFIX + "SourceTypeKey"
PROTOCOL_VERSION = TAG_PREFIX + "ProtocolVersion"
ACCESS_LOG_POLICY = TAG_PREFIX + "AccessLogPolicy"
ALLOW_ADOPTION_BY = TAG_PREFIX + "AllowAdoptionBy"
"""Set by a service's owner: ``<namespace>/<route name>`` of the one route that may adopt it."""
ADOPTED_FROM = TAG_PREFIX + "AdoptedFrom"
"""Written when a route adopts (``unmanaged``) or takes over (the previous ManagedBy) a service."""
ADOPTED_FROM_UNMANAGED = "unmanaged"

ADDITIONAL_TAGS_ANNOTATION = ANNOTATION_PREFIX + "tags"
ALLOW_TAKEOVER_FROM_ANNOTATION = ANNOTATION_PREFIX + "allow-takeover-from"

SOURCE_TYPE_HTTP_ROUTE = "HTTPRoute"
SOURCE_TYPE_GRPC_ROUTE = "GRPCRoute"
SOURCE_TYPE_TLS_ROUTE = "TLSRoute"
SOURCE_TYPE_SERVICE_EXPORT = "ServiceExport"
EXPORT_WITHDRAWN = TAG_PREFIX + "ExportWithdrawn"
"""Put by the exporting cluster on a ServiceExport target group it no longer wants (the export was
deleted, or changed so that another group replaces this one) while a route still forwards to it:
importers stop using it, and the exporter deletes it once no service does (docs/multi-cluster.md)."""
_ROUTE_SOURCE_TYPE = {
    "http": SOURCE_TYPE_HTTP_ROUTE,
    "grpc": SOURCE_TYPE_GRPC_ROUTE,
    "tls": SOURCE_TYPE_TLS_ROUTE,
}


def route_source_type(route_type: str) -> str | None:
    """The ``SourceTypeKey`` of a route's target groups (its kind) for its ``RouteType`` tag value."""
    return _ROUTE_SOURCE_TYPE.get(route_type)


MAX_TAG_KEY_BYTES = 128
MAX_TAG_VALUE_BYTES = 256
MAX_ADDITIONAL_TAGS = 50

_TAG_PUNCTUATION = frozenset("_.:/=+-@")

Tags = Mapping[str, str]


def managed_by(account: str, cluster: str, vpc: str) -> str:
    """The ``ManagedBy`` value identifying this controller instance: ``<account>/<cluster>/<vpc>``."""
    return f"{account}/{cluster}/{vpc}"


def _tag_text_ok(text: str) -> bool:
    # ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$ — Python's re has no \p classes, so check categories directly.
    return all(ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LZN" for ch in text)


def is_controller_key(key: str) -> bool:
    """Keys users can never set or remove: our prefix (case-sensitive) or ``aws:`` (any case)."""
    return key.startswith(TAG_PREFIX) or key.lower().startswith(AWS_RESERVED_PREFIX)


def parse_tags_annotation(value: str | None) -> dict[str, str]:
    """Parse ``k1=v1,k2=v2`` as the Go controller does, then drop controller keys.

    Pairs are trimmed and split on the first ``=``; pairs with an empty key or value, a key over
    128 or value over 256 bytes, or characters outside letters/separators/numbers/``_.:/=+-@``
    are dropped; the first occurrence of a key wins; parsing stops at the 51st distinct key.
    """
    tags: dict[str, str] = {}
    if not value:
        return tags
    for raw_pair in value.split(","):
        pair = raw_pair.strip()
        if not pair or "=" not in pair:
            continue
        raw_key, raw_value = pair.split("=", 1)
        key, val = raw_key.strip(), raw_value.strip()
        if (
            not key
            or not val
            or len(key.encode()) > MAX_TAG_KEY_BYTES
            or len(val.encode()) > MAX_TAG_VALUE_BYTES
            or not _tag_text_ok(key)
            or not _tag_text_ok(val)
        ):
            continue
        if key in tags:
            continue
        if len(tags) >= MAX_ADDITIONAL_TAGS:
            break
        tags[key] = val
    return {k: v for k, v in tags.items() if not is_controller_key(k)}


def additional_tags(annotations: Mapping[str, str]) -> dict[str, str]:
    return parse_tags_annotation(annotations.get(ADDITIONAL_TAGS_ANNOTATION))


def creation_tags(controller_tags: Tags, additional: Tags) -> dict[str, str]:
    """Tags for a Create call: controller tags win over additional tags with the same key."""
    return {**additional, **controller_tags}


@dataclass(frozen=True, slots=True)
class TagChange:
    """The result of an UpdateTags diff: keys to untag and pairs to tag. Empty = no call."""

    untag: tuple[str, ...] = ()
    tag: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.untag or self.tag)

    @property
    def tag_dict(self) -> dict[str, str]:
        return dict(self.tag)


def tag_change(existing: Tags, additional: Tags, managed: Tags | None = None) -> TagChange:
    """The reference's UpdateTags: sync user tags, never touching controller keys.

    ``existing`` is the resource's current tags; ``additional`` the desired user tags (already
    filtered); ``managed`` are controller keys whose value must be forced (ManagedBy on adoption
    or takeover, RouteName/... when missing). Controller keys not in ``managed`` are ignored.
    """
    current = {k: v for k, v in existing.items() if not is_controller_key(k)}
    desired = {k: v for k, v in additional.items() if not is_controller_key(k)}
    for key, value in (managed or {}).items():
        if key in existing:
            current[key] = existing[key]
        desired[key] = value
    untag = tuple(sorted(k for k in current if k not in desired))
    tag = tuple(sorted((k, v) for k, v in desired.items() if current.get(k) != v))
    return TagChange(untag, tag)


def has_all_tags(tags: Tags, wanted: Iterable[tuple[str, str]]) -> bool:
    return all(tags.get(k) == v for k, v in wanted)
