"""Scenario fixtures: the workloads control plane, the fake AWS endpoint, and a running controller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.controlplane.fixtures import *  # noqa: F403
from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import *  # noqa: F403
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess, controller_env, start_controller
from e2e.scenarios.support import stop_and_check

CONTROLLER_NAMESPACE = "aws-application-networking-system"


@pytest.fixture
def controller(
    workloads: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]
) -> Iterator[ControllerProcess]:
    """A controller with a fresh fake AWS account, DEFAULT_SERVICE_NETWORK=app-network and 60 s resync,
    running as its ServiceAccount (manifests/rbac.yaml); a request its role refused fails the test."""
    env = controller_env(
        aws_env, DEFAULT_SERVICE_NETWORK="app-network", RECONCILE_DEFAULT_RESYNC_SECONDS="60"
    )
    process = start_controller(workloads, env)
    yield process
    stop_and_check(process)
