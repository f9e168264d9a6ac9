"""HTTPRoute / GRPCRoute / TLSRoute → Lattice service, listeners, rules, target groups, targets.

One reconciler class serves the three kinds. Per key: snapshot from the cache → pure build →
observe Lattice (shared listings) → pure plan → apply → status, annotations, events. Deletion is
driven by ownership tags, never by status; the finalizer goes only after the plan is complete.
Kubernetes writes and events happen only when something changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import structlog

from lattice_controller.aws.certificates import CertificateFinder
from lattice_controller.aws.errors import AccessDenied, AwsError, ServiceQuotaExceeded, ValidationFailed
from lattice_controller.kube.errors import NotFound
from lattice_controller.model.k8s import Condition, Route
from lattice_controller.model.k8s.route import RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Outcome, RequeueAfter, Success
from lattice_controller.reconcile.apply import WAIT_SECONDS, ApplyFailed
from lattice_controller.reconcile.build import RouteBuild, build_route
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build.route import SERVICE_ARN_ANNOTATION
from lattice_controller.reconcile.controllers.context import ROUTE_KINDS, ControllerContext
from lattice_controller.reconcile.controllers.deploy import deploy
from lattice_controller.reconcile.controllers.dns_endpoint import sync_dns_endpoint
from lattice_controller.reconcile.controllers.pod_readiness import write_gate_conditions
from lattice_controller.reconcile.diff import RegisterTargets
from lattice_controller.reconcile.observe import (
    CERTIFICATE_NOT_FOUND_REQUEUE_SECONDS,
    discover_certificate,
)
from lattice_controller.reconcile.observe.target_groups import imported_exports
from lattice_controller.reconcile.status import route_status
from lattice_controller.reconcile.status.pod_readiness import RECHECK_SECONDS

ASSIGNED_DOMAIN_ANNOTATION = "application-networking.k8s.aws/lattice-assigned-domain-name"

log = structlog.get_logger(__name__)


PERMANENT_AWS_ERRORS = (ServiceQuotaExceeded, ValidationFailed, AccessDenied)
"""AWS answers that the same request will get again: reported as ``Programmed=False/DeployFailed``
with a Warning event, retried with the worker's backoff (the quota may be raised, the IAM fixed)."""
RETRY_EVENT_AFTER = 3
"""Consecutive transient failures of one route before a Warning event says it keeps failing (then
every ``RETRY_EVENT_EVERY``); each failure counts in ``controller_runtime_reconcile_errors_total``."""
RETRY_EVENT_EVERY = 10
IMPORT_RECHECK_SECONDS = 10.0
"""How often a route forwarding to a ServiceImport's exported target group looks for it again: the
exporting cluster may withdraw it (docs/multi-cluster.md) and AWS cannot be watched."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """What one upsert did to Lattice, as the status/annotation/event report needs it.

    ``programmed``: ``Programmed=False`` while this generation is not live (None once it is);
    ``error``: raised after the report, so the worker retries with backoff; ``failure_event``: a
    Warning event to emit whether or not the status changed (a transient failure that repeats)."""

    outcome: Outcome = field(default_factory=Success)
    overrides: tuple[Condition, ...] = ()
    deployed: bool = False
    annotations: dict[str, str | None] = field(default_factory=dict)
    programmed: Condition | None = None
    error: Exception | None = None
    failure_event: str | None = None


def describe_aws_error(error: Exception) -> str:
    """``<code>: <message> (<operation>)`` — what a user needs to look the error up — plus what the
    apply notes on it (a partial apply: how far it got and which step failed)."""
    if isinstance(error, AwsError):
        text = f"{error.code}: {error.message or 'no message'} ({error.operation})"
    else:
        text = str(error)
    notes = getattr(error, "__notes__", ())
    return "; ".join([text, *notes])


class RouteReconciler:
    def __init__(
        self, ctx: ControllerContext, route_type: RouteType, certificates: CertificateFinder | None = None
    ) -> None:
        """``certificates``: ACM discovery; without it, discovery is skipped (no cert)."""
        self.ctx = ctx
        self.certificates = certificates
        self.route_type = route_type
        self.kind = ROUTE_KINDS[route_type]
        self.name = route_type.kind.lower()
        self._failures: dict[ObjectKey, int] = {}

    async def reconcile(self, key: ObjectKey) -> Outcome:
        store = self.ctx.store(self.kind)
        route: Route | None = store.get(key) if store else None
        if route is None:
            self._failures.pop(key, None)
            return Success()
        build = build_route(self.ctx.route_snapshot(route), self.ctx.settings)
        if route.meta.deleting:
            if self.route_type.finalizer not in route.meta.finalizers:
                return Success()
            return await self._delete(route, build)
        if not build.relevant:
            return Success()
        try:
            return await self._upsert(route, build)
        except NotFound as error:
            # Deleted (without our finalizer yet) while we worked: the write has nothing to update.
            log.info("route gone before its status/annotations were written", error=str(error))
            return Success()

    async def _upsert(self, route: Route, build: RouteBuild) -> Outcome:
        ctx, key = self.ctx, route.meta.key
        if self.route_type.finalizer not in route.meta.finalizers:
            await ctx.writer.add_finalizer(ctx.kind(self.kind), key, self.route_type.finalizer)
        discovery = await discover_certificate(build.desired, self.certificates)
        build = replace(build, desired=discovery.desired)
        generation = route.meta.generation
        if discovery.not_found is not None:
            rejected = c.condition(
                c.ACCEPTED, c.REASON_CERTIFICATE_NOT_FOUND, discovery.not_found, generation
            )
            deployment = Deployment(RequeueAfter(CERTIFICATE_NOT_FOUND_REQUEUE_SECONDS), (rejected,))
        elif build.desired.service is not None:
            deployment = await self._deploy(build, generation)
            domain = build.desired.service.custom_domain
            dns = deployment.annotations.get(ASSIGNED_DOMAIN_ANNOTATION)
            if domain and dns and deployment.overrides == ():
                await sync_dns_endpoint(ctx, self.kind, route, domain, dns)
        else:
            deployment = Deployment()
        await self._report(route, build, deployment)
        if deployment.error is not None:
            raise deployment.error
        self._failures.pop(key, None)
        return deployment.outcome

    async def _deploy(self, build: RouteBuild, generation: int) -> Deployment:
        try:
            deployed = await deploy(self.ctx, build.desired)
        except (AwsError, ApplyFailed) as error:
            return self._failed(build.route, error, generation)
        observed, plan, result = deployed.observed, deployed.plan, deployed.result
        if plan.conflict:
            return Deployment(
                overrides=(c.condition(c.ACCEPTED, c.REASON_CONFLICTED, plan.conflict, generation),)
            )
        outcome: Outcome = Success()
        registered = {t for step in plan.steps if isinstance(step, RegisterTargets) for t in step.targets}
        created = {c.name: c.id for c in result.created if c.kind == "target_group"}
        gates = await write_gate_conditions(self.ctx, build.desired, observed, registered, created)
        if gates.waiting:
            outcome = RequeueAfter(RECHECK_SECONDS)
        pending = [*plan.missing, *plan.waits, *result.waits]
        if pending:
            log.info("route waiting", waits=pending)
            wait = max(WAIT_SECONDS, result.requeue_after or 0)
            outcome = RequeueAfter(min(wait, RECHECK_SECONDS) if gates.waiting else wait)
            message = f"generation {generation} is not fully applied yet: " + "; ".join(pending[:3])
            programmed = c.condition(c.PROGRAMMED, c.REASON_PENDING, message, generation)
        else:
            # Live: no Programmed condition, as a route of the AWS controller has none (so taking over
            # its routes costs no status write).
            programmed = None
            if imported_exports(build.desired):
                # Exports of other clusters come and go unseen: look again (reads only when unchanged).
                outcome = RequeueAfter(IMPORT_RECHECK_SECONDS)
        annotations: dict[str, str | None] = {}
        arn = result.service_arn or (observed.service.arn if observed.service else None)
        dns = result.service_dns or (observed.service.dns_name if observed.service else None)
        if arn:
            annotations[SERVICE_ARN_ANNOTATION] = arn
        if dns:
            annotations[ASSIGNED_DOMAIN_ANNOTATION] = dns
        overrides: tuple[Condition, ...] = ()
        if plan.unresolved:
            message = "; ".join(plan.unresolved)
            reason = (
                c.REASON_EXTERNAL_TARGET_GROUP_NOT_FOUND
                if plan.external_missing
                else c.REASON_BACKEND_NOT_FOUND
            )
            resolved = c.condition(c.RESOLVED_REFS, reason, message, generation)
            overrides = (resolved,)
        return Deployment(
            outcome,
            overrides,
            deployed=bool(plan.steps),
            annotations=annotations,
            programmed=programmed,
        )

    def _failed(self, key: ObjectKey, error: Exception, generation: int) -> Deployment:
        """An AWS failure: the route says its generation is not applied and why; the error is
        raised after the report (backoff)."""
        text = describe_aws_error(error)
        failures = self._failures[key] = self._failures.get(key, 0) + 1
        if isinstance(error, (*PERMANENT_AWS_ERRORS, ApplyFailed)):
            message = f"AWS rejected a change of generation {generation}: {text}; retrying with backoff"
            programmed = c.condition(c.PROGRAMMED, c.REASON_DEPLOY_FAILED, message, generation)
            return Deployment(programmed=programmed, error=error)
        event = None
        if failures == RETRY_EVENT_AFTER or (
            failures > RETRY_EVENT_AFTER and failures % RETRY_EVENT_EVERY == 0
        ):
            event = f"Failed deploy model due to {text} ({failures} attempts in a row; retrying with backoff)"
        # No attempt count in the condition: a retry must not rewrite an unchanged status.
        message = f"generation {generation} is not applied yet: {text}; retrying with backoff"
        programmed = c.condition(c.PROGRAMMED, c.REASON_PENDING, message, generation)
        return Deployment(programmed=programmed, error=error, failure_event=event)

    async def _report(self, route: Route, build: RouteBuild, deployment: Deployment) -> None:
        """Status, annotations and events — each written only when it changes something."""
        ctx, key = self.ctx, route.meta.key
        kind = ctx.kind(self.kind)
        involved = ctx.involved(self.kind, key, route.meta.uid)
        status = route_status(
            route,
            build,
            ctx.now(),
            deployment.overrides,
            ctx.settings.controller_name,
            programmed=deployment.programmed,
        )
        if status.changed:
            await ctx.writer.patch_status(kind, key, status.payload)
            for warning in build.warnings:
                await ctx.recorder.warning(
                    involved, "FailedBuildModel", f"Failed build model due to {warning}"
                )
            for note in build.notes:
                await ctx.recorder.warning(involved, "AcceptedWithCaveat", note)
            for override in deployment.overrides:
                message = f"Failed deploy model due to {override.message}"
                await ctx.recorder.warning(involved, "FailedDeployModel", message)
            failed = deployment.programmed
            if failed is not None and failed.reason == c.REASON_DEPLOY_FAILED:
                message = f"Failed deploy model due to {describe_aws_error(deployment.error or Exception())}"
                await ctx.recorder.warning(involved, "FailedDeployModel", message)
        if deployment.failure_event is not None:
            await ctx.recorder.warning(involved, "FailedDeployModel", deployment.failure_event)
        await ctx.writer.patch_annotations(
            kind, key, deployment.annotations, current=route.meta.annotations.as_dict()
        )
        if deployment.deployed:
            await ctx.recorder.normal(involved, "DeploySucceed", "Adding/Updating reconcile Done!")

    async def _delete(self, route: Route, build: RouteBuild) -> Outcome:
        ctx, key = self.ctx, route.meta.key
        deployed = await deploy(ctx, build.desired)
        plan, result = deployed.plan, deployed.result
        if plan.waits or result.waits:
            log.info("route deletion waiting", waits=[*plan.waits, *result.waits])
            return RequeueAfter(max(WAIT_SECONDS, result.requeue_after or 0))
        await ctx.writer.remove_finalizer(ctx.kind(self.kind), key, self.route_type.finalizer)
        return Success()
