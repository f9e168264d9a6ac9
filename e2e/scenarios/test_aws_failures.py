"""Every failure reaches the route: names Lattice would reject are refused before any write; an AWS
quota or validation error becomes `Programmed=False/DeployFailed` plus a Warning event naming the
AWS error (retried with backoff: raising the quota heals it and the condition goes); a transient
error keeps retrying, shows `Programmed=False/Pending` with the error, and a Warning event after 3
failures in a row;
with AWS unreachable the controller stays ready and the route says within seconds that its
generation is not applied."""

from __future__ import annotations

import urllib.request
from typing import Any

from e2e.harness.controller import ControllerProcess, free_port
from e2e.scenarios.support import (
    Scenario,
    backend,
    events,
    eventually,
    gateway,
    http_route,
    parent,
    parent_conditions,
    scenario,
    wait_value,
    writes,
)

__all__ = ["scenario"]


def _condition(s: Scenario, ns: str, name: str, type_: str) -> tuple[str, str, str] | None:
    conditions = parent_conditions(s.route(ns, name))
    return conditions[0].get(type_) if conditions else None


def _warnings(s: Scenario, ns: str, name: str, fragment: str) -> list[dict[str, Any]]:
    return [
        e
        for e in events(s.plane, ns, name)
        if e["type"] == "Warning" and e["reason"] == "FailedDeployModel" and fragment in e["message"]
    ]


def test_derived_names_lattice_rejects_are_refused_before_any_write(
    scenario: Scenario, controller: ControllerProcess
) -> None:
    s = scenario
    ns = s.namespace("names")
    s.apply(gateway(ns), backend(ns, "web"))
    controller.wait_quiet()
    s.fake.admin.reset_counters()
    s.apply(
        http_route(ns, "b18.dotted.name", [parent()], [("web", 1)]),
        http_route(ns, "a--b", [parent()], [("web", 1)]),
        http_route(ns, "svc-payments", [parent()], [("web", 1)]),
    )
    expected = {
        "b18.dotted.name": "rename the route",
        "a--b": "rename the route",
        "svc-payments": "application-networking.k8s.aws/service-name-override",
    }
    for name, fragment in expected.items():
        _status, reason, message = wait_value(
            lambda name=name: _condition(s, ns, name, "Accepted"),  # type: ignore[misc]
            lambda c: c is not None and c[0] == "False",
            what=f"{name} rejected",
        )
        assert reason == "UnsupportedValue", (name, reason, message)
        assert fragment in message, (name, message)
    controller.wait_quiet()  # every reconcile the change caused has finished
    assert writes(s.fake.admin.counters()) == {}


def test_rules_quota_is_reported_with_the_aws_error_and_heals_when_raised(
    scenario: Scenario, controller: ControllerProcess
) -> None:
    s = scenario
    ns = s.namespace("quota")
    rules = [(f"/p{i}", [("web", 1)]) for i in range(1, 11)]
    s.apply(
        gateway(ns), backend(ns, "web"), http_route(ns, "many", [parent()], [("web", 1)], more_rules=rules)
    )
    _, _reason, message = wait_value(
        lambda: _condition(s, ns, "many", "Programmed"),
        lambda c: c is not None and c[0] == "False" and c[1] == "DeployFailed",
        what="Programmed=False/DeployFailed",
    )
    assert "ServiceQuotaExceededException" in message, message
    assert "CreateRule" in message, message
    # Ten rules went in before the quota stopped the eleventh: the route says so, and which step failed.
    assert "the service is partially applied: CreateRule" in message, message
    eventually(lambda: _warnings(s, ns, "many", "ServiceQuotaExceededException"), what="Warning event")

    s.fake.admin.set_settings(max_rules_per_listener=20)
    wait_value(
        lambda: _condition(s, ns, "many", "Programmed"),
        lambda c: c is None,
        what="Programmed=False gone once the quota is raised",
        timeout=180,
    )
    assert _condition(s, ns, "many", "Accepted") == ("True", "Accepted", "")


def test_transient_errors_retry_visibly_and_recover(scenario: Scenario) -> None:
    s = scenario
    ns = s.namespace("transient")
    controller = s.start_controller(AWS_MAX_ATTEMPTS="1")
    s.apply(gateway(ns), backend(ns, "web"))
    controller.wait_quiet()
    s.fake.admin.set_error_rate(1.0, operation="vpc-lattice:CreateRule")
    s.apply(http_route(ns, "flaky", [parent()], [("web", 1)]))
    _, _reason, message = wait_value(
        lambda: _condition(s, ns, "flaky", "Programmed"),
        lambda c: c is not None and c[:2] == ("False", "Pending"),
        what="Programmed=False/Pending",
    )
    assert "not applied yet" in message, message
    assert "InternalServerException" in message, message
    eventually(lambda: _warnings(s, ns, "flaky", "3 attempts in a row"), what="event after 3 failures")
    assert 'controller_runtime_reconcile_errors_total{controller="httproute"}' in controller.metrics()

    s.fake.admin.clear_faults()
    wait_value(
        lambda: _condition(s, ns, "flaky", "Programmed"),
        lambda c: c is None,
        what="Programmed=False gone after the errors stop",
        timeout=120,
    )


def test_aws_unreachable_keeps_the_controller_ready_and_the_route_says_not_applied(
    scenario: Scenario,
) -> None:
    s = scenario
    ns = s.namespace("offline")
    dead = f"http://127.0.0.1:{free_port()}"
    # The default AWS_MAX_ATTEMPTS (20): a connect that fails is not retried for minutes inside one call.
    controller = s.start_controller(AWS_ENDPOINT_URL=dead)
    s.apply(gateway(ns), backend(ns, "web"), http_route(ns, "cut", [parent()], [("web", 1)]))
    _, _reason, message = wait_value(
        lambda: _condition(s, ns, "cut", "Programmed"),
        lambda c: c is not None and c[:2] == ("False", "Pending"),
        what="Programmed=False/Pending within seconds of the failed connect",
        timeout=45,
    )
    assert "Could not connect" in message, message
    eventually(
        lambda: _warnings(s, ns, "cut", "3 attempts in a row"), what="event after 3 failures", timeout=60
    )
    route = s.route(ns, "cut") or {}
    generation = route["metadata"]["generation"]
    assert f"generation {generation} is not applied yet" in message, message
    programmed = next(c for c in route["status"]["parents"][0]["conditions"] if c["type"] == "Programmed")
    assert programmed["observedGeneration"] == generation
    with urllib.request.urlopen(controller.url("/readyz"), timeout=5) as response:
        assert response.status == 200


def test_a_gateway_without_service_network_programs_nothing_and_says_why(
    scenario: Scenario, controller: ControllerProcess
) -> None:
    s = scenario
    ns = s.namespace("nonet")
    s.apply(gateway(ns, "ghost-net"), backend(ns, "web", replicas=1))
    controller.wait_quiet()
    s.fake.admin.reset_counters()
    s.apply(http_route(ns, "lost", [parent("ghost-net")], [("web", 1)]))
    _, _, message = wait_value(
        lambda: _condition(s, ns, "lost", "Programmed"),
        lambda c: c is not None and c[:2] == ("False", "Pending"),
        what="Programmed=False/Pending",
    )
    assert "service network ghost-net not found" in message, message
    controller.wait_quiet()  # every reconcile the change caused has finished
    assert writes(s.fake.admin.counters()) == {}
    assert s.view().service(f"lost-{ns}") is None
