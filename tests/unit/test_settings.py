"""Settings: every variable valid and invalid, flags, and the EC2 metadata fallbacks."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

import pytest
from aiohttp import web

from lattice_controller.runtime.imds import Ec2MetadataSource
from lattice_controller.settings import (
    BindAddress,
    Settings,
    SettingsError,
    build_arg_parser,
    load_settings,
)

IDENTITY = {
    "REGION": "us-west-2",
    "CLUSTER_VPC_ID": "vpc-1",
    "AWS_ACCOUNT_ID": "111122223333",
    "CLUSTER_NAME": "c1",
}


class FakeMetadata:
    def __init__(self, failing: str = "") -> None:
        self.failing = failing
        self.calls: list[str] = []

    async def _answer(self, what: str, value: str) -> str:
        self.calls.append(what)
        if what == self.failing:
            raise RuntimeError(f"{what} lookup failed\nsecond line")
        return value

    async def region(self) -> str:
        return await self._answer("region", "eu-west-1")

    async def vpc_id(self) -> str:
        return await self._answer("vpc", "vpc-md")

    async def account_id(self) -> str:
        return await self._answer("account", "999")

    async def cluster_name(self) -> str:
        return await self._answer("cluster", "md-cluster")


def flags(*argv: str) -> argparse.Namespace:
    return build_arg_parser().parse_args(list(argv))


async def load(
    env: Mapping[str, str],
    *argv: str,
    metadata: FakeMetadata | None = None,
    namespace_file: Path = Path("/nonexistent/namespace"),
) -> Settings:
    return await load_settings(env, flags(*argv), metadata or FakeMetadata(), namespace_file)


async def test_defaults_match_the_reference() -> None:
    source = FakeMetadata()
    settings = await load(IDENTITY, metadata=source)
    assert source.calls == []
    assert settings == Settings(
        region="us-west-2",
        cluster_vpc_id="vpc-1",
        aws_account_id="111122223333",
        cluster_name="c1",
        lattice_endpoint="",
    )
    assert settings.route_max_concurrent_reconciles == 32  # measured default, see settings.py
    assert settings.reconcile_default_resync_seconds == 0
    assert settings.log_level == "info"
    assert settings.enforce_reference_grants is True
    assert settings.pod_namespace == "default"
    assert settings.shutdown_grace_seconds == 25.0
    assert settings.aws_api_rate_limit == 10.0
    assert settings.metrics_bind_address == BindAddress("", 8080)
    assert settings.health_probe_bind_address == BindAddress("", 8081)
    assert settings.leader_elect is False
    assert settings.kubeconfig is None
    assert settings.managed_by == "111122223333/c1/vpc-1"


async def test_every_variable_is_read() -> None:
    env = {
        **IDENTITY,
        "DEFAULT_SERVICE_NETWORK": "sn",
        "ENABLE_SERVICE_NETWORK_OVERRIDE": "TRUE",
        "DISABLE_TAGGING_SERVICE_API": "true",
        "ROUTE_MAX_CONCURRENT_RECONCILES": "3",
        "GATEWAY_MAX_CONCURRENT_RECONCILES": "2",
        "POLICY_MAX_CONCURRENT_RECONCILES": "3",
        "RECONCILE_DEFAULT_RESYNC_SECONDS": "60",
        "WEBHOOK_ENABLED": "True",
        "LOG_LEVEL": "DEBUG",
        "DEV_MODE": "1",
        "LATTICE_ENDPOINT": "http://127.0.0.1:5000",
        "ENFORCE_REFERENCE_GRANTS": "false",
        "POD_NAMESPACE": "lattice",
        "SHUTDOWN_GRACE_SECONDS": "7.5",
        "AWS_API_RATE_LIMIT": "2.5",
    }
    settings = await load(
        env,
        "--leader-elect",
        "--metrics-bind-address",
        "127.0.0.1:9090",
        "--health-probe-bind-address",
        "0",
        "--kubeconfig",
        "/k",
    )
    assert settings.default_service_network == "sn"
    assert settings.enable_service_network_override is True
    assert settings.disable_tagging_service_api is True
    assert settings.route_max_concurrent_reconciles == 3
    assert settings.gateway_max_concurrent_reconciles == 2
    assert settings.policy_max_concurrent_reconciles == 3
    assert settings.reconcile_default_resync_seconds == 60
    assert settings.webhook_enabled is True
    assert settings.log_level == "debug"
    assert settings.dev_mode is True
    assert settings.lattice_endpoint == "http://127.0.0.1:5000"
    assert settings.enforce_reference_grants is False
    assert settings.pod_namespace == "lattice"
    assert settings.aws_api_rate_limit == 2.5
    assert settings.shutdown_grace_seconds == 7.5
    assert settings.metrics_bind_address == BindAddress("127.0.0.1", 9090)
    assert settings.health_probe_bind_address is None
    assert settings.leader_elect is True
    assert settings.kubeconfig == "/k"


async def test_override_needs_a_default_service_network() -> None:
    settings = await load({**IDENTITY, "ENABLE_SERVICE_NETWORK_OVERRIDE": "true"})
    assert settings.enable_service_network_override is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", ()), ("*", ("*",)), (" team-a, b ,team-a,", ("team-a", "b"))],
)
async def test_adoption_allowed_namespaces_is_empty_by_default(value: str, expected: tuple[str, ...]) -> None:
    settings = await load({**IDENTITY, "ADOPTION_ALLOWED_NAMESPACES": value})
    assert settings.adoption_allowed_namespaces == expected


async def test_pod_namespace_falls_back_to_the_service_account_file(tmp_path: Path) -> None:
    path = tmp_path / "namespace"
    path.write_text("aws-application-networking-system\n")
    settings = await load(IDENTITY, namespace_file=path)
    assert settings.pod_namespace == "aws-application-networking-system"


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("60", 60), ("3600", 3600), ("", 0)])
async def test_resync_accepts_zero_or_at_least_60(value: str, expected: int) -> None:
    settings = await load({**IDENTITY, "RECONCILE_DEFAULT_RESYNC_SECONDS": value})
    assert settings.reconcile_default_resync_seconds == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "RECONCILE_DEFAULT_RESYNC_SECONDS",
            "1",
            "must be 0 (disabled) or an integer of at least 60 seconds, got '1'",
        ),
        ("RECONCILE_DEFAULT_RESYNC_SECONDS", "59", "at least 60 seconds, got '59'"),
        ("RECONCILE_DEFAULT_RESYNC_SECONDS", "-60", "got '-60'"),
        ("RECONCILE_DEFAULT_RESYNC_SECONDS", "1m", "got '1m'"),
        ("ROUTE_MAX_CONCURRENT_RECONCILES", "two", "must be an integer of at least 1, got 'two'"),
        ("ROUTE_MAX_CONCURRENT_RECONCILES", "0", "got '0'"),
        ("ROUTE_MAX_CONCURRENT_RECONCILES", "1.5", "got '1.5'"),
        ("GATEWAY_MAX_CONCURRENT_RECONCILES", "x", "at least 1"),
        ("POLICY_MAX_CONCURRENT_RECONCILES", "-2", "at least 1"),
        ("LOG_LEVEL", "verbose", "must be one of: debug, info, warn, error, panic (got 'verbose')"),
        ("WEBHOOK_ENABLED", "yes", "must be one of: true, false (got 'yes')"),
        ("ENABLE_SERVICE_NETWORK_OVERRIDE", "1", "true, false"),
        ("DISABLE_TAGGING_SERVICE_API", "on", "true, false"),
        ("ENFORCE_REFERENCE_GRANTS", "no", "true, false"),
        ("LATTICE_ENDPOINT", "vpc-lattice.example.com", "must be an http(s) URL"),
        ("SHUTDOWN_GRACE_SECONDS", "-1", "must be a number of seconds >= 0, got '-1'"),
        ("SHUTDOWN_GRACE_SECONDS", "soon", "got 'soon'"),
        ("SHUTDOWN_GRACE_SECONDS", "inf", "got 'inf'"),
        ("AWS_API_RATE_LIMIT", "fast", "must be a number of requests per second from 0 (no limit)"),
        ("AWS_API_RATE_LIMIT", "-1", "got '-1'"),
        ("AWS_API_RATE_LIMIT", "nan", "got 'nan'"),
        ("ADOPTION_ALLOWED_NAMESPACES", "team-a,Team_B", "namespace names or *, got 'Team_B'"),
        ("AWS_MAX_ATTEMPTS", "0", "must be an integer of at least 1, got '0'"),
    ],
)
async def test_invalid_values_stop_with_one_line_naming_the_variable(
    name: str, value: str, message: str
) -> None:
    source = FakeMetadata()
    with pytest.raises(SettingsError) as caught:
        await load({name: value}, metadata=source)  # identity missing too: local checks come first
    text = str(caught.value)
    assert text.startswith(f"{name} ")
    assert message in text
    assert "\n" not in text
    assert source.calls == []


@pytest.mark.parametrize("level", ["debug", "info", "warn", "error", "panic", "Error", "warning"])
async def test_known_log_levels(level: str) -> None:
    settings = await load({**IDENTITY, "LOG_LEVEL": level})
    assert settings.log_level == ("warn" if level == "warning" else level.lower())


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--metrics-bind-address", "8080"),
        ("--metrics-bind-address", "host:port"),
        ("--health-probe-bind-address", ":99999"),
    ],
)
async def test_bad_bind_addresses(flag: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"^{flag} must be host:port, :port or 0"):
        await load(IDENTITY, flag, value)


async def test_every_identity_value_falls_back_to_metadata() -> None:
    source = FakeMetadata()
    settings = await load({}, metadata=source)
    assert (settings.region, settings.cluster_vpc_id, settings.aws_account_id, settings.cluster_name) == (
        "eu-west-1",
        "vpc-md",
        "999",
        "md-cluster",
    )
    assert settings.lattice_endpoint == ""  # botocore resolves the regional endpoint
    assert source.calls == ["region", "vpc", "account", "cluster"]


@pytest.mark.parametrize(
    ("failing", "variable"),
    [
        ("region", "REGION"),
        ("vpc", "CLUSTER_VPC_ID"),
        ("account", "AWS_ACCOUNT_ID"),
        ("cluster", "CLUSTER_NAME"),
    ],
)
async def test_metadata_failure_names_the_missing_variable(failing: str, variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        await load({}, metadata=FakeMetadata(failing))
    assert str(caught.value) == (
        f"{variable} is not set and EC2 instance metadata failed: {failing} lookup failed second line"
    )


async def test_metadata_factory_is_called_only_when_needed() -> None:
    made: list[FakeMetadata] = []

    def factory() -> FakeMetadata:
        made.append(FakeMetadata())
        return made[-1]

    await load_settings(IDENTITY, flags(), factory)
    assert made == []
    await load_settings({k: v for k, v in IDENTITY.items() if k != "REGION"}, flags(), factory)
    assert len(made) == 1
    assert made[0].calls == ["region"]


def imds_app(token_status: int = 200) -> web.Application:
    def needs_token(handler_text: str) -> object:
        async def handler(request: web.Request) -> web.Response:
            if request.headers.get("X-aws-ec2-metadata-token") != "tok":
                return web.Response(status=401)
            return web.Response(text=handler_text)

        return handler

    async def token(request: web.Request) -> web.Response:
        assert request.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600"
        return web.Response(status=token_status, text="tok")

    app = web.Application()
    app.router.add_put("/latest/api/token", token)
    routes = {
        "/latest/meta-data/placement/region": "us-east-2",
        "/latest/meta-data/mac": "0a:1b",
        "/latest/meta-data/network/interfaces/macs/0a:1b/vpc-id": "vpc-imds\n",
        "/latest/meta-data/identity-credentials/ec2/info": '{"Code":"Success","AccountId":"123456789012"}',
        "/latest/dynamic/instance-identity/document": '{"region":"us-east-2","instanceId":"i-0abc"}',
    }
    for path, text in routes.items():
        app.router.add_get(path, needs_token(text))  # type: ignore[arg-type]
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def test_real_metadata_source_speaks_imdsv2() -> None:
    runner, endpoint = await serve(imds_app())
    looked_up: list[tuple[str, str]] = []

    async def describe_tags(region: str, instance_id: str) -> dict[str, str]:
        looked_up.append((region, instance_id))
        return {"aws:eks:cluster-name": "eks-1", "Name": "node"}

    try:
        settings = await load_settings({}, flags(), Ec2MetadataSource(endpoint, describe_tags), Path("/none"))
    finally:
        await runner.cleanup()
    assert (settings.region, settings.cluster_vpc_id, settings.aws_account_id, settings.cluster_name) == (
        "us-east-2",
        "vpc-imds",
        "123456789012",
        "eks-1",
    )
    assert looked_up == [("us-east-2", "i-0abc")]


async def test_real_metadata_source_without_describe_tags_asks_for_cluster_name() -> None:
    runner, endpoint = await serve(imds_app())
    try:
        with pytest.raises(
            SettingsError, match=r"^CLUSTER_NAME is not set .*ec2:DescribeTags is not available"
        ):
            await load_settings({}, flags(), Ec2MetadataSource(endpoint), Path("/none"))
        with pytest.raises(SettingsError, match=r"^CLUSTER_NAME is not set .*no aws:eks:cluster-name tag"):
            await load_settings({}, flags(), Ec2MetadataSource(endpoint, _no_tags), Path("/none"))
    finally:
        await runner.cleanup()


async def _no_tags(region: str, instance_id: str) -> dict[str, str]:
    return {}


async def test_unreachable_metadata_fails_on_region() -> None:
    runner, endpoint = await serve(imds_app(token_status=403))
    try:
        with pytest.raises(SettingsError, match=r"^REGION is not set .*token request returned HTTP 403"):
            await load_settings({}, flags(), Ec2MetadataSource(endpoint), Path("/none"))
    finally:
        await runner.cleanup()


async def test_webhook_settings() -> None:
    quiet = await load(IDENTITY)
    assert quiet.ignored == ()
    assert not quiet.webhook_enabled
    assert (quiet.webhook_tls_cert_file, quiet.webhook_tls_key_file) == (
        "/etc/webhook-cert/tls.crt",
        "/etc/webhook-cert/tls.key",
    )
    assert quiet.webhook_bind_address == BindAddress("", 9443)
    settings = await load(
        {
            **IDENTITY,
            "WEBHOOK_ENABLED": "true",
            "WEBHOOK_TLS_CERT_FILE": "/certs/a.crt",
            "WEBHOOK_TLS_KEY_FILE": "/certs/a.key",
        },
        "--webhook-bind-address",
        "127.0.0.1:19443",
    )
    assert settings.webhook_enabled
    assert settings.ignored == ()
    assert (settings.webhook_tls_cert_file, settings.webhook_tls_key_file) == ("/certs/a.crt", "/certs/a.key")
    assert settings.webhook_bind_address == BindAddress("127.0.0.1", 19443)
    with pytest.raises(SettingsError, match=r"^--webhook-bind-address must be host:port or :port, got '0'$"):
        await load(IDENTITY, "--webhook-bind-address", "0")
