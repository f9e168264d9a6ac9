"""Find resources by id or ARN, raising ResourceNotFoundException (404) like AWS."""

from __future__ import annotations

from e2e.fakeaws import sharing
from e2e.fakeaws.errors import not_found
from e2e.fakeaws.ids import resolve_id
from e2e.fakeaws.records import Listener, Rule, Service, ServiceNetwork, TargetGroup
from e2e.fakeaws.state import LatticeState


def service_network(
    state: LatticeState, identifier: object, field: str = "serviceNetworkIdentifier"
) -> ServiceNetwork:
    sn_id = resolve_id(identifier, "sn", field)
    found = state.service_networks.get(sn_id)
    if found is None:
        raise not_found("SERVICE_NETWORK", sn_id, "service network")
    return found


def usable_service_network(
    state: LatticeState, identifier: object, field: str = "serviceNetworkIdentifier"
) -> ServiceNetwork:
    """A network the caller owns or one shared with it (Get, and the targets of associations)."""
    sn_id = resolve_id(identifier, "sn", field)
    found = state.service_networks.get(sn_id) or sharing.shared_network(state, sn_id)
    if found is None:
        raise not_found("SERVICE_NETWORK", sn_id, "service network")
    return found


def service(state: LatticeState, identifier: object, field: str = "serviceIdentifier") -> Service:
    svc_id = resolve_id(identifier, "svc", field)
    found = state.services.get(svc_id)
    if found is None:
        raise not_found("SERVICE", svc_id, "service")
    return found


def listener(state: LatticeState, service_identifier: object, listener_identifier: object) -> Listener:
    owner = service(state, service_identifier)
    listener_id = resolve_id(listener_identifier, "listener", "listenerIdentifier")
    found = state.listeners.get(listener_id)
    if found is None or found.service_id != owner.id:
        raise not_found("LISTENER", listener_id, "listener")
    return found


def rule(state: LatticeState, owner: Listener, rule_identifier: object) -> Rule:
    rule_id = resolve_id(rule_identifier, "rule", "ruleIdentifier")
    found = state.rules.get(rule_id)
    if found is None or found.listener_id != owner.id:
        raise not_found("RULE", rule_id, "rule")
    return found


def target_group(
    state: LatticeState, identifier: object, field: str = "targetGroupIdentifier"
) -> TargetGroup:
    tg_id = resolve_id(identifier, "tg", field)
    found = state.target_groups.get(tg_id)
    if found is None:
        raise not_found("TARGET_GROUP", tg_id, "target group")
    return found


def listener_rules(state: LatticeState, owner: Listener) -> list[Rule]:
    return [r for r in state.rules.values() if r.listener_id == owner.id]
