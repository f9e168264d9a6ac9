"""The command line: version, plan, settings errors → exit 2, hand-over to app.run."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from lattice_controller import __version__, cli
from lattice_controller.settings import Settings

IDENTITY = {"REGION": "us-west-2", "CLUSTER_VPC_ID": "vpc-1", "AWS_ACCOUNT_ID": "1", "CLUSTER_NAME": "c"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REGION", "CLUSTER_VPC_ID", "AWS_ACCOUNT_ID", "CLUSTER_NAME", "LOG_LEVEL", "DEV_MODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    seen: list[Settings] = []
    module = types.ModuleType("lattice_controller.app")

    def run(settings: Settings) -> int:
        seen.append(settings)
        return 0

    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lattice_controller.app", module)
    monkeypatch.setattr(cli, "configure_logging", lambda *a: None, raising=False)
    return seen


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out == f"lattice-controller {__version__}\n"


def test_plan_prints_the_writes_of_the_ab_example(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[2] / "manifests/examples/ab-test/ab-test.yaml"
    assert cli.main(["plan", "-f", str(example), "--default-service-network", "app-network"]) == 0
    out = capsys.readouterr().out
    assert "HTTPRoute store/checkout" in out
    assert "app-network: Accepted=True(Accepted), ResolvedRefs=True(ResolvedRefs)" in out
    writes = [line.split(". ", 1)[1].split()[0] for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert writes == [
        "CreateService",
        "CreateTargetGroup",
        "CreateTargetGroup",
        "CreateServiceNetworkServiceAssociation",
        "CreateListener",
        "CreateRule",
    ]
    assert ":25, " in out
    assert ":75" in out


def test_plan_reports_a_missing_reference_grant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[2] / "manifests/examples/ab-test/ab-test.yaml"
    text = example.read_text().split("kind: ReferenceGrant")[0].rsplit("---", 1)[0]
    manifest = tmp_path / "no-grant.yaml"
    manifest.write_text(text)
    assert cli.main(["plan", "-f", str(manifest)]) == 0
    assert "ResolvedRefs=False(RefNotPermitted" in capsys.readouterr().out


def test_plan_notes_routes_that_derive_one_service_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: net, namespace: infra}\n"
        "spec:\n  gatewayClassName: amazon-vpc-lattice\n"
        "  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]\n"
    )
    route = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata: {{name: {name}, namespace: shop}}\n"
        "spec: {{parentRefs: [{{name: net, namespace: infra}}]}}\n"
    )
    names = ("checkout-frontend-v1-blue", "checkout-frontend-v1-green")  # alike in their first 20 characters
    manifest = tmp_path / "alike.yaml"
    manifest.write_text("---\n".join([gateway, *(route.format(name=n) for n in names)]))
    assert cli.main(["plan", "-f", str(manifest)]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note: HTTPRoute")]
    assert len(notes) == 1
    assert "derive the service name checkout-frontend-v1-shop;" in notes[0]
    assert "shop/checkout-frontend-v1-green: checkout-front-shop-" in notes[0]


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "run" in capsys.readouterr().err


def test_invalid_setting_is_one_line_on_stderr_and_exit_2(
    env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RECONCILE_DEFAULT_RESYNC_SECONDS", "30")
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("lattice-controller: RECONCILE_DEFAULT_RESYNC_SECONDS must be 0 (disabled)")


def test_run_hands_settings_to_app(
    env: None, fake_app: list[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    import lattice_controller.runtime.logs as logs

    configured: list[Any] = []
    monkeypatch.setattr(logs, "configure_logging", lambda *args: configured.append(args))
    assert cli.main(["run", "--leader-elect", "--metrics-bind-address", "0"]) == 0
    assert len(fake_app) == 1
    assert fake_app[0].leader_elect is True
    assert fake_app[0].metrics_bind_address is None
    assert configured == [("info", False)]


def test_async_app_run_is_awaited(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import lattice_controller.runtime.logs as logs

    monkeypatch.setattr(logs, "configure_logging", lambda *args: None)
    module = types.ModuleType("lattice_controller.app")

    async def run(settings: Settings) -> int:
        return 3

    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lattice_controller.app", module)
    assert cli.main(["run"]) == 3


def test_python_dash_m_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lattice_controller", "version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"lattice-controller {__version__}"


def test_the_webhook_setting_is_no_longer_ignored(
    env: None, fake_app: list[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    import structlog

    import lattice_controller.runtime.logs as logs

    monkeypatch.setattr(logs, "configure_logging", lambda *args: None)
    monkeypatch.setenv("WEBHOOK_ENABLED", "true")
    with structlog.testing.capture_logs() as logged:
        assert cli.main(["run"]) == 0
    assert fake_app[-1].webhook_enabled is True
    assert [e["event"] for e in logged if e["log_level"] == "warning"] == []
