"""The Accepted condition of the application-networking policies (pure) and the IAMAuthPolicy record."""

from __future__ import annotations

from typing import Any

import pytest

from lattice_controller.model.k8s.auth_policy import IamAuthPolicy, parse_iam_auth_policy
from lattice_controller.reconcile.build.policies import (
    GATEWAY_GROUP,
    accepted_condition,
    auth_policy_problem,
    conflict_winner,
    same_document,
)
from lattice_controller.reconcile.controllers.iam_auth_policy import IamAuthPolicyKind

RULES = IamAuthPolicyKind.rules


def policy(
    name: str = "p",
    *,
    kind: str = "Gateway",
    group: str = GATEWAY_GROUP,
    namespace: str | None = None,
    created: str = "2026-01-01T00:00:00Z",
    document: str = "{}",
) -> IamAuthPolicy:
    ref: dict[str, Any] = {"group": group, "kind": kind, "name": "gw"}
    if namespace:
        ref["namespace"] = namespace
    return parse_iam_auth_policy(
        {
            "metadata": {"name": name, "namespace": "ns", "creationTimestamp": created, "generation": 3},
            "spec": {"targetRef": ref, "policy": document},
            "status": {"conditions": [{"type": "Accepted", "status": "Unknown", "reason": "NotReconciled"}]},
        }
    )


def condition(p: IamAuthPolicy, **kw: Any) -> tuple[str, str, str]:
    args: dict[str, Any] = {"target_exists": True, "rivals": (), "spec_problem": None, **kw}
    c = accepted_condition(p, RULES, **args)
    assert c.observed_generation == 3
    return c.status, c.reason, c.message


def test_the_record_keeps_target_document_and_conditions() -> None:
    p = policy(document='{"Version":"2012-10-17"}')
    assert p.target_ref is not None
    assert (p.target_ref.kind, p.target_ref.name) == ("Gateway", "gw")
    assert p.policy == '{"Version":"2012-10-17"}'
    assert [c.reason for c in p.conditions] == ["NotReconciled"]


def test_accepted() -> None:
    assert condition(policy()) == ("True", "Accepted", "Policy is accepted")


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"kind": "TLSRoute"}, "gateway.networking.k8s.io/TLSRoute is not supported by IAMAuthPolicy"),
        ({"group": "example.com"}, "example.com/Gateway is not supported"),
        ({"namespace": "other"}, "namespace, 'other', does not match"),
    ],
)
def test_unsupported_targets_are_invalid(kw: dict[str, Any], fragment: str) -> None:
    status, reason, message = condition(policy(**kw))
    assert (status, reason) == ("False", "Invalid")
    assert fragment in message


def test_spec_problem_target_not_found_and_conflict() -> None:
    assert condition(policy(), spec_problem="bad")[:2] == ("False", "Invalid")
    assert condition(policy(), target_exists=False) == (
        "False",
        "TargetNotFound",
        "targetRef not found, target=ns/gw",
    )
    older = policy("z-older", created="2025-12-31T00:00:00Z")
    assert condition(policy(), rivals=[older]) == (
        "False",
        "Conflicted",
        "targetRef has conflict, policy=ns/z-older",
    )
    # Same age: the name decides; the policy itself among its rivals is no conflict.
    same_age = policy("a-first")
    assert conflict_winner([policy("b"), same_age]) is same_age
    assert condition(same_age, rivals=[same_age, policy("b")])[:2] == ("True", "Accepted")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [("{oops", "is not valid JSON"), ("[1]", "must be a JSON object"), ("", "is not valid JSON")],
)
def test_auth_policy_documents_are_json_objects(document: str, fragment: str) -> None:
    problem = auth_policy_problem(document)
    assert problem is not None
    assert fragment in problem
    assert auth_policy_problem('{"Version": "2012-10-17", "Statement": []}') is None


def test_same_document_ignores_layout() -> None:
    assert same_document('{"a": 1, "b": [1, 2]}', '{"b":[1,2],"a":1}')
    assert not same_document('{"a": 1}', '{"a": 2}')
    assert same_document("{x", "{x")


def test_vpc_association_policy_record_defaults() -> None:
    from lattice_controller.model.k8s.vpc_association_policy import parse_vpc_association_policy

    ref = {"group": GATEWAY_GROUP, "kind": "Gateway", "name": "gw"}
    unset = parse_vpc_association_policy(
        {"metadata": {"name": "v", "namespace": "ns"}, "spec": {"targetRef": ref}}
    )
    assert (unset.associate_with_vpc, unset.security_group_ids) == (True, ())
    off = parse_vpc_association_policy(
        {
            "metadata": {"name": "v", "namespace": "ns"},
            "spec": {"targetRef": ref, "associateWithVpc": False, "securityGroupIds": ["sg-1", "sg-2"]},
        }
    )
    assert (off.associate_with_vpc, off.security_group_ids) == (False, ("sg-1", "sg-2"))


def test_access_log_policies_do_not_exclude_each_other_and_check_the_destination() -> None:
    from lattice_controller.reconcile.controllers.access_log_policy import (
        AccessLogPolicyKind,
        destination_type,
    )

    rules = AccessLogPolicyKind.rules
    older = policy("a-older", created="2025-12-31T00:00:00Z")
    assert accepted_condition(
        policy(), rules, target_exists=True, rivals=[older], spec_problem=None
    ).reason == ("Accepted")
    assert destination_type("arn:aws:s3:::bucket") == "s3"
    assert destination_type("arn:aws:logs:us-west-2:123456789012:log-group:g") == "logs"
    assert destination_type("arn:aws:firehose:us-west-2:123456789012:deliverystream/s") == "firehose"
    assert destination_type("arn:aws:sqs:us-west-2:123456789012:q") is None
