"""The one rate limit of every door: a token bucket per asker."""
from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """`per_minute` requests per key, refilled evenly over the minute; a full bucket allows a short burst."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait_seconds(self, key: str) -> float:
        """Take one request from the key's bucket: 0 if allowed, else the seconds until one is free."""
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._forget_full(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """A full bucket is the same as none: drop them so that many one-off askers cost no memory."""
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.rate >= self.capacity:
                del self._buckets[key]
