"""The chaos suite at CI size: 32 random operations with one fault of every kind, then every invariant,
then one out-of-band change of every kind and every invariant again (about 4 minutes).

`CHAOS_SEED` replays a run (the seed is printed either way); `python -m e2e.chaos --ops 1000` is the
large run. See e2e/chaos/run.py.
"""

from __future__ import annotations

import os
import random

from e2e.chaos.run import run_chaos


def test_nothing_is_lost_under_faults() -> None:
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(2**31))
    print(f"\nchaos seed {seed} (replay: CHAOS_SEED={seed} or python -m e2e.chaos --seed {seed})")
    result = run_chaos(ops=32, seed=seed, fault_every=5, interval=0.5, settle=240.0)
    print(result.summary())
    assert sum(result.faults.values()) >= 6
    assert result.verdict.checks > 0
    assert not result.verdict.violations, result.summary()
