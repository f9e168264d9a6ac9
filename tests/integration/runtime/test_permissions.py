"""Under the Go controller's chart RBAC (no rule for ReferenceGrants), against the real kube-apiserver.

With ReferenceGrant enforcement on, the controller says in one log line and on /readyz what it lacks and
which manifest grants it, and becomes ready once granted; with ENFORCE_REFERENCE_GRANTS=false it does not
need them and becomes ready at once.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from e2e.controlplane.plane import ControlPlane
from e2e.harness.controller import ControllerProcess, controller_env
from e2e.migration.reference_rbac import reference_cluster_role

pytestmark = pytest.mark.integration

MISSING = (
    "missing permissions: list, watch referencegrants.gateway.networking.k8s.io; "
    "manifests/rbac.yaml grants them (or set ENFORCE_REFERENCE_GRANTS=false"
)
GRANTS_READER = [
    {"apiGroups": ["gateway.networking.k8s.io"], "resources": ["referencegrants"], "verbs": ["list", "watch"]}
]


def _readyz(controller: ControllerProcess) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(controller.url("/readyz"), timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _until(what: str, condition: Callable[[], bool], controller: ControllerProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert controller.process.poll() is None, controller.log_tail()
        time.sleep(0.3)
    raise AssertionError(f"{what} within {timeout} s:\n{controller.log_tail()}")


def test_reference_rbac_with_enforcement_names_what_is_missing(
    control_plane: ControlPlane, aws_env: dict[str, str]
) -> None:
    name = "go-chart-enforcing"
    kubeconfig = control_plane.restricted_kubeconfig(name, reference_cluster_role(f"lc-test-{name}"))
    controller = ControllerProcess.start(kubeconfig, controller_env(aws_env), wait_ready=False)
    try:
        _until(
            "/readyz failing with the reason",
            lambda: _readyz(controller)[0] == 500 and MISSING in _readyz(controller)[1],
            controller,
            60.0,
        )
        text = _readyz(controller)[1]
        assert text.startswith("failed: caches-synced, permissions (missing permissions:"), text
        log = controller.log_path.read_text().splitlines()
        lines = [line for line in log if "missing permissions" in line]
        assert len(lines) == 1, lines
        assert MISSING in lines[0], lines[0]
        assert '"level": "error"' in lines[0], lines[0]

        # Granting what was named is enough: the controller asks again and its caches sync.
        control_plane.restricted_kubeconfig(name, GRANTS_READER)
        _until("ready once granted", lambda: _readyz(controller)[0] == 200, controller, 90.0)
        assert "missing permissions granted" in controller.log_path.read_text()
    finally:
        controller.stop()


def test_reference_rbac_without_enforcement_is_ready(
    control_plane: ControlPlane, aws_env: dict[str, str]
) -> None:
    name = "go-chart-not-enforcing"
    kubeconfig = control_plane.restricted_kubeconfig(name, reference_cluster_role(f"lc-test-{name}"))
    env = controller_env(aws_env, ENFORCE_REFERENCE_GRANTS="false")
    controller = ControllerProcess.start(kubeconfig, env, wait_ready=False)
    try:
        controller.wait_ready(timeout=60.0)
        log = controller.log_path.read_text()
        assert "optional permissions missing: list, watch referencegrants.gateway.networking.k8s.io" in log
        assert "missing permissions:" not in log
        assert "403" not in log  # ReferenceGrants are not watched at all
    finally:
        controller.stop()
