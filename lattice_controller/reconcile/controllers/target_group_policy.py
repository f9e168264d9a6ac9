"""TargetGroupPolicy: validate and write the ``Accepted`` condition; no finalizer, no AWS call.

The policy's effect on target groups happens in the route reconciles of the Services it names (the
route snapshot resolves the policy itself, see ``policy_lookup``); this reconciler only reports.
"""

from __future__ import annotations

from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.model.k8s.target_group_policy import TargetGroupPolicy
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Outcome, Success
from lattice_controller.reconcile.build.target_group_policies import policy_condition, target_kind
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.policy import policies_naming
from lattice_controller.reconcile.status import merge_conditions

TARGET_STORE_KINDS: dict[str, AnyKind] = {"Service": k.SERVICE, "ServiceExport": k.SERVICE_EXPORT}


class TargetGroupPolicyReconciler:
    name = "targetgrouppolicy"
    kind = k.TARGET_GROUP_POLICY
    resync = False  # it reads only the cache: nothing can drift

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx

    async def reconcile(self, key: ObjectKey) -> Outcome:
        store = self.ctx.store(k.TARGET_GROUP_POLICY)
        policy: TargetGroupPolicy | None = store.get(key) if store else None
        if policy is None or policy.meta.deleting:
            return Success()
        rivals: list[TargetGroupPolicy] = []
        exists = False
        kind = target_kind(policy)
        if kind is not None and policy.target_ref is not None:
            target = ObjectKey(key.namespace, policy.target_ref.name)
            rivals = policies_naming(self.ctx, k.TARGET_GROUP_POLICY, kind, target)
            target_store = self.ctx.store(TARGET_STORE_KINDS[kind])
            exists = target_store is not None and target_store.get(target) is not None
        desired = policy_condition(policy, rivals, exists)
        conditions = merge_conditions(policy.conditions, (desired,), self.ctx.now(), keep_others=True)
        if conditions != policy.conditions:
            payload = {"conditions": [condition.to_k8s() for condition in conditions]}
            await self.ctx.writer.patch_status(self.ctx.kind(k.TARGET_GROUP_POLICY), key, payload)
        return Success()
