"""Exercise 4 (5 points): one token bucket per client, in bounded memory.

The server keeps a token bucket per client key (the bearer token, else the
client's address). A stranger can invent keys without end (a new address per
request), so the limiter holds at most ``max_keys`` buckets: when a new key
would make one too many, the bucket of the key seen *least recently* is
forgotten (that client starts again with a full bucket if it comes back).
"Seen" means checked: every ``check`` makes its key the most recent.

Write the class ``RateLimiter(rate, burst, max_keys=10_000)`` with
``check(key, now)``: it finds the key's bucket, or makes a new full one at
time ``now``; it takes one token and returns ``0.0`` when the request may go
ahead, else the seconds to wait (the bucket's ``retry_after``); and
``len(limiter)``: the number of buckets held. Use minilm's token bucket (the
one of exercise 1): ``TokenBucket(rate, burst, now)``, ``take(now=...)``,
``retry_after(now=...)``, imported below. Hint: ``collections.OrderedDict``
keeps its keys in order and can move one to the end.

Checked against ``minilm.serve.ratelimit.RateLimiter``: keys limited
independently (2 points), at most ``max_keys`` buckets, the least recently
seen forgotten first (2 points), a checked key becoming the most recent
(1 point).

    python -m minilm grade chapters/12_deployment_and_safety/exercises/ex4_rate_limiter.py
"""

from collections import OrderedDict  # noqa: F401 - for your solution

from minilm.serve.ratelimit import TokenBucket  # noqa: F401 - one client's bucket


class RateLimiter:
    """One :class:`TokenBucket` per key, for at most ``max_keys`` keys."""

    def __init__(self, rate, burst, max_keys=10_000):
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write RateLimiter.__init__")
        ### END YOUR SOLUTION

    def check(self, key, now):
        """0.0 when ``key`` may go ahead at ``now`` (a token is taken), else the seconds to wait."""
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write RateLimiter.check")
        ### END YOUR SOLUTION

    def __len__(self):
        """The number of buckets held."""
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write RateLimiter.__len__")
        ### END YOUR SOLUTION
