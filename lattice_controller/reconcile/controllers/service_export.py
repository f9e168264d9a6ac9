"""ServiceExport → its VPC Lattice target groups and their targets (docs/multi-cluster.md).

Per key: cache snapshot (the export, its Service and EndpointSlices, the TargetGroupPolicies) → pure
build → the export's groups found by tags → the shared target-group plan → apply. The finalizer
``serviceexport.k8s.aws/resources`` is added before the first write; deletion removes exactly the
groups tagged with this export and this cluster in this VPC. A group some service still uses (a
route of another cluster imports it) is withdrawn instead (tag ``ExportWithdrawn``: importers drop it
on their next look) and deleted once nothing uses it. Exports without the federation annotation are
left alone, as the reference does — except that a deleting export still carrying our finalizer is
cleaned up rather than stuck.

Reports are events with the reference's reasons: ``FailedBuildModel`` (the Service is missing, ...),
``FailedDeployModel`` (AWS refused; retried with backoff), ``FailedAddFinalizer``; ``DeploySucceed``
when a reconcile changed something. Like the reference, the export's status is not written.
"""

from __future__ import annotations

import structlog

from lattice_controller.aws.errors import AwsError
from lattice_controller.cache import indexes
from lattice_controller.cache.policy_targets import POLICIES_BY_TARGET, target_value
from lattice_controller.kube import kinds as k
from lattice_controller.kube.errors import KubeError
from lattice_controller.model.k8s.service_export import ServiceExport
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import TargetGroupSpec
from lattice_controller.model.lattice_observed import ObservedTargetGroup
from lattice_controller.model.outcomes import Outcome, RequeueAfter, Success
from lattice_controller.reconcile.apply import WAIT_SECONDS, ApplyFailed, apply_plan
from lattice_controller.reconcile.build.inputs import TargetGroupPolicyConfig
from lattice_controller.reconcile.build.service_export import (
    ExportBuild,
    ExportSnapshot,
    build_export,
    export_identity_tags,
)
from lattice_controller.reconcile.build.target_group_policies import resolve
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.route import describe_aws_error
from lattice_controller.reconcile.diff import Plan
from lattice_controller.reconcile.diff.target_groups import plan_owned_groups
from lattice_controller.reconcile.observe.target_groups import GroupReader

FINALIZER = "serviceexport.k8s.aws/resources"

log = structlog.get_logger(__name__)


def export_snapshot(ctx: ControllerContext, export: ServiceExport) -> ExportSnapshot:
    """What the build of ``export`` reads, from the cache now."""
    key = export.meta.key
    service_key = ObjectKey(key.namespace, export.service_name)
    services = ctx.store(k.SERVICE)
    slices = ctx.store(k.ENDPOINT_SLICE)
    policies = ctx.store(k.TARGET_GROUP_POLICY)

    def policy_of(kind: str, target: ObjectKey) -> TargetGroupPolicyConfig | None:
        if policies is None:
            return None
        return resolve(policies.by_index(POLICIES_BY_TARGET, target_value(kind, target)))

    return ExportSnapshot(
        export=export,
        service=services.get(service_key) if services else None,
        endpoint_slices=tuple(
            slices.by_index(indexes.ENDPOINT_SLICES_BY_SERVICE, str(service_key)) if slices else ()
        ),
        # Health checks: the policy on the Service named like the export, else the export's own.
        service_policy=policy_of("Service", key),
        export_policy=policy_of("ServiceExport", key),
    )


class ServiceExportReconciler:
    name = "serviceexport"
    kind = k.SERVICE_EXPORT

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self._reported: dict[ObjectKey, str] = {}

    async def reconcile(self, key: ObjectKey) -> Outcome:
        store = self.ctx.store(k.SERVICE_EXPORT)
        export = store.get(key) if store else None
        if export is None:
            self._reported.pop(key, None)
            return Success()
        if export.meta.deleting:
            if FINALIZER not in export.meta.finalizers:
                return Success()
            return await self._delete(export)
        if not export.federated:
            return Success()
        return await self._upsert(export)

    async def _upsert(self, export: ServiceExport) -> Outcome:
        ctx, key = self.ctx, export.meta.key
        involved = ctx.involved(k.SERVICE_EXPORT, key, export.meta.uid)
        if FINALIZER not in export.meta.finalizers:
            try:
                await ctx.writer.add_finalizer(ctx.kind(k.SERVICE_EXPORT), key, FINALIZER)
            except KubeError as error:
                message = f"Failed add finalizer due to {error}"
                await ctx.recorder.warning(involved, "FailedAddFinalizer", message)
                raise
        build = build_export(export_snapshot(ctx, export), ctx.settings)
        if build.problem is not None:
            # Level-triggered: the Service (or the fix) arriving enqueues the export again.
            await self._report_once(export, "FailedBuildModel", f"Failed BuildModel due to {build.problem}")
            return Success()
        try:
            plan, applied = await self._deploy(export, build)
        except (AwsError, ApplyFailed) as error:
            await ctx.recorder.warning(
                involved, "FailedDeployModel", f"Failed deploy model due to {describe_aws_error(error)}"
            )
            raise
        self._reported.pop(key, None)
        if applied:
            await ctx.recorder.normal(involved, "DeploySucceed", "Adding/Updating reconcile Done!")
        if plan.waits:
            log.info("service export waiting", export=str(key), waits=list(plan.waits))
            return RequeueAfter(WAIT_SECONDS)
        return Success()

    async def _delete(self, export: ServiceExport) -> Outcome:
        ctx, key = self.ctx, export.meta.key
        try:
            plan, _ = await self._deploy(export, ExportBuild())
        except (AwsError, ApplyFailed) as error:
            involved = ctx.involved(k.SERVICE_EXPORT, key, export.meta.uid)
            await ctx.recorder.warning(
                involved, "FailedDeployModel", f"Failed deploy model due to {describe_aws_error(error)}"
            )
            raise
        if plan.waits:
            log.info("service export deletion waiting", export=str(key), waits=list(plan.waits))
            return RequeueAfter(WAIT_SECONDS)
        await ctx.writer.remove_finalizer(ctx.kind(k.SERVICE_EXPORT), key, FINALIZER)
        self._reported.pop(key, None)
        return Success()

    async def _deploy(self, export: ServiceExport, build: ExportBuild) -> tuple[Plan, bool]:
        """Observe the export's groups, plan, apply; returns the plan and whether it wrote."""
        ctx = self.ctx
        settings = ctx.settings
        found = await ctx.inventory.target_groups_tagged(
            export_identity_tags(export, settings.cluster), vpc_id=settings.vpc
        )

        def owns(tg: ObservedTargetGroup) -> bool:
            return tg.config.vpc == settings.vpc

        specs: tuple[TargetGroupSpec, ...] = build.target_groups
        observed = await GroupReader(ctx.inventory, ctx.lattice, ctx.details).observe(found, specs, owns)
        groups = plan_owned_groups(specs, observed, owns, withdraw=True)
        plan = Plan(tuple(groups.steps + groups.delete_steps), waits=tuple(groups.waits))
        if not plan.steps:
            return plan, False
        result = await apply_plan(plan, ctx.lattice, ctx.tags, inventory=ctx.inventory)
        return Plan(plan.steps, waits=plan.waits + result.waits), True

    async def _report_once(self, export: ServiceExport, reason: str, message: str) -> None:
        key = export.meta.key
        if self._reported.get(key) == message:
            return
        self._reported[key] = message
        involved = self.ctx.involved(k.SERVICE_EXPORT, key, export.meta.uid)
        await self.ctx.recorder.warning(involved, reason, message)
