"""The ``Accepted`` condition of an application-networking policy (pure; one rule set per kind).

Every policy kind shares the checks: the targetRef's group and kind are among those the kind allows,
the target exists in the policy's namespace, no older policy of the same kind names the same target
(oldest ``creationTimestamp`` wins, ties by name), and the kind's own spec check passes. Reasons and
messages are the Go controller's (docs/policies.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from lattice_controller.model.k8s.common import Condition, Meta
from lattice_controller.model.k8s.policy import PolicyTargetRef

GATEWAY_GROUP = "gateway.networking.k8s.io"
ACCEPTED = "Accepted"
INVALID = "Invalid"
TARGET_NOT_FOUND = "TargetNotFound"
CONFLICTED = "Conflicted"


class Policy(Protocol):
    @property
    def meta(self) -> Meta: ...

    @property
    def target_ref(self) -> PolicyTargetRef | None: ...


@dataclass(frozen=True, slots=True)
class PolicyRules:
    """What a policy kind may target: ``(group, kind)`` pairs; ``exclusive``: one policy of the kind per
    target (the others are ``Conflicted``)."""

    kind: str
    targets: frozenset[tuple[str, str]]
    exclusive: bool = True


def target_problem(policy: Policy, rules: PolicyRules) -> str | None:
    """Why the targetRef cannot be accepted by its group/kind/namespace, or None."""
    ref = policy.target_ref
    if ref is None or not ref.name:
        return "targetRef is required"
    if (ref.group, ref.kind) not in rules.targets:
        allowed = ", ".join(sorted(f"{g}/{k}" for g, k in rules.targets))
        return f"targetRef {ref.group}/{ref.kind} is not supported by {rules.kind}; use one of {allowed}"
    if ref.namespace and ref.namespace != policy.meta.key.namespace:
        return (
            f"The targetRef's namespace, {ref.namespace!r}, does not match the {rules.kind}'s namespace, "
            f"{policy.meta.key.namespace!r}"
        )
    return None


def conflict_winner(policies: Iterable[Policy]) -> Policy | None:
    """The policy that holds a target among those naming it: oldest first, then by name."""
    ordered = sorted(policies, key=lambda p: (p.meta.creation_timestamp, p.meta.key.name))
    return ordered[0] if ordered else None


def accepted_condition(
    policy: Policy,
    rules: PolicyRules,
    *,
    target_exists: bool,
    rivals: Iterable[Policy],
    spec_problem: str | None,
) -> Condition:
    """The ``Accepted`` condition (no timestamp) of ``policy``; ``rivals`` include it or not."""
    generation = policy.meta.generation

    def condition(status: str, reason: str, message: str) -> Condition:
        return Condition(ACCEPTED, status, reason, message, observed_generation=generation)

    problem = target_problem(policy, rules)
    if problem is not None:
        return condition("False", INVALID, problem)
    if spec_problem is not None:
        return condition("False", INVALID, spec_problem)
    ref = policy.target_ref
    assert ref is not None
    if not target_exists:
        return condition(
            "False", TARGET_NOT_FOUND, f"targetRef not found, target={policy.meta.key.namespace}/{ref.name}"
        )
    if not rules.exclusive:
        return condition("True", ACCEPTED, "Policy is accepted")
    winner = conflict_winner([policy, *(r for r in rivals if r.meta.key != policy.meta.key)])
    if winner is not None and winner.meta.key != policy.meta.key:
        return condition("False", CONFLICTED, f"targetRef has conflict, policy={winner.meta.key}")
    return condition("True", ACCEPTED, "Policy is accepted")


def auth_policy_problem(document: str) -> str | None:
    """Why ``spec.policy`` is not an IAM policy document Lattice can take (a JSON object), or None."""
    try:
        parsed = json.loads(document)
    except ValueError as exc:
        return f"spec.policy is not valid JSON ({exc}); write the IAM policy document as a JSON object"
    if not isinstance(parsed, dict):
        return "spec.policy must be a JSON object (an IAM policy document with Version and Statement)"
    return None


def same_document(a: str, b: str) -> bool:
    """Two policy documents are the same JSON (whitespace and key order aside)."""
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return a == b
