"""Scenario fixtures: the workloads control plane, the fake AWS endpoint, and a running controller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.controlplane.fixtures import *  # noqa: F403
from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import *  # noqa: F403
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess, controller_env, start_controller

CONTROLLER_NAMESPACE = "aws-application-networking-system"


@pytest.fixture
def controller(
    workloads: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]
) -> Iterator[ControllerProcess]:
    """A controller with a fresh fake AWS account, DEFAULT_SERVICE_NETWORK=app-network and 60 s resync."""
    env = controller_env(
        aws_env, DEFAULT_SERVICE_NETWORK="app-network", RECONCILE_DEFAULT_RESYNC_SECONDS="60"
    )
    process = start_controller(workloads.kubeconfig, env)
    yield process
    if process.stop() != 0:
        print(process.log_tail())
