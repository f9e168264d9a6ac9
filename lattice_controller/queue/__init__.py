"""Workqueue with client-go semantics: dirty/processing sets, delaying queue, rate limiters, priorities.

Must never know what a key means or call a reconciler.
"""

from lattice_controller.queue.metrics import NoQueueMetrics, QueueMetrics
from lattice_controller.queue.ratelimit import (
    BucketRateLimiter,
    ItemExponentialRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    default_controller_rate_limiter,
)
from lattice_controller.queue.ratelimited import RateLimitingQueue
from lattice_controller.queue.workqueue import Priority, WorkQueue

__all__ = [
    "BucketRateLimiter",
    "ItemExponentialRateLimiter",
    "MaxOfRateLimiter",
    "NoQueueMetrics",
    "Priority",
    "QueueMetrics",
    "RateLimiter",
    "RateLimitingQueue",
    "WorkQueue",
    "default_controller_rate_limiter",
]
