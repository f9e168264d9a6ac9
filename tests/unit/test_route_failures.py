"""How an AWS failure of a route's deploy is reported: permanent errors vs transient ones."""

from __future__ import annotations

from typing import Any

from lattice_controller.aws.errors import AwsError, make_error
from lattice_controller.model.k8s.route import RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.controllers.route import RouteReconciler, describe_aws_error

KEY = ObjectKey("front", "shop")


def _reconciler() -> RouteReconciler:
    ctx: Any = None  # _failed reads nothing from the context
    return RouteReconciler(ctx, RouteType.HTTP)


def test_a_quota_error_is_deploy_failed_naming_the_aws_error() -> None:
    error = make_error("vpc-lattice", "CreateRule", "ServiceQuotaExceededException", "10 rules, the maximum")
    assert describe_aws_error(error) == "ServiceQuotaExceededException: 10 rules, the maximum (CreateRule)"
    deployment = _reconciler()._failed(KEY, error, 4)
    assert deployment.error is error
    assert deployment.programmed is not None
    assert (deployment.programmed.status, deployment.programmed.reason) == ("False", "DeployFailed")
    assert deployment.programmed.observed_generation == 4
    assert "ServiceQuotaExceededException" in deployment.programmed.message
    assert deployment.failure_event is None  # the status change carries the event


def test_transient_errors_are_pending_with_a_stable_message_and_an_event_after_three() -> None:
    reconciler = _reconciler()
    error = AwsError(
        service="vpc-lattice", operation="ListServices", code="internal", message="Could not connect"
    )
    results = [reconciler._failed(KEY, error, 2) for _ in range(21)]
    assert {(r.programmed.status, r.programmed.reason) for r in results if r.programmed} == {
        ("False", "Pending")
    }
    assert len({r.programmed.message for r in results if r.programmed}) == 1
    assert "generation 2 is not applied yet: internal: Could not connect (ListServices)" in (
        results[0].programmed.message if results[0].programmed else ""
    )
    evented = [i + 1 for i, r in enumerate(results) if r.failure_event]
    assert evented == [3, 10, 20]
    assert "3 attempts in a row" in (results[2].failure_event or "")
