"""IAMAuthPolicy: the auth policy of a service network (Gateway target) or service (route target) and
its auth type AWS_IAM; removed (auth type NONE, policy deleted) on delete or when the policy moves.

Where it was applied is kept in the Go controller's annotations (resource id, type and name), so a
retarget or a delete undoes it there even when the old target is gone. Each write happens only when
the resource differs: an idle resync costs two reads and no write.
"""

from __future__ import annotations

from lattice_controller.aws.errors import NotFound
from lattice_controller.kube import kinds as k
from lattice_controller.model.k8s.auth_policy import IamAuthPolicy
from lattice_controller.model.naming import ANNOTATION_PREFIX
from lattice_controller.reconcile.build.policies import (
    GATEWAY_GROUP,
    PolicyRules,
    auth_policy_problem,
    same_document,
)
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.policy import SERVICE, SERVICE_NETWORK, LatticeTarget

IAM_AUTH_POLICY_FINALIZER = "application-networking.k8s.aws/iam-auth-policy"
RESOURCE_ID_ANNOTATION = ANNOTATION_PREFIX + "iam-auth-policy-resource-id"
RESOURCE_TYPE_ANNOTATION = ANNOTATION_PREFIX + "iam-auth-policy-resource-type"
RESOURCE_NAME_ANNOTATION = ANNOTATION_PREFIX + "iam-auth-policy-resource-name"
IAM_AUTH_POLICY_ANNOTATIONS = (RESOURCE_ID_ANNOTATION, RESOURCE_TYPE_ANNOTATION, RESOURCE_NAME_ANNOTATION)
AWS_IAM, NONE = "AWS_IAM", "NONE"


class IamAuthPolicyKind:
    name = "iamauthpolicy"
    kind = k.IAM_AUTH_POLICY
    finalizer = IAM_AUTH_POLICY_FINALIZER
    rules = PolicyRules(
        "IAMAuthPolicy",
        frozenset({(GATEWAY_GROUP, "Gateway"), (GATEWAY_GROUP, "HTTPRoute"), (GATEWAY_GROUP, "GRPCRoute")}),
    )

    def spec_problem(self, policy: IamAuthPolicy) -> str | None:
        return auth_policy_problem(policy.policy)

    async def apply(
        self, ctx: ControllerContext, policy: IamAuthPolicy, target: LatticeTarget
    ) -> float | None:
        annotations = policy.meta.annotations
        previous = annotations.get(RESOURCE_ID_ANNOTATION)
        if previous and previous != target.id:
            await _remove_from(ctx, annotations.get(RESOURCE_TYPE_ANNOTATION) or "", previous)
        lattice = ctx.lattice
        try:
            current: str | None = str((await lattice.get_auth_policy(target.id)).get("policy") or "")
        except NotFound:
            current = None
        if current is None or not same_document(current, policy.policy):
            await lattice.put_auth_policy(target.id, policy.policy)
        if await _auth_type(ctx, target.type, target.id) != AWS_IAM:
            await _set_auth_type(ctx, target.type, target.id, AWS_IAM)
        await ctx.writer.patch_annotations(
            ctx.kind(k.IAM_AUTH_POLICY),
            policy.meta.key,
            {
                RESOURCE_ID_ANNOTATION: target.id,
                RESOURCE_TYPE_ANNOTATION: target.type,
                RESOURCE_NAME_ANNOTATION: target.name,
            },
            current=annotations.as_dict(),
        )
        return None

    async def remove(self, ctx: ControllerContext, policy: IamAuthPolicy) -> None:
        annotations = policy.meta.annotations
        resource_id = annotations.get(RESOURCE_ID_ANNOTATION)
        if resource_id:
            await _remove_from(ctx, annotations.get(RESOURCE_TYPE_ANNOTATION) or "", resource_id)


async def _auth_type(ctx: ControllerContext, resource_type: str, resource_id: str) -> str:
    if resource_type == SERVICE_NETWORK:
        return str((await ctx.lattice.get_service_network(resource_id)).get("authType") or NONE)
    return str((await ctx.lattice.get_service(resource_id)).get("authType") or NONE)


async def _set_auth_type(
    ctx: ControllerContext, resource_type: str, resource_id: str, auth_type: str
) -> None:
    if resource_type == SERVICE_NETWORK:
        await ctx.lattice.update_service_network(resource_id, auth_type)
    else:
        await ctx.lattice.update_service(resource_id, authType=auth_type)


async def _remove_from(ctx: ControllerContext, resource_type: str, resource_id: str) -> None:
    """Auth type NONE, then the policy deleted; a resource already gone needs neither."""
    kind = SERVICE_NETWORK if resource_type == SERVICE_NETWORK or resource_id.startswith("sn-") else SERVICE
    try:
        if await _auth_type(ctx, kind, resource_id) != NONE:
            await _set_auth_type(ctx, kind, resource_id, NONE)
        await ctx.lattice.delete_auth_policy(resource_id)
    except NotFound:
        pass
