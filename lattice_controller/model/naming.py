"""Lattice resource names: services, listeners, target groups, rules — identical to the reference.

Names are part of the drop-in contract (a cluster may switch controllers without recreating any
Lattice resource), so every rule here mirrors the reference controller byte for byte, except the
target-group suffix, which the reference draws at random and we derive from a hash (see
``target_group_name``), and the fallback service name, for a derived name another route's service holds
(the reference reports a conflict; see ``fallback_service_name``). Target groups are still found by
tags, never by name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

ANNOTATION_PREFIX = "application-networking.k8s.aws/"
SERVICE_NAME_OVERRIDE_ANNOTATION = ANNOTATION_PREFIX + "service-name-override"

SERVICE_ROUTE_NAME_LENGTH = 20
SERVICE_ROUTE_NAMESPACE_LENGTH = 18
FALLBACK_ROUTE_NAME_LENGTH = 14
FALLBACK_ROUTE_NAMESPACE_LENGTH = 14
FALLBACK_SUFFIX_LENGTH = 8
TARGET_GROUP_NAMESPACE_LENGTH = 55
TARGET_GROUP_NAME_LENGTH = 55
TARGET_GROUP_SUFFIX_LENGTH = 10

_OVERRIDE_CHARS = re.compile(r"^[a-z0-9-]+$")
_LATTICE_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MAX_LISTENER_NAME_LENGTH = 63
MAX_TARGET_GROUP_NAME_LENGTH = 128


def truncate(name: str, length: int) -> str:
    """Cut to ``length`` bytes, then strip ``-`` at both ends (the reference's ``Truncate``)."""
    raw = name.encode()
    if len(raw) > length:
        name = raw[:length].decode(errors="ignore")
    return name.strip("-")


def lattice_service_name(route_name: str, route_namespace: str) -> str:
    """``trunc20(route)-trunc18(ns)``: not unique; clashes are caught by the Route* tags."""
    return (
        f"{truncate(route_name, SERVICE_ROUTE_NAME_LENGTH)}-"
        f"{truncate(route_namespace, SERVICE_ROUTE_NAMESPACE_LENGTH)}"
    )


def fallback_service_name(route_name: str, route_namespace: str, route_type: str) -> str:
    """``trunc14(route)-trunc14(ns)-<8 hex>``: the name a route's service takes when the derived name
    already belongs to another route's service (routes alike up to the truncation, or an HTTPRoute and
    a GRPCRoute of one name). The hex is a SHA-256 of type, namespace and name, so the name is unique
    per route and stable across retries and replicas; at most 38 characters, a valid service name
    whenever the derived one is (docs/compatibility.md, "Deliberately different")."""
    digest = hashlib.sha256(f"{route_type}/{route_namespace}/{route_name}".encode()).hexdigest()
    return (
        f"{truncate(route_name, FALLBACK_ROUTE_NAME_LENGTH)}-"
        f"{truncate(route_namespace, FALLBACK_ROUTE_NAMESPACE_LENGTH)}-"
        f"{digest[:FALLBACK_SUFFIX_LENGTH]}"
    )


class InvalidServiceNameOverrideError(ValueError):
    """The ``service-name-override`` annotation holds a name Lattice would refuse."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid service name override '{value}': {reason}")
        self.value = value
        self.reason = reason


def service_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid Lattice service name (the reference's wording), or None."""
    if len(name) < 3:
        return "service name must be at least 3 characters long"
    if len(name) > 40:
        return "service name cannot exceed 40 characters"
    if not _OVERRIDE_CHARS.match(name):
        return "service name must contain only lowercase letters, numbers, and hyphens"
    if name.startswith("svc-"):
        return "service name cannot start with 'svc-'"
    if name.startswith("-"):
        return "service name cannot start with a hyphen"
    if name.endswith("-"):
        return "service name cannot end with a hyphen"
    if "--" in name:
        return "service name cannot contain double hyphens"
    return None


def lattice_name_problem(name: str, max_length: int) -> str | None:
    """Why Lattice rejects ``name`` as a listener/target-group name (3-``max_length`` lowercase letters,
    digits and single inner hyphens), or None."""
    if not 3 <= len(name) <= max_length:
        return f"it must be 3-{max_length} characters long"
    if not _LATTICE_NAME.fullmatch(name):
        return "only lowercase letters, digits and single hyphens, not at either end, are allowed"
    return None


def service_name_override(annotations: Mapping[str, str]) -> str | None:
    """The validated override, None when unset/empty; raises ``InvalidServiceNameOverrideError``."""
    value = annotations.get(SERVICE_NAME_OVERRIDE_ANNOTATION, "")
    if not value:
        return None
    reason = service_name_problem(value)
    if reason is not None:
        raise InvalidServiceNameOverrideError(value, reason)
    return value


def route_service_name(route_name: str, route_namespace: str, annotations: Mapping[str, str]) -> str:
    """The Lattice service name of a route: the override if set, else the truncation rule."""
    return service_name_override(annotations) or lattice_service_name(route_name, route_namespace)


def listener_protocol_suffix(protocol: str) -> str:
    """``http``/``https``; ``TLS_PASSTHROUGH`` is named ``tls``."""
    return "tls" if protocol == "TLS_PASSTHROUGH" else protocol.lower()


def listener_name(route_name: str, route_namespace: str, port: int, protocol: str) -> str:
    """Uses the route name even when a service-name-override is set (as the reference does)."""
    return f"{lattice_service_name(route_name, route_namespace)}-{port}-{listener_protocol_suffix(protocol)}"


def target_group_name_prefix(service_namespace: str, service_name: str) -> str:
    return (
        f"k8s-{truncate(service_namespace, TARGET_GROUP_NAMESPACE_LENGTH)}-"
        f"{truncate(service_name, TARGET_GROUP_NAME_LENGTH)}"
    )


def target_group_suffix(identity: Iterable[tuple[str, str]]) -> str:
    """Ten letters a-z derived from a SHA-256 of the sorted identity tag pairs.

    The reference draws these at random; deriving them makes the name (and the ``clientToken``)
    stable across retries and replicas, so a crash between create and record cannot duplicate.
    """
    digest = hashlib.sha256("\n".join(f"{k}={v}" for k, v in sorted(identity)).encode()).digest()
    number = int.from_bytes(digest, "big")
    letters = []
    for _ in range(TARGET_GROUP_SUFFIX_LENGTH):
        number, index = divmod(number, 26)
        letters.append(chr(ord("a") + index))
    return "".join(letters)


def target_group_name(service_namespace: str, service_name: str, identity: Iterable[tuple[str, str]]) -> str:
    """``k8s-<trunc55(ns)>-<trunc55(svc)>-<10 letters>`` (at most 126 characters)."""
    return f"{target_group_name_prefix(service_namespace, service_name)}-{target_group_suffix(identity)}"


def rule_name(match_key: str, priority: int) -> str:
    """``k8s-<10 hex of the match>-rule-<priority>``, set at creation only.

    The reference puts a timestamp where we put a hash of the rule's match; matches are unique per
    listener, so the name is unique there and stable across retries (docs/compatibility.md: rules).
    """
    return f"k8s-{hashlib.sha256(match_key.encode()).hexdigest()[:10]}-rule-{priority}"


def rule_priority_annotation(index: int) -> str:
    return f"{ANNOTATION_PREFIX}rule-{index}-priority"
