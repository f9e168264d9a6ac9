"""Pure status: merge computed conditions with the stored ones (keeping lastTransitionTime when
the status did not flip), render status bodies, and say whether a write is needed at all.

Must never perform I/O or read the clock (the caller passes ``now``), nor import kube/ or aws/.
"""

from lattice_controller.reconcile.status.conditions import merge_conditions, set_condition
from lattice_controller.reconcile.status.gateway import (
    StatusUpdate,
    gateway_class_status,
    gateway_status,
)
from lattice_controller.reconcile.status.route import route_status

__all__ = [
    "StatusUpdate",
    "gateway_class_status",
    "gateway_status",
    "merge_conditions",
    "route_status",
    "set_condition",
]
