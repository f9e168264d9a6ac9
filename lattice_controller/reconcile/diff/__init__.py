"""Pure diff: desired Lattice state + observed Lattice state → an ordered plan of AWS writes.

Must never perform I/O or import aws/, kube/, cache/ or runtime/; a plan is data that the apply
layer executes and the ``plan`` command prints.
"""

from lattice_controller.reconcile.diff.ownership import ServiceOwnership, service_ownership
from lattice_controller.reconcile.diff.route import plan_route
from lattice_controller.reconcile.diff.steps import (
    BatchUpdateRule,
    CreateListener,
    CreateRule,
    CreateService,
    CreateServiceNetworkServiceAssociation,
    CreateTargetGroup,
    DeleteListener,
    DeleteRule,
    DeleteService,
    DeleteServiceNetworkServiceAssociation,
    DeleteTargetGroup,
    DeregisterTargets,
    Pending,
    Plan,
    PlanAction,
    Ref,
    RegisterTargets,
    Step,
    TagResource,
    UntagResource,
    UpdateListener,
    UpdateRule,
    UpdateService,
    UpdateTargetGroup,
)
from lattice_controller.reconcile.diff.target_groups import find_imported, find_target_group

__all__ = [
    "BatchUpdateRule",
    "CreateListener",
    "CreateRule",
    "CreateService",
    "CreateServiceNetworkServiceAssociation",
    "CreateTargetGroup",
    "DeleteListener",
    "DeleteRule",
    "DeleteService",
    "DeleteServiceNetworkServiceAssociation",
    "DeleteTargetGroup",
    "DeregisterTargets",
    "Pending",
    "Plan",
    "PlanAction",
    "Ref",
    "RegisterTargets",
    "ServiceOwnership",
    "Step",
    "TagResource",
    "UntagResource",
    "UpdateListener",
    "UpdateRule",
    "UpdateService",
    "UpdateTargetGroup",
    "find_imported",
    "find_target_group",
    "plan_route",
    "service_ownership",
]
