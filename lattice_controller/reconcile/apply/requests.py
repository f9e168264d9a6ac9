"""One request builder per plan step: the step becomes ``(operation, params)``, looked up by its type.

The same ``Request`` gives a create its client token and is what is sent, so the token always
describes the exact request: ``request_token`` digests the operation and every parameter (the
resource's name, its resolved parent ids, the tags that carry ManagedBy) except the token itself.
A retried request after a crash reuses its token and gets back the resource created the first
time; any different request (e.g. a listener under a re-created service) gets a different token
and never trips IdempotentParameterMismatch. The diff carries no tokens.

Parameters whose value is ``None`` are part of the digest and dropped from the call (as the
facade drops them); the digests are pinned by ``tests/unit/test_apply_plan.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from lattice_controller.aws.shapes import (
    fixed_action,
    forward_action,
    health_check_to_api,
    match_to_api,
    target_group_config_to_api,
)
from lattice_controller.model.lattice import client_token
from lattice_controller.reconcile.diff.steps import (
    BatchUpdateRule,
    CreateListener,
    CreateRule,
    CreateService,
    CreateServiceNetworkServiceAssociation,
    CreateTargetGroup,
    DeleteListener,
    DeleteRule,
    DeleteService,
    DeleteServiceNetworkServiceAssociation,
    DeleteTargetGroup,
    DeregisterTargets,
    PlanAction,
    Ref,
    RegisterTargets,
    Step,
    TagResource,
    UntagResource,
    UpdateListener,
    UpdateRule,
    UpdateService,
    UpdateTargetGroup,
)

Json = dict[str, Any]


def request_token(operation: str, **request: Any) -> str:
    """The client token of a create: a digest of the operation and its full request (minus the token)."""
    return client_token(operation, json.dumps(request, sort_keys=True, default=str))


class Refs(Protocol):
    """Resolves a step's references: ``Pending`` resources to what an earlier step created."""

    def id_of(self, ref: Ref) -> str: ...

    def arn_of(self, ref: Ref) -> str: ...


@dataclass(frozen=True, slots=True)
class Creates:
    """What a create request makes: recorded under ``(kind, name)`` with the ``tags`` it was created
    with; a status outside ``settled`` is a wait reported as ``"<describe> is <status>"``."""

    kind: str
    name: str
    tags: tuple[tuple[str, str], ...]
    describe: str = ""
    settled: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Request:
    operation: str
    params: Mapping[str, Any]
    creates: Creates | None = None

    @property
    def client_token(self) -> str | None:
        return request_token(self.operation, **self.params) if self.creates is not None else None

    def call_params(self) -> Json:
        """What is sent: the params with the client token of a create."""
        token = self.client_token
        return {**self.params, "clientToken": token} if token is not None else dict(self.params)


def _action(action: PlanAction, refs: Refs) -> Json:
    if action.fixed_status is not None:
        return fixed_action(action.fixed_status)
    return forward_action([(refs.id_of(ref), weight) for ref, weight in action.forward])


def _create_target_group(step: CreateTargetGroup, refs: Refs) -> Request:
    config = target_group_config_to_api(step.config, step.health_check)
    params = {"name": step.name, "type": step.config.type, "config": config, "tags": dict(step.tags)}
    settled = ("", "ACTIVE", "CREATE_IN_PROGRESS")
    return Request(
        "CreateTargetGroup",
        params,
        Creates("target_group", step.name, step.tags, f"target group {step.name}", settled),
    )


def _update_target_group(step: UpdateTargetGroup, refs: Refs) -> Request:
    params = {
        "targetGroupIdentifier": refs.id_of(step.target_group),
        "healthCheck": health_check_to_api(step.health_check),
    }
    return Request("UpdateTargetGroup", params)


def _delete_target_group(step: DeleteTargetGroup, refs: Refs) -> Request:
    return Request("DeleteTargetGroup", {"targetGroupIdentifier": refs.id_of(step.target_group)})


def _targets(step: RegisterTargets | DeregisterTargets, refs: Refs) -> Request:
    params = {
        "targetGroupIdentifier": refs.id_of(step.target_group),
        "targets": [{"id": ip, "port": port} for ip, port in step.targets],
    }
    return Request(type(step).__name__, params)


def _create_service(step: CreateService, refs: Refs) -> Request:
    params = {
        "name": step.name,
        "tags": dict(step.tags),
        "customDomainName": step.custom_domain,
        "certificateArn": step.certificate_arn,
    }
    return Request("CreateService", params, Creates("service", step.name, step.tags))


def _update_service(step: UpdateService, refs: Refs) -> Request:
    params = {"serviceIdentifier": refs.id_of(step.service), "certificateArn": step.certificate_arn}
    return Request("UpdateService", params)


def _delete_service(step: DeleteService, refs: Refs) -> Request:
    return Request("DeleteService", {"serviceIdentifier": refs.id_of(step.service)})


def _tag(step: TagResource, refs: Refs) -> Request:
    return Request("TagResource", {"resourceArn": refs.arn_of(step.resource), "tags": dict(step.tags)})


def _untag(step: UntagResource, refs: Refs) -> Request:
    return Request("UntagResource", {"resourceArn": refs.arn_of(step.resource), "tagKeys": list(step.keys)})


def _create_association(step: CreateServiceNetworkServiceAssociation, refs: Refs) -> Request:
    params = {
        "serviceIdentifier": refs.id_of(step.service),
        "serviceNetworkIdentifier": step.service_network_id,
        "tags": dict(step.tags),
    }
    describe = f"association with {step.service_network_id}"
    creates = Creates("association", step.service_network_id, step.tags, describe, ("", "ACTIVE"))
    return Request("CreateServiceNetworkServiceAssociation", params, creates)


def _delete_association(step: DeleteServiceNetworkServiceAssociation, refs: Refs) -> Request:
    params = {"serviceNetworkServiceAssociationIdentifier": refs.id_of(step.association)}
    return Request("DeleteServiceNetworkServiceAssociation", params)


def _create_listener(step: CreateListener, refs: Refs) -> Request:
    params = {
        "serviceIdentifier": refs.id_of(step.service),
        "name": step.name,
        "protocol": step.protocol,
        "port": step.port,
        "defaultAction": _action(step.default_action, refs),
        "tags": dict(step.tags),
    }
    return Request("CreateListener", params, Creates("listener", step.name, step.tags))


def _update_listener(step: UpdateListener, refs: Refs) -> Request:
    params = {
        "serviceIdentifier": refs.id_of(step.service),
        "listenerIdentifier": refs.id_of(step.listener),
        "defaultAction": _action(step.default_action, refs),
    }
    return Request("UpdateListener", params)


def _delete_listener(step: DeleteListener, refs: Refs) -> Request:
    params = {"serviceIdentifier": refs.id_of(step.service), "listenerIdentifier": refs.id_of(step.listener)}
    return Request("DeleteListener", params)


def _create_rule(step: CreateRule, refs: Refs) -> Request:
    params = {
        "serviceIdentifier": refs.id_of(step.service),
        "listenerIdentifier": refs.id_of(step.listener),
        "name": step.name,
        "match": match_to_api(step.match),
        "priority": step.priority,
        "action": _action(step.action, refs),
        "tags": dict(step.tags),
    }
    return Request("CreateRule", params, Creates("rule", step.name, step.tags))


def _update_rule(step: UpdateRule, refs: Refs) -> Request:
    params = {
        "serviceIdentifier": refs.id_of(step.service),
        "listenerIdentifier": refs.id_of(step.listener),
        "ruleIdentifier": refs.id_of(step.rule),
        "match": match_to_api(step.match),
        "action": _action(step.action, refs),
    }
    return Request("UpdateRule", params)


def _delete_rule(step: DeleteRule, refs: Refs) -> Request:
    params = {
        "serviceIdentifier": refs.id_of(step.service),
        "listenerIdentifier": refs.id_of(step.listener),
        "ruleIdentifier": refs.id_of(step.rule),
    }
    return Request("DeleteRule", params)


def _batch_update_rule(step: BatchUpdateRule, refs: Refs) -> Request:
    params = {
        "serviceIdentifier": refs.id_of(step.service),
        "listenerIdentifier": refs.id_of(step.listener),
        "rules": [{"ruleIdentifier": refs.id_of(ref), "priority": p} for ref, p in step.priorities],
    }
    return Request("BatchUpdateRule", params)


_BUILDERS: dict[type[Any], Callable[[Any, Refs], Request]] = {
    CreateTargetGroup: _create_target_group,
    UpdateTargetGroup: _update_target_group,
    DeleteTargetGroup: _delete_target_group,
    RegisterTargets: _targets,
    DeregisterTargets: _targets,
    CreateService: _create_service,
    UpdateService: _update_service,
    DeleteService: _delete_service,
    TagResource: _tag,
    UntagResource: _untag,
    CreateServiceNetworkServiceAssociation: _create_association,
    DeleteServiceNetworkServiceAssociation: _delete_association,
    CreateListener: _create_listener,
    UpdateListener: _update_listener,
    DeleteListener: _delete_listener,
    CreateRule: _create_rule,
    UpdateRule: _update_rule,
    DeleteRule: _delete_rule,
    BatchUpdateRule: _batch_update_rule,
}


def build_request(step: Step, refs: Refs) -> Request:
    """The request ``step`` sends, with its references resolved through ``refs``."""
    builder = _BUILDERS.get(type(step))
    if builder is None:
        raise TypeError(f"unknown plan step {step!r}")
    return builder(step, refs)
