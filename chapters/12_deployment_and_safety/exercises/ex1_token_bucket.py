"""Exercise 1 (7 points): a token bucket.

A server that lets each client make ``burst`` requests at once and ``rate``
per second after that keeps, per client, a bucket of tokens:

- it holds at most ``burst`` tokens and starts full;
- it refills continuously at ``rate`` tokens per second (fractions too), up to
  ``burst``: after ``dt`` seconds it holds ``min(burst, tokens + rate * dt)``;
- a request costing ``cost`` tokens goes ahead when the bucket holds at least
  ``cost`` (it takes them) and is refused otherwise (it takes nothing);
- a refused client is told how long to wait: ``(cost - tokens) / rate``
  seconds (0 when the tokens are there already).

Time is passed in explicitly (``now``, in seconds), so the bucket is
deterministic and testable. Clocks are not always kind: when ``now`` is
*earlier* than a time the bucket has already seen, nothing refills (and the
bucket must not refill that interval again once the clock catches up).

Write the class ``TokenBucket(rate, burst, now)`` with ``take(cost=1.0, now=...)``
(True if the request goes ahead) and ``retry_after(cost=1.0, now=...)`` (the
seconds to wait; it takes nothing). Refuse settings that make no bucket:
``rate <= 0`` or ``burst < 1`` raise ValueError.

Checked against ``minilm.serve.ratelimit.TokenBucket`` on schedules of
(time, cost) requests: a full bucket's burst (1 point), refilling at
fractional rates (2 points), costs and the cap at ``burst`` (1 point),
``retry_after`` (1 point), a clock that steps back (1 point), bad settings
(1 point).

    python -m minilm grade chapters/12_deployment_and_safety/exercises/ex1_token_bucket.py
"""


class TokenBucket:
    """At most ``burst`` tokens, refilled at ``rate`` per second; starts full at time ``now``."""

    def __init__(self, rate, burst, now=None):
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write TokenBucket.__init__")
        ### END YOUR SOLUTION

    def take(self, cost=1.0, now=None):
        """Take ``cost`` tokens at time ``now`` if the bucket holds them; whether it did."""
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write TokenBucket.take")
        ### END YOUR SOLUTION

    def retry_after(self, cost=1.0, now=None):
        """Seconds from ``now`` until ``cost`` tokens will be there (0.0 if they are)."""
        ### BEGIN YOUR SOLUTION
        raise NotImplementedError("write TokenBucket.retry_after")
        ### END YOUR SOLUTION
