"""The health-check knob: how long targets stay INITIAL, and what their health checks say after that,
per target group, per target or for every target group.

Lattice health-checks a registered target and reports INITIAL until the first checks pass, then HEALTHY
(or UNHEALTHY while they fail). The fake has no data plane, so a rule says what the checks find:

* ``initial_seconds``: how long a target stays INITIAL after registration (default: the
  ``initial_seconds`` setting, 1 s);
* ``status``: what its checks report once that time is over — ``HEALTHY`` (the default), ``UNHEALTHY``
  (checks fail; reasonCode ``Target.FailedHealthChecks``) or ``INITIAL`` (held there until changed).

A rule applies to one target group (id or ARN) or to all (``"*"``), and to some targets (``"ip:port"``)
or all; the most specific rule wins: (group, target), (group, all), (all, target), (all, all). DRAINING,
UNUSED and UNAVAILABLE (health checks off) come first, as in Lattice. Rules are process-global (target
group ids are unique) and cleared by ``POST /_fakeaws/reset`` with ``settings`` (the default).

Admin API: ``GET|POST|DELETE /_fakeaws/target-health``; POST body ``{"target_group"?: id|arn,
"targets"?: ["10.0.0.1:8080", ...], "initial_seconds"?: s, "status"?: "HEALTHY"|"UNHEALTHY"|"INITIAL"|null}``
(``status`` null and no ``initial_seconds``: the rule is removed).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

ANY = "*"
STATUSES = ("HEALTHY", "UNHEALTHY", "INITIAL")


@dataclass(frozen=True, slots=True)
class HealthRule:
    initial_seconds: float | None = None
    status: str | None = None


_lock = threading.Lock()
_rules: dict[tuple[str, str], HealthRule] = {}


def _group_id(identifier: str) -> str:
    """A target group id from its id or ARN (``arn:...:targetgroup/tg-...``)."""
    return identifier.rsplit("/", 1)[-1] if identifier else ANY


def set_rule(body: dict[str, Any]) -> list[dict[str, Any]]:
    group = _group_id(str(body.get("target_group") or ANY))
    targets = body.get("targets") or [ANY]
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise ValueError('targets must be a list of "ip:port" strings')
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {list(STATUSES)} or null, not {status!r}")
    initial = body.get("initial_seconds")
    if initial is not None and float(initial) < 0:
        raise ValueError("initial_seconds must be >= 0")
    rule = HealthRule(None if initial is None else float(initial), status)
    with _lock:
        for target in targets:
            if rule == HealthRule():
                _rules.pop((group, target), None)
            else:
                _rules[(group, target)] = rule
    return describe()


def clear() -> None:
    with _lock:
        _rules.clear()


def describe() -> list[dict[str, Any]]:
    with _lock:
        return [
            {"target_group": g, "target": t, "initial_seconds": r.initial_seconds, "status": r.status}
            for (g, t), r in sorted(_rules.items())
        ]


def rule_for(target_group_id: str, ip: str, port: int) -> HealthRule | None:
    target = f"{ip}:{port}"
    with _lock:
        for key in ((target_group_id, target), (target_group_id, ANY), (ANY, target), (ANY, ANY)):
            rule = _rules.get(key)
            if rule is not None:
                return rule
    return None
