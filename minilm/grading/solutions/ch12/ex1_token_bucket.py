"""Reference solution: chapters/12_deployment_and_safety/exercises/ex1_token_bucket.py."""

import time


class TokenBucket:
    def __init__(self, rate, burst, now=None):
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, got {rate}, {burst}")
        self.rate, self.burst = float(rate), float(burst)
        self.tokens, self.last = self.burst, time.monotonic() if now is None else now

    def _refill(self, now):
        now = time.monotonic() if now is None else now
        if now > self.last:  # a clock that steps back refills nothing
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now

    def take(self, cost=1.0, now=None):
        self._refill(now)
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def retry_after(self, cost=1.0, now=None):
        self._refill(now)
        return max(0.0, (cost - self.tokens) / self.rate)
