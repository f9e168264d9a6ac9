"""The composition root: wires settings, the Kubernetes cache, the AWS edge, reconcilers and runtime.

Nothing here has logic of its own beyond choosing which parts run; ``run`` returns the exit status.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from lattice_controller._kits.clock import RealClock
from lattice_controller._kits.heap import release_free_heap, resident_bytes
from lattice_controller.aws.certificates import CertificateFinder
from lattice_controller.aws.edge import AwsEdge, open_aws_edge
from lattice_controller.aws.session import AwsConfig
from lattice_controller.cache.cache import Cache
from lattice_controller.cache.controller_kinds import register_controller_kinds
from lattice_controller.cache.readiness_gate import READINESS_GATE, GateQuery
from lattice_controller.kube import kinds as k
from lattice_controller.kube.access import Access, denied, needed_access, on_kind
from lattice_controller.kube.discovery import MissingRequiredKinds, check_required_kinds
from lattice_controller.kube.events import EventRecorder
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.kube.lease import KubeLeaseStore
from lattice_controller.kube.rest import KubeRest
from lattice_controller.kube.writes import KubeWriter
from lattice_controller.model.keys import ObjectKey
from lattice_controller.queue import Priority, RateLimitingQueue
from lattice_controller.reconcile.apply import ensure_default_service_network
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.controllers.access_log_policy import AccessLogPolicyKind
from lattice_controller.reconcile.controllers.context import ROUTE_KINDS, ControllerContext
from lattice_controller.reconcile.controllers.gateway import GatewayReconciler
from lattice_controller.reconcile.controllers.gatewayclass import GatewayClassReconciler
from lattice_controller.reconcile.controllers.iam_auth_policy import IamAuthPolicyKind
from lattice_controller.reconcile.controllers.pod_gate import PodGateReconciler
from lattice_controller.reconcile.controllers.policy import PolicyReconciler
from lattice_controller.reconcile.controllers.route import RouteReconciler
from lattice_controller.reconcile.controllers.service_export import ServiceExportReconciler
from lattice_controller.reconcile.controllers.service_import import ServiceImportReconciler
from lattice_controller.reconcile.controllers.service_network import ServiceNetworkReconciler
from lattice_controller.reconcile.controllers.target_group_policy import TargetGroupPolicyReconciler
from lattice_controller.reconcile.controllers.vpc_association_policy import VpcAssociationPolicyKind
from lattice_controller.reconcile.triggers import triggers
from lattice_controller.runtime.heap_release import release_after_bursts
from lattice_controller.runtime.http import BindFailed, HttpServer, Probes, metrics_app, probe_app
from lattice_controller.runtime.leader import LEASE_NAME, LeaderElector
from lattice_controller.runtime.manager import Manager
from lattice_controller.runtime.metrics import RuntimeMetrics, register_process_collectors
from lattice_controller.runtime.permissions import PermissionCheck, Review
from lattice_controller.runtime.resync import Sweep, run_resync_cycles
from lattice_controller.runtime.webhook import (
    CertificateError,
    ReloadingCertificate,
    WebhookMetrics,
    webhook_app,
)
from lattice_controller.runtime.workers import WorkerPool
from lattice_controller.settings import Settings

CORE_KINDS: tuple[AnyKind, ...] = (k.SERVICE, k.ENDPOINT_SLICE, k.NAMESPACE, k.POD)
# Objects whose finalizers/annotations the controller patches, those whose status it writes, and those
# it creates (and then patches): the DNSEndpoints of routes, when that CRD is served.
_WRITTEN: tuple[AnyKind, ...] = (
    k.GATEWAY,
    *ROUTE_KINDS.values(),
    k.IAM_AUTH_POLICY,
    k.ACCESS_LOG_POLICY,
    k.VPC_ASSOCIATION_POLICY,
    k.SERVICE_NETWORK,
    k.SERVICE_EXPORT,
    k.SERVICE_IMPORT,
)
WRITTEN_KINDS = frozenset(kind.group_kind for kind in _WRITTEN)
# ServiceExports and ServiceImports have no status subresource (as the reference's CRDs): only their
# finalizers are patched.
_NO_STATUS = frozenset({k.SERVICE_EXPORT.group_kind, k.SERVICE_IMPORT.group_kind})
STATUS_WRITTEN_KINDS = (WRITTEN_KINDS - _NO_STATUS) | {
    k.GATEWAY_CLASS.group_kind,
    k.TARGET_GROUP_POLICY.group_kind,
    # Pods: only the readiness-gate condition of their status.
    k.POD.group_kind,
}
CREATED_KINDS = frozenset({k.DNS_ENDPOINT.group_kind})
EVENT_COMPONENT = "lattice-controller"

log = structlog.get_logger("lattice_controller.app")


def build_settings(settings: Settings) -> BuildSettings:
    return BuildSettings(
        account=settings.aws_account_id,
        cluster=settings.cluster_name,
        vpc=settings.cluster_vpc_id,
        default_service_network=settings.default_service_network,
        service_network_override=settings.enable_service_network_override,
        enforce_reference_grants=settings.enforce_reference_grants,
        adoption_allowed_namespaces=settings.adoption_allowed_namespaces,
    )


async def run(settings: Settings) -> int:
    certificate = None
    if settings.webhook_enabled:
        certificate = ReloadingCertificate(settings.webhook_tls_cert_file, settings.webhook_tls_key_file)
        try:
            certificate.load()
        except CertificateError as exc:
            print(f"lattice-controller: {exc}", file=sys.stderr)
            return 2
    rest = await KubeRest.connect(settings.kubeconfig)
    try:
        try:
            resolved = await check_required_kinds(rest)
        except MissingRequiredKinds as exc:
            print(f"lattice-controller: {exc}", file=sys.stderr)
            return 2
        served = (*resolved.required, *resolved.optional, *CORE_KINDS)
        permissions = permission_check(functools.partial(denied, rest), settings, served)
        await permissions.check()
        served = tuple(kind for kind in served if not _denied_kind(kind, permissions.missing_optional))
        cache = Cache.for_api(rest)
        stores = register_controller_kinds(cache, served)
        registry = CollectorRegistry()
        register_process_collectors(registry)
        resync = float(settings.reconcile_default_resync_seconds)
        async with open_aws_edge(
            AwsConfig(
                region=settings.region,
                lattice_endpoint=settings.lattice_endpoint or None,
                calls_per_second=settings.aws_api_rate_limit,
                max_attempts=settings.aws_max_attempts,
            ),
            registry=registry,
            use_tagging_api=not settings.disable_tagging_service_api,
            inventory_max_age_seconds=None if resync else 300.0,
        ) as edge:
            ctx = ControllerContext(
                stores=stores,
                kinds={kind.group_kind: kind for kind in served},
                writer=KubeWriter(rest),
                recorder=EventRecorder(rest, EVENT_COMPONENT),
                lattice=edge.lattice,
                tags=edge.tags,
                inventory=edge.inventory,
                settings=build_settings(settings),
            )
            ctx.details.follow_writes(edge.lattice)
            manager = _manager(settings, rest, cache, ctx, edge, registry, certificate)
            manager.probes.add_readiness_check("permissions", permissions.readiness)
            manager.install_signal_handlers()
            cache_task = asyncio.create_task(cache.run(), name="cache")
            permissions_task = asyncio.create_task(permissions.watch(), name="permissions")
            side_tasks = [permissions_task, cache_task]
            if certificate is not None:
                side_tasks.append(asyncio.create_task(certificate.watch(), name="webhook-certificate"))
            try:
                return await manager.run()
            except BindFailed as exc:
                print(f"lattice-controller: {exc}", file=sys.stderr)
                return 2
            finally:
                for task in side_tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
    finally:
        await rest.close()


def permission_check(review: Review, settings: Settings, served: tuple[AnyKind, ...]) -> PermissionCheck:
    """Everything the controller uses on ``served`` kinds is required, except list+watch on ReferenceGrants
    when ENFORCE_REFERENCE_GRANTS=false: then they are not needed and a denial only stops them being watched
    (as with the reference controller's RBAC, which has no rule for them)."""
    grants = [kind for kind in served if kind.group_kind == k.REFERENCE_GRANT.group_kind]
    optional_kinds = [] if settings.enforce_reference_grants else grants
    created = [kind for kind in served if kind.group_kind in CREATED_KINDS]
    written = [kind for kind in served if kind.group_kind in WRITTEN_KINDS] + created
    status_written = [kind for kind in served if kind.group_kind in STATUS_WRITTEN_KINDS]
    required = needed_access(
        watched=[kind for kind in served if kind not in optional_kinds],
        patched=written,
        status_patched=status_written,
        created=created,
        lease_namespace=settings.pod_namespace if settings.leader_elect else None,
    )
    optional = [access for kind in optional_kinds for access in on_kind(kind, ("list", "watch"))]

    grants_hint = "or set ENFORCE_REFERENCE_GRANTS=false to follow cross-namespace backendRefs unchecked"
    return PermissionCheck(
        review,
        required,
        optional,
        optional_note="ENFORCE_REFERENCE_GRANTS=false does not need them",
        hints={(kind.group, kind.plural): grants_hint for kind in grants},
    )


def _denied_kind(kind: AnyKind, refused: tuple[Access, ...]) -> bool:
    return any((a.group, a.resource) == (kind.group, kind.plural) for a in refused)


def _manager(
    settings: Settings,
    rest: KubeRest,
    cache: Cache,
    ctx: ControllerContext,
    edge: AwsEdge,
    registry: CollectorRegistry,
    certificate: ReloadingCertificate | None = None,
) -> Manager:
    clock = RealClock()
    metrics = RuntimeMetrics(registry)
    route_types = [t for t, kind in ROUTE_KINDS.items() if kind.group_kind in ctx.stores]
    certificates = CertificateFinder(edge.acm)
    reconcilers: list[tuple[Any, int]] = [
        (GatewayClassReconciler(ctx), 1),
        (GatewayReconciler(ctx), settings.gateway_max_concurrent_reconciles),
        *(
            (RouteReconciler(ctx, t, certificates), settings.route_max_concurrent_reconciles)
            for t in route_types
        ),
    ]
    policy_kinds: tuple[Any, ...] = (IamAuthPolicyKind(), VpcAssociationPolicyKind(), AccessLogPolicyKind())
    for policy_kind in policy_kinds:
        if ctx.store(policy_kind.kind) is not None:
            reconcilers.append(
                (PolicyReconciler(ctx, policy_kind), settings.policy_max_concurrent_reconciles)
            )
    if ctx.store(k.TARGET_GROUP_POLICY) is not None:
        reconcilers.append((TargetGroupPolicyReconciler(ctx), 1))
    if ctx.store(k.SERVICE_NETWORK) is not None:
        reconcilers.append((ServiceNetworkReconciler(ctx), 1))
    if ctx.store(k.SERVICE_EXPORT) is not None:
        reconcilers.append((ServiceExportReconciler(ctx), 1))
    if ctx.store(k.SERVICE_IMPORT) is not None:
        reconcilers.append((ServiceImportReconciler(ctx), 1))
    if ctx.store(k.POD) is not None:
        reconcilers.append((PodGateReconciler(ctx), 1))
    queues: dict[str, RateLimitingQueue[ObjectKey]] = {}
    pools: list[WorkerPool[ObjectKey]] = []
    for reconciler, workers in reconcilers:
        queue: RateLimitingQueue[ObjectKey] = RateLimitingQueue(
            reconciler.name, clock, metrics=metrics.for_queue(reconciler.name)
        )
        queues[reconciler.name] = queue
        pools.append(WorkerPool(reconciler, queue, workers, metrics=metrics.for_controller(reconciler.name)))

    def on_change(kind: AnyKind, old: Any, new: Any) -> None:
        # Keys from initial lists wait behind user changes.
        priority = Priority.HIGH if cache.has_synced() else Priority.LOW
        for controller, key in triggers(ctx, kind, old, new):
            if controller in queues:
                queues[controller].add(key, priority)

    cache.on_change(on_change)

    loops: list[Any] = []
    if settings.default_service_network:

        def gateways_again() -> None:
            # Gateways reconciled before the network existed saw it missing: look again now.
            store = ctx.store(k.GATEWAY)
            for key in store.keys() if store else ():
                queues["gateway"].add(key)

        loops.append(lambda: _default_network(ctx, edge, settings, gateways_again))
    sweeps: list[Sweep[ObjectKey]] = []
    for reconciler, _ in reconcilers:
        store = ctx.store(reconciler.kind)
        if store is not None and getattr(reconciler, "resync", True):
            sweeps.append(Sweep(queues[reconciler.name], store.keys))
    if settings.reconcile_default_resync_seconds and sweeps:
        loops.append(_resync_loop(sweeps, ctx, settings, clock, metrics))

    def release_heap() -> None:
        # The burst is over: its listings go too. The next change re-lists what it reads (as it would
        # once they are 300 s old; with resync on, the next cycle starts by renewing them).
        ctx.inventory.new_cycle()
        release_free_heap()

    loops.append(
        lambda: release_after_bursts(
            pools, clock, release_heap, resident=resident_bytes, on_release=metrics.heap_released
        )
    )

    probes = Probes()
    servers = []
    if settings.health_probe_bind_address:
        host, port = _host_port(settings.health_probe_bind_address)
        servers.append(HttpServer(probe_app(probes), host, port, "--health-probe-bind-address"))
    if settings.metrics_bind_address:
        host, port = _host_port(settings.metrics_bind_address)
        servers.append(HttpServer(metrics_app(registry), host, port, "--metrics-bind-address"))
    if certificate is not None:
        gates = GateQuery(
            ctx.stores,
            ctx.settings.controller_name,
            enforce_reference_grants=settings.enforce_reference_grants,
        )
        app = webhook_app(gates.pod_needs_gate, cache.has_synced, READINESS_GATE, WebhookMetrics(registry))
        host, port = _host_port(settings.webhook_bind_address)
        servers.append(HttpServer(app, host, port, "--webhook-bind-address", ssl_context=certificate.context))
    elector = (
        LeaderElector(KubeLeaseStore(rest, settings.pod_namespace, LEASE_NAME), clock)
        if settings.leader_elect
        else None
    )
    return Manager(
        pools=pools,
        wait_synced=lambda: _synced_then_trimmed(cache),
        elector=elector,
        leader_loops=loops,
        probes=probes,
        servers=servers,
        shutdown_grace_seconds=settings.shutdown_grace_seconds,
        clock=clock,
    )


async def _synced_then_trimmed(cache: Cache) -> None:
    """The caches are filled; the pages of the first lists are garbage now: give their memory back."""
    await cache.wait_synced()
    release_free_heap()


def _resync_loop(
    sweeps: list[Sweep[ObjectKey]],
    ctx: ControllerContext,
    settings: Settings,
    clock: RealClock,
    metrics: RuntimeMetrics,
) -> Any:
    """One driver for every resynced controller: a cycle starts by renewing the inventory's listings."""

    def loop() -> Coroutine[Any, Any, None]:
        return run_resync_cycles(
            sweeps,
            float(settings.reconcile_default_resync_seconds),
            clock,
            on_cycle=ctx.inventory.new_cycle,
            metrics=metrics,
        )

    return loop


async def _default_network(
    ctx: ControllerContext, edge: AwsEdge, settings: Settings, then: Callable[[], None]
) -> None:
    """Leader only, once: DEFAULT_SERVICE_NETWORK exists and is associated with the cluster VPC."""
    try:
        result = await ensure_default_service_network(
            settings.default_service_network,
            settings.cluster_vpc_id,
            settings.managed_by,
            lattice=edge.lattice,
            inventory=ctx.inventory,
        )
    except Exception:  # the reference logs and goes on; routes report the missing network
        log.exception("default service network setup failed", name=settings.default_service_network)
    else:
        # Only what was just created can have been seen missing; an existing network (a restart, a switch
        # from the Go controller) needs no second look, which would race the first status write.
        if result.created_network or result.created_association:
            then()


def _host_port(address: Any) -> tuple[str, int]:
    return (address.host or "0.0.0.0", address.port)
