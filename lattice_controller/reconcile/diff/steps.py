"""Plan steps: each AWS write the apply layer will make, as printable data.

Resources created earlier in the same plan are referred to by ``Pending(kind, name)``; the apply
layer records the id/ARN each create returns and substitutes it. Existing resources are referred
to by ARN (tags, deletes) or id (rule actions), as Lattice accepts either as an identifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from lattice_controller.model.lattice import HealthCheckSpec, RuleMatch, TargetGroupConfig

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Pending:
    """A resource created by an earlier step of the same plan (kind: service, listener, target_group)."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"<new {self.kind} {self.name}>"


Ref = str | Pending


def _tags(tags: Pairs) -> str:
    return "{" + ", ".join(f"{k.removeprefix('application-networking.k8s.aws/')}={v}" for k, v in tags) + "}"


@dataclass(frozen=True, slots=True)
class PlanAction:
    """A rule/listener action with resolved target-group references."""

    forward: tuple[tuple[Ref, int], ...] = ()
    fixed_status: int | None = None

    def __str__(self) -> str:
        if self.fixed_status is not None:
            return f"fixed-response {self.fixed_status}"
        return "forward " + ", ".join(f"{ref}:{weight}" for ref, weight in self.forward)


@dataclass(frozen=True, slots=True)
class CreateService:
    name: str
    tags: Pairs
    custom_domain: str | None = None
    certificate_arn: str | None = None

    def describe(self) -> str:
        extra = f" domain={self.custom_domain}" if self.custom_domain else ""
        extra += f" cert={self.certificate_arn}" if self.certificate_arn else ""
        return f"CreateService {self.name}{extra} tags={_tags(self.tags)}"


@dataclass(frozen=True, slots=True)
class UpdateService:
    service: Ref
    certificate_arn: str | None

    def describe(self) -> str:
        return f"UpdateService {self.service} certificateArn={self.certificate_arn or '(none)'}"


@dataclass(frozen=True, slots=True)
class DeleteService:
    service: Ref

    def describe(self) -> str:
        return f"DeleteService {self.service}"


@dataclass(frozen=True, slots=True)
class TagResource:
    resource: Ref
    tags: Pairs

    def describe(self) -> str:
        return f"TagResource {self.resource} {_tags(self.tags)}"


@dataclass(frozen=True, slots=True)
class UntagResource:
    resource: Ref
    keys: tuple[str, ...]

    def describe(self) -> str:
        return f"UntagResource {self.resource} {list(self.keys)}"


@dataclass(frozen=True, slots=True)
class CreateServiceNetworkServiceAssociation:
    service: Ref
    service_network_id: str
    tags: Pairs

    def describe(self) -> str:
        return f"CreateServiceNetworkServiceAssociation {self.service} -> {self.service_network_id}"


@dataclass(frozen=True, slots=True)
class DeleteServiceNetworkServiceAssociation:
    association: Ref

    def describe(self) -> str:
        return f"DeleteServiceNetworkServiceAssociation {self.association}"


@dataclass(frozen=True, slots=True)
class CreateListener:
    service: Ref
    name: str
    port: int
    protocol: str
    default_action: PlanAction
    tags: Pairs

    def describe(self) -> str:
        where = f"{self.protocol}:{self.port} on {self.service}"
        return f"CreateListener {self.name} {where} default={self.default_action}"


@dataclass(frozen=True, slots=True)
class UpdateListener:
    service: Ref
    listener: Ref
    default_action: PlanAction

    def describe(self) -> str:
        return f"UpdateListener {self.listener} default={self.default_action}"


@dataclass(frozen=True, slots=True)
class DeleteListener:
    service: Ref
    listener: Ref

    def describe(self) -> str:
        return f"DeleteListener {self.listener}"


@dataclass(frozen=True, slots=True)
class CreateRule:
    service: Ref
    listener: Ref
    name: str
    priority: int
    match: RuleMatch
    action: PlanAction
    tags: Pairs

    def describe(self) -> str:
        where = f"on {self.listener} priority={self.priority}"
        return f"CreateRule {self.name} {where} match=[{self.match}] {self.action}"


@dataclass(frozen=True, slots=True)
class UpdateRule:
    service: Ref
    listener: Ref
    rule: Ref
    match: RuleMatch
    action: PlanAction

    def describe(self) -> str:
        return f"UpdateRule {self.rule} match=[{self.match}] {self.action}"


@dataclass(frozen=True, slots=True)
class DeleteRule:
    service: Ref
    listener: Ref
    rule: Ref

    def describe(self) -> str:
        return f"DeleteRule {self.rule}"


@dataclass(frozen=True, slots=True)
class BatchUpdateRule:
    service: Ref
    listener: Ref
    priorities: tuple[tuple[Ref, int], ...]

    def describe(self) -> str:
        return f"BatchUpdateRule {self.listener} " + ", ".join(f"{r}->{p}" for r, p in self.priorities)


@dataclass(frozen=True, slots=True)
class CreateTargetGroup:
    name: str
    config: TargetGroupConfig
    health_check: HealthCheckSpec | None
    tags: Pairs

    def describe(self) -> str:
        c = self.config
        version = f"/{c.protocol_version}" if c.protocol_version else ""
        return (
            f"CreateTargetGroup {self.name} {c.type} {c.protocol}{version}:{c.port} {c.ip_address_type} "
            f"vpc={c.vpc} tags={_tags(self.tags)}"
        )


@dataclass(frozen=True, slots=True)
class UpdateTargetGroup:
    target_group: Ref
    health_check: HealthCheckSpec

    def describe(self) -> str:
        return f"UpdateTargetGroup {self.target_group} healthCheck={self.health_check}"


@dataclass(frozen=True, slots=True)
class RegisterTargets:
    target_group: Ref
    targets: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        return f"RegisterTargets {self.target_group} " + " ".join(f"{ip}:{port}" for ip, port in self.targets)


@dataclass(frozen=True, slots=True)
class DeregisterTargets:
    target_group: Ref
    targets: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        return f"DeregisterTargets {self.target_group} " + " ".join(
            f"{ip}:{port}" for ip, port in self.targets
        )


@dataclass(frozen=True, slots=True)
class DeleteTargetGroup:
    target_group: Ref

    def describe(self) -> str:
        return f"DeleteTargetGroup {self.target_group}"


Step = (
    CreateService
    | UpdateService
    | DeleteService
    | TagResource
    | UntagResource
    | CreateServiceNetworkServiceAssociation
    | DeleteServiceNetworkServiceAssociation
    | CreateListener
    | UpdateListener
    | DeleteListener
    | CreateRule
    | UpdateRule
    | DeleteRule
    | BatchUpdateRule
    | CreateTargetGroup
    | UpdateTargetGroup
    | RegisterTargets
    | DeregisterTargets
    | DeleteTargetGroup
)


@dataclass(frozen=True, slots=True)
class Plan:
    """An ordered list of AWS writes for one route, plus what stops it from being complete.

    ``conflict``: the Lattice service belongs to someone else (status ``Accepted=False/Conflicted``
    with this message); the plan then has no steps. ``waits``: resources in a transitional state
    (requeue ~10 s). ``missing``: things someone else must create first (a service network, an
    imported target group): requeue ~10 s, and the retry re-lists them instead of the cycle's listing.
    ``unresolved``: ServiceImport backends of weighted rules whose exported target group is missing
    (their share goes to the route's invalid-backends target group; status ``ResolvedRefs=False``).
    """

    steps: tuple[Step, ...] = ()
    conflict: str | None = None
    waits: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    external_missing: bool = False
    """Among ``unresolved``: an external target group (ServiceImport ``target-group-arn``) that does
    not exist (status reason ``ExternalTargetGroupNotFound``)."""

    @property
    def write_count(self) -> int:
        return len(self.steps)

    def __bool__(self) -> bool:
        return bool(self.steps)

    def describe(self) -> str:
        lines = [f"{i + 1:3d}. {step.describe()}" for i, step in enumerate(self.steps)]
        if self.conflict:
            lines.append(f"conflict: {self.conflict}")
        lines += [f"waiting: {w}" for w in self.waits]
        lines += [f"missing: {m}" for m in self.missing]
        return "\n".join(lines) if lines else "(no changes)"

    def __str__(self) -> str:
        return self.describe()
