"""A tiny in-memory Lattice used by the diff tests: applies a Plan to an ObservedRouteState."""

from __future__ import annotations

from dataclasses import replace
from itertools import count

from lattice_controller.model.lattice import HealthCheckSpec
from lattice_controller.model.lattice_observed import (
    ObservedAction,
    ObservedAssociation,
    ObservedForward,
    ObservedListener,
    ObservedRouteState,
    ObservedRule,
    ObservedService,
    ObservedServiceNetwork,
    ObservedTarget,
    ObservedTargetGroup,
)
from lattice_controller.reconcile.diff import (
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
    TagResource,
    UntagResource,
    UpdateListener,
    UpdateRule,
    UpdateService,
    UpdateTargetGroup,
)

NETWORK = ObservedServiceNetwork(
    "sn-1", "arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/sn-1", "gw"
)
_ids = count(1)


def _new(kind: str) -> tuple[str, str]:
    n = next(_ids)
    ident = f"{kind}-{n:017d}"
    return ident, f"arn:aws:vpc-lattice:us-west-2:123456789012:{kind}/{ident}"


class FakeLattice:
    """Holds the state of one route's resources; ``apply`` runs a plan like the apply layer would."""

    def __init__(self, state: ObservedRouteState | None = None) -> None:
        self.state = state or ObservedRouteState(service_networks=(NETWORK,))
        self.pending: dict[Pending, tuple[str, str]] = {}

    def _id(self, ref: Ref) -> str:
        if isinstance(ref, Pending):
            return self.pending[ref][0]
        for tg in self.state.target_groups:
            if ref in (tg.arn, tg.id):
                return tg.id
        return ref.rsplit("/", 1)[-1]

    def _arn(self, ref: Ref) -> str:
        return self.pending[ref][1] if isinstance(ref, Pending) else ref

    def _action(self, action: PlanAction) -> ObservedAction:
        if action.fixed_status is not None:
            return ObservedAction(fixed_status=action.fixed_status)
        return ObservedAction(tuple(ObservedForward(self._id(r), w) for r, w in action.forward))

    def _retag(self, arn: str, add: dict[str, str], remove: tuple[str, ...] = ()) -> None:
        def fix(tags: tuple[tuple[str, str], ...] | None) -> tuple[tuple[str, str], ...]:
            d = {k: v for k, v in (tags or ()) if k not in remove}
            d.update(add)
            return tuple(sorted(d.items()))

        s = self.state
        service = s.service
        if service is not None and service.arn == arn:
            service = replace(service, tags=fix(service.tags))
        listeners = tuple(
            replace(
                lst,
                tags=fix(lst.tags) if lst.arn == arn else lst.tags,
                rules=tuple(replace(r, tags=fix(r.tags)) if r.arn == arn else r for r in lst.rules),
            )
            for lst in s.listeners
        )
        self.state = replace(
            s,
            service=service,
            listeners=listeners,
            associations=tuple(replace(a, tags=fix(a.tags)) if a.arn == arn else a for a in s.associations),
            target_groups=tuple(replace(t, tags=fix(t.tags)) if t.arn == arn else t for t in s.target_groups),
        )

    def apply(self, plan: Plan) -> None:
        for step in plan.steps:
            s = self.state
            if isinstance(step, CreateService):
                ident, arn = _new("service")
                self.pending[Pending("service", step.name)] = (ident, arn)
                self.state = replace(
                    s,
                    service=ObservedService(
                        ident, arn, step.name, certificate_arn=step.certificate_arn, tags=step.tags
                    ),
                )
            elif isinstance(step, UpdateService):
                assert s.service is not None
                self.state = replace(s, service=replace(s.service, certificate_arn=step.certificate_arn))
            elif isinstance(step, DeleteService):
                self.state = replace(s, service=None)
            elif isinstance(step, TagResource):
                self._retag(self._arn(step.resource), dict(step.tags))
            elif isinstance(step, UntagResource):
                self._retag(self._arn(step.resource), {}, step.keys)
            elif isinstance(step, CreateServiceNetworkServiceAssociation):
                ident, arn = _new("snsa")
                network = next(n for n in s.service_networks if n.id == step.service_network_id)
                assoc = ObservedAssociation(ident, arn, network.id, network.name, tags=step.tags)
                self.state = replace(s, associations=(*s.associations, assoc))
            elif isinstance(step, DeleteServiceNetworkServiceAssociation):
                self.state = replace(
                    s, associations=tuple(a for a in s.associations if a.arn != step.association)
                )
            elif isinstance(step, CreateListener):
                ident, arn = _new("listener")
                self.pending[Pending("listener", step.name)] = (ident, arn)
                listener = ObservedListener(
                    ident,
                    arn,
                    step.name,
                    step.port,
                    step.protocol,
                    self._action(step.default_action),
                    (),
                    step.tags,
                )
                self.state = replace(s, listeners=(*s.listeners, listener))
            elif isinstance(step, UpdateListener):
                arn = self._arn(step.listener)
                self.state = replace(
                    s,
                    listeners=tuple(
                        replace(x, default_action=self._action(step.default_action)) if x.arn == arn else x
                        for x in s.listeners
                    ),
                )
            elif isinstance(step, DeleteListener):
                self.state = replace(s, listeners=tuple(x for x in s.listeners if x.arn != step.listener))
            elif isinstance(step, CreateRule):
                ident, arn = _new("rule")
                larn = self._arn(step.listener)
                rule = ObservedRule(
                    ident,
                    arn,
                    step.name,
                    step.priority,
                    step.match,
                    self._action(step.action),
                    tags=step.tags,
                )
                self._rules(larn, lambda rules, rule=rule: (*rules, rule))  # type: ignore[misc]
            elif isinstance(step, UpdateRule):
                action = self._action(step.action)
                self._rules(
                    self._arn(step.listener),
                    lambda rules, a=action, r=step.rule: tuple(  # type: ignore[misc]
                        replace(x, action=a) if x.arn == r else x for x in rules
                    ),
                )
            elif isinstance(step, DeleteRule):
                self._rules(
                    self._arn(step.listener), lambda rules, r=step.rule: tuple(x for x in rules if x.arn != r)
                )  # type: ignore[misc]
            elif isinstance(step, BatchUpdateRule):
                new = {self._arn(r): p for r, p in step.priorities}
                self._rules(
                    self._arn(step.listener),
                    lambda rules, n=new: tuple(  # type: ignore[misc]
                        replace(x, priority=n.get(x.arn, x.priority)) for x in rules
                    ),
                )
            elif isinstance(step, CreateTargetGroup):
                ident, arn = _new("tg")
                self.pending[Pending("target_group", step.name)] = (ident, arn)
                hc = (step.health_check or HealthCheckSpec()).with_defaults(
                    step.config.protocol, step.config.protocol_version
                )
                tg = ObservedTargetGroup(ident, arn, step.name, step.config, "ACTIVE", hc, (), step.tags)
                self.state = replace(s, target_groups=(*s.target_groups, tg))
            elif isinstance(step, UpdateTargetGroup):
                arn = self._arn(step.target_group)
                self.state = replace(
                    s,
                    target_groups=tuple(
                        replace(t, health_check=step.health_check) if t.arn == arn else t
                        for t in s.target_groups
                    ),
                )
            elif isinstance(step, RegisterTargets | DeregisterTargets):
                assert len(step.targets) <= 100
                tid = self._id(step.target_group)
                pairs = set(step.targets)
                register = isinstance(step, RegisterTargets)

                def change(
                    tg: ObservedTargetGroup, pairs: set[tuple[str, int]] = pairs, register: bool = register
                ) -> ObservedTargetGroup:
                    kept = tuple(t for t in tg.targets if (t.ip, t.port) not in pairs)
                    added = tuple(ObservedTarget(ip, port) for ip, port in sorted(pairs)) if register else ()
                    return replace(tg, targets=kept + added)

                self.state = replace(
                    s, target_groups=tuple(change(t) if t.id == tid else t for t in s.target_groups)
                )
            elif isinstance(step, DeleteTargetGroup):
                self.state = replace(
                    s, target_groups=tuple(t for t in s.target_groups if t.arn != step.target_group)
                )
            else:  # pragma: no cover
                raise AssertionError(step)
        self._refresh_service_arns()

    def _rules(self, listener_arn: str, change):  # type: ignore[no-untyped-def]
        s = self.state
        self.state = replace(
            s,
            listeners=tuple(
                replace(x, rules=change(x.rules)) if x.arn == listener_arn else x for x in s.listeners
            ),
        )

    def _refresh_service_arns(self) -> None:
        s = self.state
        used: set[str] = set()
        for listener in s.listeners:
            for action in [listener.default_action, *(r.action for r in listener.rules)]:
                if action is not None:
                    used |= {f.target_group_id for f in action.forward}
        service_arn = s.service.arn if s.service else None
        self.state = replace(
            s,
            target_groups=tuple(
                replace(t, service_arns=(service_arn,) if service_arn and t.id in used else ())
                for t in s.target_groups
            ),
        )


def test_fake_lattice_starts_with_the_gateway_network() -> None:
    assert FakeLattice().state.service_networks == (NETWORK,)
