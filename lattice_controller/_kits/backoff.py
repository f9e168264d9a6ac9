"""Jittered exponential backoff, e.g. for informers re-listing after errors (0.8 s doubling to 30 s).

``next_delay()`` returns ``base * (1 + jitter * r)`` with ``r`` from the injectable ``random`` in [0, 1),
where ``base`` starts at ``initial`` and doubles (``factor``) after each call until it reaches ``cap``. The
result may therefore exceed ``cap`` by at most the jitter fraction, as in client-go's reflector. ``reset()``
starts over, which callers do after a period without failures.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    initial: float = 0.8
    cap: float = 30.0
    factor: float = 2.0
    jitter: float = 1.0
    random: Callable[[], float] = field(default=_random.random, repr=False)
    _base: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.cap < self.initial or self.factor < 1 or self.jitter < 0:
            raise ValueError("backoff needs 0 < initial <= cap, factor >= 1 and jitter >= 0")
        self._base = self.initial

    def next_delay(self) -> float:
        delay = self._base * (1.0 + self.jitter * self.random())
        self._base = min(self.cap, self._base * self.factor)
        return delay

    def reset(self) -> None:
        self._base = self.initial
