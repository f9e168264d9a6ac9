"""AccessLogPolicy: an access-log subscription of the target's service network (Gateway) or service
(HTTPRoute/GRPCRoute) to an S3 bucket, CloudWatch Logs group or Firehose stream.

The subscription's ARN and source name are kept in the Go controller's annotations. A new destination of
the same type is an ``UpdateAccessLogSubscription`` in place; a destination of another type, or a new
source (targetRef moved), creates the new subscription before deleting the old one. Lattice allows one
subscription per destination type per source: another policy's is ``Accepted=False/Conflicted``. An
``Invalid`` or ``TargetNotFound`` policy keeps its old subscription (nothing is written until it is fixed).
"""

from __future__ import annotations

import contextlib

from lattice_controller.aws.errors import AccessDenied, Conflict, NotFound
from lattice_controller.kube import kinds as k
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s.access_log_policy import AccessLogPolicy
from lattice_controller.model.naming import ANNOTATION_PREFIX
from lattice_controller.reconcile.build.policies import GATEWAY_GROUP, PolicyRules
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.policy import LatticeTarget, PolicyConflict, PolicyRejected

ACCESS_LOG_POLICY_FINALIZER = "accesslogpolicy.k8s.aws/resources"
SUBSCRIPTION_ANNOTATION = ANNOTATION_PREFIX + "accessLogSubscription"
SOURCE_NAME_ANNOTATION = ANNOTATION_PREFIX + "accessLogSubscriptionResourceName"
ACCESS_LOG_POLICY_ANNOTATIONS = (SUBSCRIPTION_ANNOTATION, SOURCE_NAME_ANNOTATION)
POLICY_TAG = tag_keys.TAG_PREFIX + "AccessLogPolicy"
DESTINATION_SERVICES = ("s3", "logs", "firehose")


def destination_type(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[2] if len(parts) >= 6 and parts[0] == "arn" and parts[2] in DESTINATION_SERVICES else None


class AccessLogPolicyKind:
    name = "accesslogpolicy"
    kind = k.ACCESS_LOG_POLICY
    finalizer = ACCESS_LOG_POLICY_FINALIZER
    rules = PolicyRules(
        "AccessLogPolicy",
        frozenset({(GATEWAY_GROUP, "Gateway"), (GATEWAY_GROUP, "HTTPRoute"), (GATEWAY_GROUP, "GRPCRoute")}),
        exclusive=False,  # one subscription per destination type per source: Lattice says which conflict
    )

    def spec_problem(self, policy: AccessLogPolicy) -> str | None:
        if destination_type(policy.destination_arn) is None:
            return (
                f"spec.destinationArn {policy.destination_arn!r} is not an S3 bucket, CloudWatch Logs "
                "log group or Kinesis Data Firehose delivery stream ARN"
            )
        return None

    async def apply(
        self, ctx: ControllerContext, policy: AccessLogPolicy, target: LatticeTarget
    ) -> float | None:
        lattice, destination = ctx.lattice, policy.destination_arn
        previous_arn = policy.meta.annotations.get(SUBSCRIPTION_ANNOTATION)
        previous = None
        if previous_arn:
            try:
                previous = await lattice.get_access_log_subscription(previous_arn)
            except NotFound:
                previous = None
        arn: str
        tagged = False  # a subscription created now carries its tags already: no read needed
        if (
            previous is not None
            and previous.get("resourceArn") == target.arn
            and destination_type(str(previous.get("destinationArn"))) == destination_type(destination)
        ):
            arn = str(previous["arn"])
            if previous.get("destinationArn") != destination:
                try:
                    await lattice.update_access_log_subscription(arn, destination)
                except Conflict:  # Lattice's answer to a destination type change: replace it
                    arn, tagged = await self._create(ctx, policy, target)
                    await _delete(ctx, str(previous["arn"]))
        else:
            arn, tagged = await self._create(ctx, policy, target)
            if previous is not None:  # moved source or another destination type: the old one goes
                await _delete(ctx, str(previous["arn"]))
        if not tagged:
            await _sync_tags(ctx, policy, arn)
        await ctx.writer.patch_annotations(
            ctx.kind(k.ACCESS_LOG_POLICY),
            policy.meta.key,
            {SUBSCRIPTION_ANNOTATION: arn, SOURCE_NAME_ANNOTATION: target.name},
            current=policy.meta.annotations.as_dict(),
        )
        return None

    async def _create(
        self, ctx: ControllerContext, policy: AccessLogPolicy, target: LatticeTarget
    ) -> tuple[str, bool]:
        """The new subscription's ARN and True, or (after an interrupted run) this policy's own
        subscription found on the source and False (its tags still to be brought up to date)."""
        try:
            created = await ctx.lattice.create_access_log_subscription(
                target.id,
                policy.destination_arn,
                client_token=f"alp-{policy.meta.uid or policy.meta.key.name}-{target.id}"[:64],
                tags=_tags(ctx, policy),
            )
            return str(created["arn"]), True
        except AccessDenied:
            raise PolicyRejected(
                f'The AWS resource with Destination Arn "{policy.destination_arn}" could not be found'
            ) from None
        except Conflict:
            for existing in await ctx.lattice.list_access_log_subscriptions(target.id):
                if existing.get("destinationArn") != policy.destination_arn:
                    continue
                tags = await ctx.tags.tags_of(str(existing["arn"]))
                if tags.get(POLICY_TAG) == str(policy.meta.key):
                    return str(existing["arn"]), False  # ours from an interrupted run: adopt it
            raise PolicyConflict(
                "An Access Log Policy with a Destination Arn for the same destination type already exists "
                "for this targetRef"
            ) from None

    async def remove(self, ctx: ControllerContext, policy: AccessLogPolicy) -> None:
        arn = policy.meta.annotations.get(SUBSCRIPTION_ANNOTATION)
        if arn:
            await _delete(ctx, arn)


def _tags(ctx: ControllerContext, policy: AccessLogPolicy) -> dict[str, str]:
    return tag_keys.creation_tags(
        {tag_keys.MANAGED_BY: ctx.settings.managed_by, POLICY_TAG: str(policy.meta.key)},
        tag_keys.additional_tags(policy.meta.annotations.as_dict()),
    )


async def _sync_tags(ctx: ControllerContext, policy: AccessLogPolicy, arn: str) -> None:
    existing = await ctx.tags.tags_of(arn)
    change = tag_keys.tag_change(
        existing,
        tag_keys.additional_tags(policy.meta.annotations.as_dict()),
        {tag_keys.MANAGED_BY: ctx.settings.managed_by, POLICY_TAG: str(policy.meta.key)},
    )
    if change.untag:
        await ctx.tags.untag(arn, change.untag)
    if change.tag:
        await ctx.tags.tag(arn, change.tag_dict)


async def _delete(ctx: ControllerContext, arn: str) -> None:
    with contextlib.suppress(NotFound):  # already gone
        await ctx.lattice.delete_access_log_subscription(arn)
