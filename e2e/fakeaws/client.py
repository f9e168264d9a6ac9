"""`FakeAwsAdmin`: a small synchronous client of the fake's admin API (see `e2e.fakeaws.middleware`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class FakeAwsAdminError(RuntimeError):
    pass


class FakeAwsAdmin:
    """Talks to `<endpoint>/_fakeaws/…`. Operation keys look like "vpc-lattice:CreateService",
    "vpc-lattice:*" or "*" (every AWS call)."""

    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    # --- state -------------------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")  # type: ignore[no-any-return]

    def reset(
        self, *, state: bool = True, counters: bool = True, faults: bool = True, settings: bool = True
    ) -> None:
        """Everything back to start-up: AWS state (like /moto-api/reset), counters, faults, timings/quotas."""
        self._call(
            "POST", "reset", {"state": state, "counters": counters, "faults": faults, "settings": settings}
        )

    # --- counters ----------------------------------------------------------------------------------------

    def counters(self) -> dict[str, int]:
        """Calls received per operation key since the last reset, throttled and failed ones included."""
        return self._call("GET", "counters")  # type: ignore[no-any-return]

    def reset_counters(self) -> None:
        self._call("DELETE", "counters")

    # --- faults ------------------------------------------------------------------------------------------

    def faults(self) -> dict[str, Any]:
        """Configured rules plus {"injected": {"throttled": {key: n}, "errors": {key: n}}}."""
        return self._call("GET", "faults")  # type: ignore[no-any-return]

    def set_latency(
        self,
        seconds: float | None = None,
        *,
        operation: str = "*",
        low: float | None = None,
        high: float | None = None,
    ) -> None:
        """Fixed delay (`seconds`) or uniform random delay in [low, high] before the call is handled."""
        if seconds is not None:
            self._call("POST", "faults/latency", {"operation": operation, "seconds": seconds})
        elif low is not None and high is not None:
            self._call("POST", "faults/latency", {"operation": operation, "min": low, "max": high})
        else:
            raise ValueError("give seconds, or low and high")

    def set_throttle(self, operation: str, rate: float, burst: float = 1, status: int | None = None) -> None:
        """Token bucket: `burst` calls at once, refilled at `rate` per second; the rest get
        ThrottlingException with a Retry-After header: HTTP 429 for vpc-lattice (as in its model), 400
        elsewhere, unless `status` is given."""
        body: dict[str, Any] = {"operation": operation, "rate": rate, "burst": burst}
        if status is not None:
            body["status"] = status
        self._call("POST", "faults/throttle", body)

    def set_error_rate(
        self, rate: float, *, operation: str = "*", status: int = 500, seed: int | None = None
    ) -> None:
        """Fail a fraction `rate` (0..1) of calls with InternalServerException (status 500 by default)."""
        body: dict[str, Any] = {"operation": operation, "rate": rate, "status": status}
        if seed is not None:
            body["seed"] = seed
        self._call("POST", "faults/errors", body)

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    # --- timings and quotas ------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        return self._call("GET", "settings")  # type: ignore[no-any-return]

    def set_timings(
        self, *, draining_seconds: float | None = None, initial_seconds: float | None = None
    ) -> None:
        """How long deregistered targets stay DRAINING and new targets stay INITIAL."""
        changes = {
            k: v
            for k, v in {"draining_seconds": draining_seconds, "initial_seconds": initial_seconds}.items()
            if v is not None
        }
        self._call("POST", "settings", changes)

    def set_settings(self, **changes: Any) -> dict[str, Any]:
        """Any knob of `e2e.fakeaws.knobs.Knobs` (timings and quotas)."""
        return self._call("POST", "settings", changes)  # type: ignore[no-any-return]

    # --- target health ------------------------------------------------------------------------------

    def set_target_health(
        self,
        *,
        target_group: str | None = None,
        targets: list[str] | None = None,
        initial_seconds: float | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """What health checks report for a target group (id or ARN; None: every group) or some of its
        targets (``"ip:port"``): INITIAL for ``initial_seconds`` after registration, then ``status``
        (HEALTHY, UNHEALTHY, or INITIAL to hold them). Neither given: the rule is removed."""
        body: dict[str, Any] = {"status": status}
        if target_group is not None:
            body["target_group"] = target_group
        if targets is not None:
            body["targets"] = targets
        if initial_seconds is not None:
            body["initial_seconds"] = initial_seconds
        return self._call("POST", "target-health", body)  # type: ignore[no-any-return]

    def target_health_rules(self) -> list[dict[str, Any]]:
        return self._call("GET", "target-health")  # type: ignore[no-any-return]

    def clear_target_health(self) -> None:
        self._call("DELETE", "target-health")

    # --- sharing between accounts -----------------------------------------------------------------------

    def share_service_network(self, network_arn: str, with_account: str, *, listed: bool = True) -> None:
        """Share the network (owned by the account in its ARN) with `with_account`, as AWS RAM would:
        that account can Get it, associate VPCs and services with it by ARN or id, and lists it in
        ListServiceNetworks unless `listed` is False (then only its VPC association shows it)."""
        self._call(
            "POST", "share", {"network_arn": network_arn, "with_account": with_account, "listed": listed}
        )

    def unshare_service_network(self, network_arn: str, with_account: str) -> None:
        """Undo a share; refused (FakeAwsAdminError) while `with_account` has associations with it."""
        self._call("POST", "unshare", {"network_arn": network_arn, "with_account": with_account})

    # --- transport ---------------------------------------------------------------------------------------

    def _call(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.endpoint}/_fakeaws/{route}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise FakeAwsAdminError(
                f"{method} /_fakeaws/{route}: {error.code} {error.read().decode()}"
            ) from error


def as_account(client: Any, account: str) -> Any:
    """Make a boto3/aiobotocore client of the fake act as `account` (moto's `x-moto-account-id`
    header); returns the client."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign", add_header)
    return client


def counter_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The calls counted between two ``FakeAwsAdmin.counters()`` readings, by operation key."""
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
