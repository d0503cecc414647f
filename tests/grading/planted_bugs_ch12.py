"""Planted bugs in chapter 12's reference solutions (format: see planted_bugs.py)."""

BUGS = [
    ("ex1_token_bucket", "no cap: an idle bucket saves up more than burst",
     "self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)",
     "self.tokens = self.tokens + (now - self.last) * self.rate"),
    ("ex1_token_bucket", "a clock that steps back drains the bucket",
     "if now > self.last:  # a clock that steps back refills nothing",
     "if True:"),
    ("ex1_token_bucket", "a step back moves the stamp back: the interval refills twice",
     "        if now > self.last:  # a clock that steps back refills nothing\n"
     "            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)\n"
     "            self.last = now",
     "        if now > self.last:  # a clock that steps back refills nothing\n"
     "            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)\n"
     "        self.last = now"),
    ("ex1_token_bucket", "strict comparison: the last token is never taken",
     "if self.tokens >= cost:", "if self.tokens > cost:"),
    ("ex1_token_bucket", "a refused request still takes its tokens",
     "        if self.tokens >= cost:\n            self.tokens -= cost\n            return True",
     "        self.tokens -= cost\n        if self.tokens >= 0:\n            return True"),
    ("ex1_token_bucket", "retry_after in tokens, not seconds",
     "return max(0.0, (cost - self.tokens) / self.rate)", "return max(0.0, cost - self.tokens)"),
    ("ex1_token_bucket", "the bucket starts empty",
     "self.tokens, self.last = self.burst,", "self.tokens, self.last = 0.0,"),
    ("ex1_token_bucket", "bad settings accepted",
     "if rate <= 0 or burst < 1:", "if rate < 0:"),
    ("ex2_batch_step", "admitted last come first served",
     "seq = waiting.popleft()", "seq = waiting.pop()"),
    ("ex2_batch_step", "max_batch counts only the new ones, not those running",
     "while waiting and len(still) + len(new) < max_batch:",
     "while waiting and len(new) < max_batch:"),
    ("ex2_batch_step", "the sequences admitted this step are decoded again in the same step",
     "    if still:\n", "    still = still + new\n    new = []\n    if still:\n"),
    ("ex2_batch_step", "one many call per sequence instead of one per step",
     "        rows, states = many([[seq.generated[-1]] for seq in still], "
     "[seq.state for seq in still])\n"
     "        for seq, row, state in zip(still, rows, states):",
     "        for seq in still:\n"
     "            (row,), (state,) = many([[seq.generated[-1]]], [seq.state])"),
    ("ex2_batch_step", "a cancelled waiting sequence is prefilled anyway",
     "        if seq.cancelled:\n            seq.finish_reason = \"cancelled\"\n"
     "            continue\n",
     ""),
    ("ex2_batch_step", "cancelled running sequences keep running",
     "        if seq.cancelled:\n            seq.finish_reason = \"cancelled\"\n        else:\n"
     "            still.append(seq)",
     "        still.append(seq)"),
    ("ex2_batch_step", "finished sequences are returned as still running",
     "return [seq for seq in still + new if seq.finish_reason is None]",
     "return still + new"),
    ("ex2_batch_step", "the state from many is dropped (the cache never grows)",
     "            seq.state = state\n", ""),
    ("ex3_prompt_perplexity", "the mean of the prompts' perplexities, not a ratio of sums",
     "return math.exp(sum(n for n, _ in self.recent) / tokens)",
     "return sum(math.exp(n / t) for n, t in self.recent) / len(self.recent)"),
    ("ex3_prompt_perplexity", "no window: every prompt ever seen counts",
     "self.recent = deque(maxlen=window)", "self.recent = deque()"),
    ("ex3_prompt_perplexity", "prompts with no predicted token counted in the window",
     "if tokens > 0:", "if tokens >= 0:"),
    ("ex3_prompt_perplexity", "nats per token instead of the perplexity",
     "return math.exp(sum(n for n, _ in self.recent) / tokens)",
     "return sum(n for n, _ in self.recent) / tokens"),
    ("ex4_rate_limiter", "one bucket for everyone",
     "        if key in self.buckets:", "        key = \"all\"\n        if key in self.buckets:"),
    ("ex4_rate_limiter", "no bound: the buckets grow with every new key",
     "            if len(self.buckets) > self.max_keys:\n"
     "                self.buckets.popitem(last=False)\n",
     ""),
    ("ex4_rate_limiter", "the most recent key forgotten instead of the least recent",
     "self.buckets.popitem(last=False)", "self.buckets.popitem(last=True)"),
    ("ex4_rate_limiter", "a checked key is not moved to the end (first come, first forgotten)",
     "            self.buckets.move_to_end(key)\n", "            pass\n"),
]  # fmt: skip
