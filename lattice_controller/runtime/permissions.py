"""The start-up permission check: what RBAC refuses the controller, said once on one line and on /readyz.

Without a permission it needs, a reflector gets 403 after 403 and the caches never sync, so the controller
would wait silently. This check asks up front (``review``: one SelfSubjectAccessReview per permission),
logs one line naming what is missing and the manifest that grants it, and makes ``readiness`` fail with
that reason. While something required is missing it asks again every ``interval`` seconds and says so
once when it is granted (the caches then sync on their own). Optional permissions (a kind the current
settings do not need) are reported once and never block: the caller simply does not watch that kind.

If the API server cannot be asked, the check logs why and stays out of the way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog

from lattice_controller._kits.clock import Clock, RealClock
from lattice_controller.kube.access import Access, describe
from lattice_controller.kube.errors import KubeError

Review = Callable[[Sequence[Access]], Awaitable[list[Access]]]
"""Returns the members of its argument that are denied."""

GRANTED_BY = "manifests/rbac.yaml"


class PermissionCheck:
    def __init__(
        self,
        review: Review,
        required: Sequence[Access],
        optional: Sequence[Access] = (),
        *,
        optional_note: str = "",
        hints: Mapping[tuple[str, str], str] | None = None,
        granted_by: str = GRANTED_BY,
        interval: float = 10.0,
        clock: Clock | None = None,
        logger: Any = None,
    ) -> None:
        self._review = review
        self.required = tuple(required)
        self.optional = tuple(optional)
        self._optional_note = optional_note
        self._hints = dict(hints or {})
        self._granted_by = granted_by
        self._interval = interval
        self._clock = clock if clock is not None else RealClock()
        self._log = logger if logger is not None else structlog.get_logger("lattice_controller.permissions")
        self.missing: tuple[Access, ...] = ()
        self.missing_optional: tuple[Access, ...] = ()

    @property
    def reason(self) -> str:
        """Why the controller cannot work, or "" when nothing required is missing."""
        if not self.missing:
            return ""
        hints = dict.fromkeys(
            self._hints[(a.group, a.resource)] for a in self.missing if (a.group, a.resource) in self._hints
        )
        also = "".join(f" ({hint})" for hint in hints)
        return f"missing permissions: {describe(self.missing)}; {self._granted_by} grants them{also}"

    def readiness(self) -> bool | str:
        return self.reason or True

    async def check(self) -> None:
        """Ask once; log a change of what is missing (one line)."""
        try:
            refused = set(await self._review((*self.required, *self.optional)))
        except KubeError as exc:
            self._log.warning("could not check permissions; carrying on without the check", error=str(exc))
            return
        before, before_optional = self.missing, self.missing_optional
        self.missing = tuple(a for a in self.required if a in refused)
        self.missing_optional = tuple(a for a in self.optional if a in refused)
        if self.missing and self.missing != before:
            self._log.error(
                f"{self.reason}; not ready until they are granted",
                missing=[f"{a.verb} {a.target}" for a in self.missing],
                granted_by=self._granted_by,
            )
        elif before and not self.missing:
            self._log.info("missing permissions granted", granted_by=self._granted_by)
        if self.missing_optional and self.missing_optional != before_optional:
            note = f" ({self._optional_note})" if self._optional_note else ""
            self._log.warning(
                f"optional permissions missing: {describe(self.missing_optional)}; "
                f"not using them{note}; {self._granted_by} grants them",
                missing=[f"{a.verb} {a.target}" for a in self.missing_optional],
                granted_by=self._granted_by,
            )

    async def watch(self) -> None:
        """Ask again every ``interval`` seconds while something required is missing; then return."""
        while self.missing:
            await self._clock.sleep(self._interval)
            await self.check()
