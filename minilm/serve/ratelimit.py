"""Rate limiting by token bucket: each client may make ``burst`` requests at
once and ``rate`` per second after that.

A bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per second;
a request takes one, and a request that finds the bucket empty is refused
(HTTP 429) with the time until a token is back. The server keeps one bucket
per client key (the bearer token when there is one, else the client's address),
at most ``max_keys`` of them: the least recently seen is forgotten first, so a
flood of new addresses cannot grow memory without bound.

>>> bucket = TokenBucket(rate=1.0, burst=2, now=0.0)
>>> [bucket.take(now=0.0) for _ in range(3)]
[True, True, False]
>>> bucket.retry_after(now=0.0), bucket.take(now=1.0)
(1.0, True)
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

__all__ = ["TokenBucket", "RateLimiter"]


class TokenBucket:
    """``burst`` tokens at most, refilled at ``rate`` per second; starts full."""

    def __init__(self, rate: float, burst: float, now: float | None = None):
        if not rate > 0 or not burst >= 1:
            raise ValueError(f"TokenBucket needs rate > 0 and burst >= 1, got {rate}, {burst}")
        self.rate, self.burst = float(rate), float(burst)
        self.tokens = self.burst
        self.stamp = time.monotonic() if now is None else now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.stamp)  # a clock that steps back refills nothing
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.stamp = max(self.stamp, now)

    def take(self, cost: float = 1.0, now: float | None = None) -> bool:
        """Take ``cost`` tokens if the bucket holds them; whether it did."""
        self._refill(time.monotonic() if now is None else now)
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def retry_after(self, cost: float = 1.0, now: float | None = None) -> float:
        """Seconds until ``cost`` tokens will be there."""
        self._refill(time.monotonic() if now is None else now)
        return max(0.0, (cost - self.tokens) / self.rate)


class RateLimiter:
    """One :class:`TokenBucket` per key, for at most ``max_keys`` keys; thread-safe.

    >>> limiter = RateLimiter(rate=1.0, burst=1, max_keys=2)
    >>> limiter.check("a", now=0.0), limiter.check("a", now=0.0), limiter.check("b", now=0.0)
    (0.0, 1.0, 0.0)
    """

    def __init__(self, rate: float, burst: float, max_keys: int = 10_000):
        TokenBucket(rate, burst, now=0.0)  # checks the settings
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        """0.0 when ``key`` may go ahead (a token is taken), else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.pop(key, None) or TokenBucket(self.rate, self.burst, now)
            self._buckets[key] = bucket  # most recently seen last
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return 0.0 if bucket.take(now=now) else bucket.retry_after(now=now)

    def __len__(self) -> int:
        return len(self._buckets)
