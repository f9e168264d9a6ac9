"""Pure build: from an immutable snapshot of Kubernetes records, compute route/gateway status
conditions and the desired Lattice state.

Must never perform I/O, read the clock, or import aws/, kube/, cache/ or runtime/.
"""

from lattice_controller.reconcile.build.gateway import (
    SUPPORTED_FEATURES,
    GatewayBuild,
    ServiceNetworkLookup,
    build_gateway,
    build_gateway_class_accepted,
)
from lattice_controller.reconcile.build.inputs import (
    CONTROLLER_NAME,
    BuildSettings,
    RouteDependencies,
    RouteSnapshot,
    TargetGroupPolicyConfig,
    route_dependencies,
)
from lattice_controller.reconcile.build.route import RouteBuild, build_route

__all__ = [
    "CONTROLLER_NAME",
    "SUPPORTED_FEATURES",
    "BuildSettings",
    "GatewayBuild",
    "RouteBuild",
    "RouteDependencies",
    "RouteSnapshot",
    "ServiceNetworkLookup",
    "TargetGroupPolicyConfig",
    "build_gateway",
    "build_gateway_class_accepted",
    "build_route",
    "route_dependencies",
]
