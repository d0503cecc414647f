"""Reference solution: chapters/12_deployment_and_safety/exercises/ex4_rate_limiter.py."""

from collections import OrderedDict

from minilm.serve.ratelimit import TokenBucket


class RateLimiter:
    def __init__(self, rate, burst, max_keys=10_000):
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self.buckets = OrderedDict()

    def check(self, key, now):
        if key in self.buckets:
            self.buckets.move_to_end(key)
        else:
            self.buckets[key] = TokenBucket(self.rate, self.burst, now=now)
            if len(self.buckets) > self.max_keys:
                self.buckets.popitem(last=False)
        bucket = self.buckets[key]
        return 0.0 if bucket.take(now=now) else bucket.retry_after(now=now)

    def __len__(self):
        return len(self.buckets)
