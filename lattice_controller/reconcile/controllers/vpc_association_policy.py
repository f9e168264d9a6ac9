"""VpcAssociationPolicy: the association of a Gateway's service network with the cluster's VPC and its
security groups; ``associateWithVpc: false`` removes it.

An association found for (network, cluster VPC) is ours when its ManagedBy tag is ours; one without a
ManagedBy tag is adopted only with the opt-in routes need for services (docs/operations.md): the policy's
namespace in ``ADOPTION_ALLOWED_NAMESPACES`` (or ``*``), or the tag
``AllowAdoptionBy=VpcAssociationPolicy/<namespace>/<name>`` on the association. Either way it also gets
the policy's ``application-networking.k8s.aws/tags``; without an opt-in, or when another controller owns
it, it is left alone (``Accepted=False/Conflicted``). An association adopted on its owner's tag is handed
back (our tags removed) instead of deleted.
Security groups are compared as sets and updated in place. Its ARN is kept in the Go controller's
annotation ``application-networking.k8s.aws/resourceArn``; on delete only that association is removed,
and a network or association already gone never keeps the finalizer (the Go controller's policy stayed
Terminating when the network was gone).
"""

from __future__ import annotations

import contextlib

import structlog

from lattice_controller.aws.errors import NotFound
from lattice_controller.aws.listings import Listing
from lattice_controller.kube import kinds as k
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s.vpc_association_policy import VpcAssociationPolicy
from lattice_controller.model.naming import ANNOTATION_PREFIX
from lattice_controller.reconcile.build.policies import GATEWAY_GROUP, PolicyRules
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.policy import LatticeTarget, PolicyConflict

VPC_ASSOCIATION_POLICY_FINALIZER = "vpcassociationpolicies.application-networking.k8s.aws/resources"
RESOURCE_ARN_ANNOTATION = ANNOTATION_PREFIX + "resourceArn"
SETTLING_RETRY_SECONDS = 10.0
EXISTS = frozenset({"ACTIVE", "DELETE_FAILED", "UPDATE_FAILED"})

log = structlog.get_logger(__name__)


class VpcAssociationPolicyKind:
    name = "vpcassociationpolicy"
    kind = k.VPC_ASSOCIATION_POLICY
    finalizer = VPC_ASSOCIATION_POLICY_FINALIZER
    rules = PolicyRules("VpcAssociationPolicy", frozenset({(GATEWAY_GROUP, "Gateway")}))

    def spec_problem(self, policy: VpcAssociationPolicy) -> str | None:
        return None

    async def apply(
        self, ctx: ControllerContext, policy: VpcAssociationPolicy, target: LatticeTarget
    ) -> float | None:
        vpc = ctx.settings.vpc
        found = [
            a
            for a in await ctx.inventory.vpc_associations(vpc)
            if a.get("serviceNetworkId") == target.id and a.get("status") != "CREATE_FAILED"
        ]
        association = found[0] if found else None
        if association is not None and association.get("status") not in EXISTS:
            return SETTLING_RETRY_SECONDS  # being created, updated or deleted: look again
        if not policy.associate_with_vpc:
            if association is not None:
                await _let_go(ctx, policy, str(association["arn"]))
            await self._annotate(ctx, policy, None)
            return None
        groups = sorted(set(policy.security_group_ids))
        if association is None:
            created = await ctx.lattice.create_service_network_vpc_association(
                target.id,
                vpc,
                client_token=f"vap-{policy.meta.uid or policy.meta.key.name}-{target.id}"[:64],
                security_group_ids=groups or None,
                tags=tag_keys.creation_tags(
                    {tag_keys.MANAGED_BY: ctx.settings.managed_by},
                    tag_keys.additional_tags(policy.meta.annotations.as_dict()),
                ),
            )
            ctx.inventory.invalidate(Listing.VPC_ASSOCIATIONS)
            await self._annotate(ctx, policy, str(created["arn"]))
            return None if created.get("status") == "ACTIVE" else SETTLING_RETRY_SECONDS
        arn, association_id = str(association["arn"]), str(association["id"])
        await _own(ctx, policy, arn, association_id)
        current = (await ctx.lattice.get_service_network_vpc_association(association_id)).get(
            "securityGroupIds"
        )
        if groups and sorted(set(current or ())) != groups:
            await ctx.lattice.update_service_network_vpc_association(association_id, securityGroupIds=groups)
        elif not groups and current:
            log.info("security groups kept: Lattice cannot clear them", association=association_id)
        await self._annotate(ctx, policy, arn)
        return None

    async def remove(self, ctx: ControllerContext, policy: VpcAssociationPolicy) -> None:
        arn = policy.meta.annotations.get(RESOURCE_ARN_ANNOTATION)
        if not arn:
            return  # nothing was created or adopted: nothing to remove
        with contextlib.suppress(NotFound):  # the association or its whole network is already gone
            await _let_go(ctx, policy, arn)

    async def _annotate(self, ctx: ControllerContext, policy: VpcAssociationPolicy, arn: str | None) -> None:
        await ctx.writer.patch_annotations(
            ctx.kind(k.VPC_ASSOCIATION_POLICY),
            policy.meta.key,
            {RESOURCE_ARN_ANNOTATION: arn},
            current=policy.meta.annotations.as_dict(),
        )


def adoption_value(policy: VpcAssociationPolicy) -> str:
    """The ``AllowAdoptionBy`` value with which an association's owner lets ``policy`` adopt it."""
    return f"VpcAssociationPolicy/{policy.meta.key}"


async def _let_go(ctx: ControllerContext, policy: VpcAssociationPolicy, arn: str) -> None:
    """Delete the association if ours; hand it back if adopted on its owner's tag; else leave it."""
    tags = await ctx.tags.tags_of(arn)
    if tags.get(tag_keys.MANAGED_BY) != ctx.settings.managed_by:
        return
    if tag_keys.ADOPTED_FROM in tags and not ctx.settings.adoption_allowed(policy.meta.key.namespace):
        await ctx.tags.untag(arn, [tag_keys.ADOPTED_FROM, tag_keys.MANAGED_BY])
        return
    await ctx.lattice.delete_service_network_vpc_association(arn.rsplit("/", 1)[-1])
    ctx.inventory.invalidate(Listing.VPC_ASSOCIATIONS)


async def _own(ctx: ControllerContext, policy: VpcAssociationPolicy, arn: str, association_id: str) -> None:
    """Bring the association's tags to ours plus the policy's additional tags, adopting an untagged one
    with an opt-in; raise ``PolicyConflict`` when it is not ours to manage."""
    existing = await ctx.tags.tags_of(arn)
    owner = existing.get(tag_keys.MANAGED_BY)
    managed = {tag_keys.MANAGED_BY: ctx.settings.managed_by}
    if owner is None:
        namespace = policy.meta.key.namespace
        if not (
            ctx.settings.adoption_allowed(namespace)
            or existing.get(tag_keys.ALLOW_ADOPTION_BY) == adoption_value(policy)
        ):
            raise PolicyConflict(
                f"Found existing vpc association {association_id} not created by this controller; it is "
                f"adopted only if the controller setting ADOPTION_ALLOWED_NAMESPACES lists namespace "
                f"{namespace} (or *), or the association carries the tag "
                f"{tag_keys.ALLOW_ADOPTION_BY}={adoption_value(policy)}"
            )
        managed[tag_keys.ADOPTED_FROM] = tag_keys.ADOPTED_FROM_UNMANAGED
    elif owner != ctx.settings.managed_by:
        raise PolicyConflict(f"Found existing vpc association {association_id} not owned by controller")
    additional = tag_keys.additional_tags(policy.meta.annotations.as_dict())
    change = tag_keys.tag_change(existing, additional, managed)
    if change.untag:
        await ctx.tags.untag(arn, change.untag)
    if change.tag:
        await ctx.tags.tag(arn, change.tag_dict)
