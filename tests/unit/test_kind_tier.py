"""The kind tier's selection and install, checked without Docker: the scenarios it names exist, its overlay
carries the readiness-gate webhook component, and the harness knows when it runs there."""

from __future__ import annotations

import pytest
import yaml

from e2e.harness.controller import in_kind
from e2e.kind.cluster import OVERLAY, REPO_ROOT, WEBHOOK_BOOTSTRAP, WORKLOAD_IMAGES
from e2e.kind.tier import IN_CLUSTER_TESTS, SCENARIOS


def test_every_selected_scenario_and_test_exists() -> None:
    for target in (IN_CLUSTER_TESTS, *SCENARIOS):
        path, _, name = target.partition("::")
        assert (REPO_ROOT / path).exists(), target
        if name:
            assert f"def {name}(" in (REPO_ROOT / path).read_text(), target
    assert "e2e/scenarios/test_readiness_gate.py" in SCENARIOS


def test_overlay_installs_the_webhook_component_of_manifests() -> None:
    overlay = yaml.safe_load((OVERLAY / "kustomization.yaml").read_text())
    components = [(OVERLAY / c).resolve() for c in overlay.get("components", [])]
    assert REPO_ROOT / "manifests" / "webhook" in components
    assert (REPO_ROOT / "manifests").resolve() in [(OVERLAY / r).resolve() for r in overlay["resources"]]
    component = yaml.safe_load((REPO_ROOT / "manifests/webhook/kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    assert WEBHOOK_BOOTSTRAP.is_file()


def test_the_readiness_gate_scenario_image_is_loaded_onto_the_node() -> None:
    text = (REPO_ROOT / "e2e/scenarios/test_readiness_gate.py").read_text()
    image = next(
        line.split("=", 1)[1].strip().strip('"') for line in text.splitlines() if line.startswith("IMAGE =")
    )
    assert image in WORKLOAD_IMAGES
    assert not image.endswith(":latest")  # pulled only when absent (imagePullPolicy IfNotPresent)


@pytest.mark.parametrize(("target", "expected"), [(None, False), ("process", False), ("kind", True)])
def test_in_kind_follows_lc_controller_target(
    monkeypatch: pytest.MonkeyPatch, target: str | None, expected: bool
) -> None:
    if target is None:
        monkeypatch.delenv("LC_CONTROLLER_TARGET", raising=False)
    else:
        monkeypatch.setenv("LC_CONTROLLER_TARGET", target)
    assert in_kind() is expected
