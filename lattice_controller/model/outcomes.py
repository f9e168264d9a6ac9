"""What a reconcile returns; only the worker maps these to workqueue calls.

* ``Success`` — forget the key's failure history.
* ``RequeueAfter`` — forget, then add the key again after ``seconds``.
* raising any exception — failure: the key is re-added with per-item backoff.
* ``Terminal`` — a permanent error: logged and counted, forgotten, not retried until the key changes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Success:
    pass


@dataclass(frozen=True, slots=True)
class RequeueAfter:
    seconds: float


@dataclass(frozen=True, slots=True)
class Terminal:
    reason: str


Outcome = Success | RequeueAfter | Terminal
