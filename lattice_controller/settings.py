"""Immutable settings, parsed once at start-up from the environment and the command line.

Environment variables (names, defaults and meaning as in the Go controller v2.1.x; docs/operations.md):

=================================== ========================== =============================================
``REGION``                          EC2 metadata               AWS region
``CLUSTER_VPC_ID``                  EC2 metadata               VPC of the cluster
``AWS_ACCOUNT_ID``                  EC2 metadata               account that owns Lattice resources
``CLUSTER_NAME``                    EC2 metadata + DescribeTags tag ``aws:eks:cluster-name`` of this instance
``DEFAULT_SERVICE_NETWORK``         ""                         service network created/used by default
``ENABLE_SERVICE_NETWORK_OVERRIDE`` false                      only effective with DEFAULT_SERVICE_NETWORK set
``DISABLE_TAGGING_SERVICE_API``     false                      Lattice tag calls instead of the tagging API
``ROUTE_MAX_CONCURRENT_RECONCILES`` 32 (reference: 1)          workers of each route controller (≥ 1)
``RECONCILE_DEFAULT_RESYNC_SECONDS`` 0                         0 = off, else ≥ 60: requeue after success
``WEBHOOK_ENABLED``                 false                      readiness-gate webhook (``/mutate-pod``, TLS)
``LOG_LEVEL``                       info                       debug, info, warn, error, panic
``DEV_MODE``                        ""                         any non-empty value: console logs
``LATTICE_ENDPOINT``                ""                         botocore resolves it (AWS_ENDPOINT_URL*)
=================================== ========================== =============================================

Ours:

=========================================== ================ ==============================================
``ENFORCE_REFERENCE_GRANTS``                true             false: follow cross-namespace refs unchecked
``GATEWAY_MAX_CONCURRENT_RECONCILES``       1                workers of the gateway controller (≥ 1)
``POLICY_MAX_CONCURRENT_RECONCILES``        1                workers of the IAMAuthPolicy controller (≥ 1)
``ADOPTION_ALLOWED_NAMESPACES``             ""               namespaces (comma-separated, ``*``: any) whose
                                                             routes may adopt/take over Lattice services
                                                             this controller did not create
``AWS_MAX_ATTEMPTS``                        20               attempts per AWS call, the first included
``POD_NAMESPACE``                           service-account namespace file, else ``default``: lease namespace
``SHUTDOWN_GRACE_SECONDS``                  25               time in-flight reconciles get on SIGTERM
``AWS_API_RATE_LIMIT``                      10               requests/s per AWS API operation (0 = off)
``WEBHOOK_TLS_CERT_FILE``                   see below        the webhook's certificate (PEM, with chain)
``WEBHOOK_TLS_KEY_FILE``                    see below        its private key (PEM)
=========================================== ================ ==============================================

The webhook's files default to ``/etc/webhook-cert/tls.crt`` and ``tls.key`` (the reference's Secret mount).

Flags: ``--metrics-bind-address`` (``:8080``; ``0`` disables), ``--health-probe-bind-address`` (``:8081``;
``0`` disables), ``--webhook-bind-address`` (``:9443``, with ``WEBHOOK_ENABLED=true``), ``--leader-elect``,
``--kubeconfig``.

Differences from the reference, on purpose: booleans accept only ``true``/``false`` (any case) or empty, and
``LOG_LEVEL`` only the listed levels — anything else stops start-up instead of silently meaning "false" or
"info"; ``*_MAX_CONCURRENT_RECONCILES`` must be at least 1. Every failure raises ``SettingsError`` with one
line naming the variable (and the accepted values); the CLI prints it and exits with status 2. A valid
setting that nothing implements yet is accepted and named in ``Settings.ignored``; the CLI logs one
warning line for each at start-up instead of accepting it silently.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, overload
from urllib.parse import urlsplit

SERVICE_ACCOUNT_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
LOG_LEVELS = ("debug", "info", "warn", "error", "panic")
_TRUE_FALSE = "true, false"
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


class SettingsError(Exception):
    """A one-line reason start-up cannot continue."""


class MetadataSource(Protocol):
    """Where settings missing from the environment come from (EC2 instance metadata in production)."""

    async def region(self) -> str: ...

    async def vpc_id(self) -> str: ...

    async def account_id(self) -> str: ...

    async def cluster_name(self) -> str: ...


# Measured (python -m e2e.bench.convergence: 50-150 ms per AWS call, 10 requests/s per operation, the
# client-side limit on): 100 new routes take 2.38x the throttle floor with 4 workers, 1.59x with 8, 1.35x
# with 16 and 1.15x with 32; 500 routes 1.11x (16) / 1.13x (32); 100 routes of 5 or 10 rules 1.02-1.04x
# with either. Each route is a chain of ~6 sequential calls, so the workers must cover rate x chain
# latency; the client-side limit keeps more workers from turning into throttling. Gateway reconciles make
# no AWS writes and share their reads: 1 is enough.
DEFAULT_ROUTE_WORKERS = 32
# AWS throttles each API operation of an account separately. The controller paces itself per operation at
# this rate (burst = rate) so a burst of routes waits for its turn instead of being refused and backing off;
# python -m e2e.bench.convergence measures it against a server-side limit of 10 requests/s per operation.
DEFAULT_AWS_API_RATE_LIMIT = 10.0
# botocore's standard retry mode, 20 attempts per call (the reference's SDK retry budget); each failed
# call then fails the reconcile, which the workqueue retries with its own backoff.
DEFAULT_AWS_MAX_ATTEMPTS = 20
# The reference controller's Secret mount.
DEFAULT_WEBHOOK_CERT_FILE = "/etc/webhook-cert/tls.crt"
DEFAULT_WEBHOOK_KEY_FILE = "/etc/webhook-cert/tls.key"


@dataclass(frozen=True, slots=True)
class BindAddress:
    """``host:port`` to listen on; an empty host means every interface (``None`` in Settings: disabled)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Settings:
    region: str
    cluster_vpc_id: str
    aws_account_id: str
    cluster_name: str
    default_service_network: str = ""
    enable_service_network_override: bool = False
    disable_tagging_service_api: bool = False
    route_max_concurrent_reconciles: int = DEFAULT_ROUTE_WORKERS
    gateway_max_concurrent_reconciles: int = 1
    policy_max_concurrent_reconciles: int = 1
    reconcile_default_resync_seconds: int = 0
    webhook_enabled: bool = False
    webhook_tls_cert_file: str = DEFAULT_WEBHOOK_CERT_FILE
    webhook_tls_key_file: str = DEFAULT_WEBHOOK_KEY_FILE
    webhook_bind_address: BindAddress = BindAddress("", 9443)
    log_level: str = "info"
    dev_mode: bool = False
    lattice_endpoint: str = ""
    enforce_reference_grants: bool = True
    adoption_allowed_namespaces: tuple[str, ...] = ()
    aws_max_attempts: int = DEFAULT_AWS_MAX_ATTEMPTS
    pod_namespace: str = "default"
    shutdown_grace_seconds: float = 25.0
    aws_api_rate_limit: float = DEFAULT_AWS_API_RATE_LIMIT
    metrics_bind_address: BindAddress | None = BindAddress("", 8080)
    health_probe_bind_address: BindAddress | None = BindAddress("", 8081)
    leader_elect: bool = False
    kubeconfig: str | None = None
    ignored: tuple[str, ...] = ()
    """One line per setting given a value that nothing implements yet (logged at start-up)."""

    @property
    def managed_by(self) -> str:
        """The ownership identity written in the ``ManagedBy`` tag: ``account/cluster/vpc``."""
        return f"{self.aws_account_id}/{self.cluster_name}/{self.cluster_vpc_id}"


def build_arg_parser(prog: str = "lattice-controller run") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run the controller.")
    add_run_flags(parser)
    return parser


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics-bind-address", default=":8080", help="Prometheus /metrics; 0 disables")
    parser.add_argument(
        "--health-probe-bind-address", default=":8081", help="/healthz and /readyz; 0 disables"
    )
    parser.add_argument(
        "--webhook-bind-address",
        default=":9443",
        help="readiness-gate webhook (HTTPS), with WEBHOOK_ENABLED=true",
    )
    parser.add_argument("--leader-elect", action="store_true", help="elect a leader through a Lease")
    parser.add_argument(
        "--kubeconfig", default=None, help="kubeconfig path (default: KUBECONFIG or in-cluster)"
    )


async def load_settings(
    environ: Mapping[str, str],
    flags: argparse.Namespace,
    metadata: MetadataSource | Callable[[], MetadataSource],
    namespace_file: Path = SERVICE_ACCOUNT_NAMESPACE_FILE,
) -> Settings:
    """Parse and validate everything; ask ``metadata`` (a source or a factory, called at most once) only for
    the identity values missing from ``environ``."""
    env = _Env(environ)
    # Validate every local value before touching the network, so typos fail fast and offline.
    default_service_network = env.text("DEFAULT_SERVICE_NETWORK")
    override = env.boolean("ENABLE_SERVICE_NETWORK_OVERRIDE", False)
    disable_tagging = env.boolean("DISABLE_TAGGING_SERVICE_API", False)
    route_workers = env.positive_int("ROUTE_MAX_CONCURRENT_RECONCILES", DEFAULT_ROUTE_WORKERS)
    gateway_workers = env.positive_int("GATEWAY_MAX_CONCURRENT_RECONCILES", 1)
    policy_workers = env.positive_int("POLICY_MAX_CONCURRENT_RECONCILES", 1)
    resync = env.resync_seconds("RECONCILE_DEFAULT_RESYNC_SECONDS")
    webhook = env.boolean("WEBHOOK_ENABLED", False)
    webhook_cert = env.text("WEBHOOK_TLS_CERT_FILE") or DEFAULT_WEBHOOK_CERT_FILE
    webhook_key = env.text("WEBHOOK_TLS_KEY_FILE") or DEFAULT_WEBHOOK_KEY_FILE
    log_level = env.log_level("LOG_LEVEL")
    dev_mode = env.text("DEV_MODE") != ""
    endpoint = env.text("LATTICE_ENDPOINT")
    if endpoint:
        _check_url("LATTICE_ENDPOINT", endpoint)
    enforce_grants = env.boolean("ENFORCE_REFERENCE_GRANTS", True)
    adoption_namespaces = env.namespaces("ADOPTION_ALLOWED_NAMESPACES")
    aws_attempts = env.positive_int("AWS_MAX_ATTEMPTS", DEFAULT_AWS_MAX_ATTEMPTS)
    pod_namespace = env.text("POD_NAMESPACE") or _namespace_from_file(namespace_file)
    grace = env.non_negative_float("SHUTDOWN_GRACE_SECONDS", 25.0)
    rate_limit = env.rate("AWS_API_RATE_LIMIT", DEFAULT_AWS_API_RATE_LIMIT)
    metrics_address = parse_bind_address("--metrics-bind-address", flags.metrics_bind_address)
    probe_address = parse_bind_address("--health-probe-bind-address", flags.health_probe_bind_address)
    webhook_address = parse_bind_address(
        "--webhook-bind-address", getattr(flags, "webhook_bind_address", ":9443"), allow_disabled=False
    )

    ignored: list[str] = []

    source: MetadataSource | None = None

    def get_source() -> MetadataSource:
        nonlocal source
        if source is None:
            source = metadata() if callable(metadata) else metadata
        return source

    region = await _from_env_or_metadata(env, "REGION", lambda: get_source().region())
    vpc_id = await _from_env_or_metadata(env, "CLUSTER_VPC_ID", lambda: get_source().vpc_id())
    account = await _from_env_or_metadata(env, "AWS_ACCOUNT_ID", lambda: get_source().account_id())
    cluster = await _from_env_or_metadata(env, "CLUSTER_NAME", lambda: get_source().cluster_name())
    return Settings(
        region=region,
        cluster_vpc_id=vpc_id,
        aws_account_id=account,
        cluster_name=cluster,
        default_service_network=default_service_network,
        enable_service_network_override=override and bool(default_service_network),
        disable_tagging_service_api=disable_tagging,
        route_max_concurrent_reconciles=route_workers,
        gateway_max_concurrent_reconciles=gateway_workers,
        policy_max_concurrent_reconciles=policy_workers,
        reconcile_default_resync_seconds=resync,
        webhook_enabled=webhook,
        webhook_tls_cert_file=webhook_cert,
        webhook_tls_key_file=webhook_key,
        webhook_bind_address=webhook_address,
        log_level=log_level,
        dev_mode=dev_mode,
        lattice_endpoint=endpoint,
        enforce_reference_grants=enforce_grants,
        adoption_allowed_namespaces=adoption_namespaces,
        aws_max_attempts=aws_attempts,
        pod_namespace=pod_namespace,
        shutdown_grace_seconds=grace,
        aws_api_rate_limit=rate_limit,
        metrics_bind_address=metrics_address,
        health_probe_bind_address=probe_address,
        leader_elect=bool(flags.leader_elect),
        kubeconfig=flags.kubeconfig or None,
        ignored=tuple(ignored),
    )


@overload
def parse_bind_address(flag: str, value: str) -> BindAddress | None: ...


@overload
def parse_bind_address(flag: str, value: str, *, allow_disabled: Literal[False]) -> BindAddress: ...


def parse_bind_address(flag: str, value: str, *, allow_disabled: bool = True) -> BindAddress | None:
    """``host:port``, ``:port`` or (when ``allow_disabled``) ``0``: disabled."""
    if value == "0" and allow_disabled:
        return None
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        accepted = "host:port, :port or 0" if allow_disabled else "host:port or :port"
        raise SettingsError(f"{flag} must be {accepted}, got {value!r}")
    return BindAddress(host.strip("[]"), int(port_text))


async def _from_env_or_metadata(env: _Env, name: str, fetch: Callable[[], Awaitable[str]]) -> str:
    value = env.text(name)
    if value:
        return value
    try:
        value = (await fetch()).strip()
    except SettingsError:
        raise
    except Exception as exc:
        raise SettingsError(f"{name} is not set and EC2 instance metadata failed: {_one_line(exc)}") from exc
    if not value:
        raise SettingsError(f"{name} is not set and EC2 instance metadata returned an empty value")
    return value


class _Env:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str) -> str:
        return self._environ.get(name, "").strip()

    def boolean(self, name: str, default: bool) -> bool:
        value = self.text(name).lower()
        if value == "":
            return default
        if value not in ("true", "false"):
            raise SettingsError(f"{name} must be one of: {_TRUE_FALSE} (got {self.text(name)!r})")
        return value == "true"

    def positive_int(self, name: str, default: int) -> int:
        value = self.text(name)
        if value == "":
            return default
        number = _int_or_none(value)
        if number is None or number < 1:
            raise SettingsError(f"{name} must be an integer of at least 1, got {value!r}")
        return number

    def resync_seconds(self, name: str) -> int:
        value = self.text(name)
        if value == "":
            return 0
        number = _int_or_none(value)
        if number is None or not (number == 0 or number >= 60):
            raise SettingsError(
                f"{name} must be 0 (disabled) or an integer of at least 60 seconds, got {value!r}"
            )
        return number

    def non_negative_float(self, name: str, default: float) -> float:
        value = self.text(name)
        if value == "":
            return default
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0 <= number < float("inf"):
            raise SettingsError(f"{name} must be a number of seconds >= 0, got {value!r}")
        return number

    def rate(self, name: str, default: float) -> float:
        value = self.text(name)
        if value == "":
            return default
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0 <= number <= 10_000:
            raise SettingsError(
                f"{name} must be a number of requests per second from 0 (no limit) to 10000, got {value!r}"
            )
        return number

    def namespaces(self, name: str) -> tuple[str, ...]:
        """A comma-separated list of namespace names, or ``*``."""
        items = [item.strip() for item in self.text(name).split(",") if item.strip()]
        for item in items:
            if item != "*" and not _NAMESPACE.fullmatch(item):
                raise SettingsError(
                    f"{name} must be a comma-separated list of namespace names or *, got {item!r}"
                )
        return tuple(dict.fromkeys(items))

    def log_level(self, name: str) -> str:
        value = self.text(name).lower()
        if value == "":
            return "info"
        if value == "warning":
            return "warn"
        if value not in LOG_LEVELS:
            raise SettingsError(f"{name} must be one of: {', '.join(LOG_LEVELS)} (got {self.text(name)!r})")
        return value


def _int_or_none(text: str) -> int | None:
    try:
        return int(text, 10)
    except ValueError:
        return None


def _check_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"{name} must be an http(s) URL such as https://vpc-lattice.us-west-2.amazonaws.com, "
            f"got {value!r}"
        )


def _namespace_from_file(path: Path) -> str:
    try:
        return path.read_text().strip() or "default"
    except OSError:
        return "default"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
