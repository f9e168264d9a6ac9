"""One request builder per plan step: every step type has one, and a create's token is the digest of
exactly what is sent."""

from __future__ import annotations

import typing

from lattice_controller.model.lattice import RuleMatch
from lattice_controller.reconcile.apply import build_request, request_token
from lattice_controller.reconcile.apply.requests import _BUILDERS
from lattice_controller.reconcile.diff import CreateRule, Pending, PlanAction, Ref, UpdateRule
from lattice_controller.reconcile.diff.steps import Step


class Ids:
    def id_of(self, ref: Ref) -> str:
        return f"id-of-{ref.name}" if isinstance(ref, Pending) else ref

    def arn_of(self, ref: Ref) -> str:
        return f"arn-of-{ref.name}" if isinstance(ref, Pending) else ref


def test_every_step_type_has_one_builder() -> None:
    assert set(typing.get_args(Step)) == set(_BUILDERS)


def test_create_token_is_the_digest_of_the_request_sent() -> None:
    step = CreateRule(
        Pending("service", "s"),
        Pending("listener", "l"),
        "k8s-rule",
        3,
        RuleMatch(),
        PlanAction(((Pending("target_group", "tg"), 1),)),
        (("ManagedBy", "me"),),
    )
    request = build_request(step, Ids())
    sent = request.call_params()
    token = sent.pop("clientToken")
    assert token == request_token("CreateRule", **sent) == request.client_token
    assert sent["serviceIdentifier"] == "id-of-s"
    forward = {"targetGroups": [{"targetGroupIdentifier": "id-of-tg", "weight": 1}]}
    assert sent["action"] == {"forward": forward}
    # Pinned: an upgrade must send the token the previous version sent for the same request.
    assert token == "ec628ec0a2c1ee1175363232632af5b810ae77c662fe83193a6e653128d2500e"


def test_writes_other_than_creates_carry_no_token() -> None:
    step = UpdateRule("svc-1", "listener-1", "rule-1", RuleMatch(), PlanAction(fixed_status=404))
    request = build_request(step, Ids())
    assert request.client_token is None
    assert "clientToken" not in request.call_params()
    assert request.params["ruleIdentifier"] == "rule-1"
