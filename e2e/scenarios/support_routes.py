"""Transitional alias of `e2e.scenarios.support`, the one support module of the scenarios: kept only
for scenario tests written against the old module names, with the AWS-call quiet-wait they used.
Import from `e2e.scenarios.support` and wait with `ControllerProcess.wait_quiet`; delete this module
once no test imports it.
"""

import time as _time

from e2e.fakeaws.fixtures import FakeAws as _FakeAws
from e2e.scenarios.support import *  # noqa: F403


def wait_quiet(fake: _FakeAws, quiet_seconds: float = 2.0, timeout: float = 60.0) -> None:
    """Transitional, for tests written before ``ControllerProcess.wait_quiet`` (the one quiet-wait,
    by the controller's reconcile counters): waits until no AWS call arrives for ``quiet_seconds``."""
    deadline = _time.monotonic() + timeout
    last, since = fake.admin.counters(), _time.monotonic()
    while _time.monotonic() < deadline:
        _time.sleep(0.5)
        now = fake.admin.counters()
        if now != last:
            last, since = now, _time.monotonic()
        elif _time.monotonic() - since >= quiet_seconds:
            return
    raise AssertionError(f"AWS calls did not settle within {timeout:.0f} s: {last}")
