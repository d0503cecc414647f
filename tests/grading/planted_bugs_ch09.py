"""Planted bugs in chapter 09's reference solutions (format: see planted_bugs.py)."""

BUGS = [
    (
        "ex1_bfloat16_rounding",
        "truncation instead of rounding",
        "(bits + np.uint32(0x7FFF) + keep) & np.uint32(0xFFFF0000)",
        "bits & np.uint32(0xFFFF0000)",
    ),
    (
        "ex1_bfloat16_rounding",
        "ties always round up (away from zero), not to even",
        "(bits + np.uint32(0x7FFF) + keep)",
        "(bits + np.uint32(0x8000))",
    ),
    (
        "ex1_bfloat16_rounding",
        "NaN not kept: a NaN can round to infinity",
        "return np.where(np.isnan(x), x, out)",
        "return out",
    ),
    (
        "ex1_bfloat16_rounding",
        "ties round down (toward zero), not to even",
        "keep = (bits >> 16) & 1",
        "keep = np.uint32(0)",
    ),
    (
        "ex2_loss_scaler",
        "multiplies by the scale instead of dividing",
        "g / g.dtype.type(scale)",
        "g * g.dtype.type(scale)",
    ),
    (
        "ex2_loss_scaler",
        "checks only for infinities, not NaN",
        "not np.isfinite(g).all()",
        "np.isinf(g).any()",
    ),
    (
        "ex2_loss_scaler",
        "the count is not restarted after an overflow",
        "return scale * backoff_factor, 0",
        "return scale * backoff_factor, good_steps",
    ),
    (
        "ex2_loss_scaler",
        "grows one step late (> instead of >=)",
        "if good_steps >= growth_interval:",
        "if good_steps > growth_interval:",
    ),
    (
        "ex2_loss_scaler",
        "the count is not restarted after growing",
        "return scale * growth_factor, 0",
        "return scale * growth_factor, good_steps",
    ),
    (
        "ex2_loss_scaler",
        "backs off by the growth factor",
        "return scale * backoff_factor, 0",
        "return scale / growth_factor, 0",
    ),
    (
        "ex3_ring_allreduce",
        "reduce-scatter sends chunk r + s instead of r - s",
        "part = _chunk(n, k, r - step)",
        "part = _chunk(n, k, r + step)",
    ),
    (
        "ex3_ring_allreduce",
        "reduce-scatter sends to the left neighbour",
        "out[(r + 1) % k][part] += buffers[r][part]",
        "out[(r - 1) % k][part] += buffers[r][part]",
    ),
    (
        "ex3_ring_allreduce",
        "all-gather adds instead of overwriting",
        "out[(r + 1) % k][part] = buffers[r][part]",
        "out[(r + 1) % k][part] += buffers[r][part]",
    ),
    (
        "ex3_ring_allreduce",
        "all-gather sends chunk r - s (the reduce-scatter's) instead of r + 1 - s",
        "part = _chunk(n, k, r + 1 - step)",
        "part = _chunk(n, k, r - step)",
    ),
    (
        "ex3_ring_allreduce",
        "chunks of n // K each, the remainder dropped",
        "return slice(n * i // k, n * (i + 1) // k)",
        "return slice(n // k * i, n // k * (i + 1))",
    ),
    (
        "ex4_gpipe_schedule",
        "interleaved micro-batches instead of consecutive ones",
        "(x[i * n : (i + 1) * n], y[i * n : (i + 1) * n])",
        "(x[i::n_micro], y[i::n_micro])",
    ),
    (
        "ex4_gpipe_schedule",
        "no error for a batch that does not split evenly",
        "    if len(x) % n_micro:\n        raise",
        "    if False:\n        raise",
    ),
    (
        "ex4_gpipe_schedule",
        "backward phase in forward order (the first stage starts it)",
        'schedule[2 * span - 1 - (s + m)].append((s, "B", m))',
        'schedule[span + s + m].append((s, "B", m))',
    ),
    (
        "ex4_gpipe_schedule",
        "backward phase starts with micro-batch 0 on the last stage",
        'schedule[2 * span - 1 - (s + m)].append((s, "B", m))',
        'schedule[span + (n_stages - 1 - s) + m].append((s, "B", m))',
    ),
    (
        "ex4_gpipe_schedule",
        "no micro-batch overlap: one micro-batch runs through all stages at a time",
        'schedule[s + m].append((s, "F", m))',
        'schedule[min(s + m * n_stages, 2 * span - 1)].append((s, "F", m))',
    ),
    (
        "ex4_gpipe_schedule",
        "bubble counted over one phase's ticks minus one",
        "return (n_stages - 1) / (n_micro + n_stages - 1)",
        "return (n_stages - 1) / (n_micro + n_stages - 2) if n_micro + n_stages > 2 else 0.0",
    ),
    (
        "ex5_int8_quantization",
        "one scale for the whole weight (per-tensor), not one per channel",
        "amax = np.abs(w).max(axis=others, keepdims=True)",
        "amax = np.abs(w).max(keepdims=True)",
    ),
    (
        "ex5_int8_quantization",
        "scale without keepdims",
        "amax = np.abs(w).max(axis=others, keepdims=True)",
        "amax = np.abs(w).max(axis=others)",
    ),
    (
        "ex5_int8_quantization",
        "the max taken along the channel axis instead of over the others",
        "amax = np.abs(w).max(axis=others, keepdims=True)",
        "amax = np.abs(w).max(axis=axis, keepdims=True)",
    ),
    (
        "ex5_int8_quantization",
        "ties rounded half away from zero, not to even",
        "np.rint(w / scale)",
        "np.sign(w) * np.floor(np.abs(w / scale) + 0.5)",
    ),
    (
        "ex5_int8_quantization",
        "truncated toward zero instead of rounded",
        "np.clip(np.rint(w / scale), -Q, Q).astype(np.int8)",
        "np.clip(w / scale, -Q, Q).astype(np.int8)",
    ),
    (
        "ex5_int8_quantization",
        "Q = 2**(bits-1) (128 overflows int8)",
        "Q = 2 ** (bits - 1) - 1",
        "Q = 2 ** (bits - 1)",
    ),
    (
        "ex5_int8_quantization",
        "an all-zero channel gets scale 0 (0 / 0)",
        "np.where(amax > 0, amax / np.float32(Q), np.float32(1.0))",
        "amax / np.float32(Q)",
    ),
    (
        "ex5_int8_quantization",
        "dequantize divides by the scale",
        "return q.astype(np.float32) * scale",
        "return q.astype(np.float32) / scale",
    ),
    (
        "ex5_int8_quantization",
        "negative axes not normalized (the scale reduces over the wrong axes)",
        "    axis = axis % w.ndim\n",
        "",
    ),
    (
        "ex6_magnitude_pruning",
        "per-layer: each array ranked on its own",
        """    flat = np.concatenate([np.abs(w).ravel() for w in weights])
    n = round(sparsity * flat.size)
    order = np.argsort(flat, kind="stable")
    keep = np.ones(flat.size, dtype=bool)
    keep[order[:n]] = False
    masks, start = [], 0
    for w in weights:
        masks.append(keep[start : start + w.size].reshape(w.shape))
        start += w.size
    return masks""",
        """    masks = []
    for w in weights:
        flat = np.abs(w).ravel()
        keep = np.ones(flat.size, dtype=bool)
        keep[np.argsort(flat, kind="stable")[: round(sparsity * flat.size)]] = False
        masks.append(keep.reshape(w.shape))
    return masks""",
    ),
    (
        "ex6_magnitude_pruning",
        "signed values ranked, not magnitudes",
        "np.abs(w).ravel()",
        "w.ravel()",
    ),
    (
        "ex6_magnitude_pruning",
        "the count truncated (int) instead of rounded",
        "n = round(sparsity * flat.size)",
        "n = int(sparsity * flat.size)",
    ),
    (
        "ex6_magnitude_pruning",
        "halves rounded up instead of to even",
        "n = round(sparsity * flat.size)",
        "n = int(sparsity * flat.size + 0.5)",
    ),
    (
        "ex6_magnitude_pruning",
        "sparsity taken as the fraction kept",
        "n = round(sparsity * flat.size)",
        "n = round((1 - sparsity) * flat.size)",
    ),
    (
        "ex6_magnitude_pruning",
        "ties pruned last-first (descending sort, reversed)",
        'order = np.argsort(flat, kind="stable")',
        'order = np.argsort(-flat, kind="stable")[::-1]',
    ),
    (
        "ex6_magnitude_pruning",
        "a threshold: everything <= the n-th smallest |w| pruned (too many on ties)",
        "keep[order[:n]] = False",
        "keep = flat > np.sort(flat)[n - 1] if n else keep",
    ),
    (
        "ex7_distillation_loss",
        "no T^2 on the soft term",
        "loss = alpha * T**2 * kl + (1 - alpha) * ce",
        "loss = alpha * kl + (1 - alpha) * ce",
    ),
    (
        "ex7_distillation_loss",
        "KL reversed: KL(q || p) instead of KL(p || q)",
        "kl = (p * (log_p - log_q)).sum(axis=1).mean()",
        "kl = (np.exp(log_q) * (log_q - log_p)).sum(axis=1).mean()",
    ),
    (
        "ex7_distillation_loss",
        "KL averaged over all N * V entries instead of summed over V",
        "kl = (p * (log_p - log_q)).sum(axis=1).mean()",
        "kl = (p * (log_p - log_q)).mean()",
    ),
    (
        "ex7_distillation_loss",
        "alpha weights the hard loss instead of the soft one",
        "loss = alpha * T**2 * kl + (1 - alpha) * ce",
        "loss = (1 - alpha) * T**2 * kl + alpha * ce",
    ),
    (
        "ex7_distillation_loss",
        "cross-entropy on the softened logits s / T",
        "log_r = _log_softmax(s)",
        "log_r = _log_softmax(s / T)",
    ),
    (
        "ex7_distillation_loss",
        "no max-subtraction: exp overflows on large logits",
        "    z = z - z.max(axis=1, keepdims=True)\n",
        "",
    ),
    (
        "ex7_distillation_loss",
        "log of the softmax instead of log-softmax: 0 * log 0 is NaN",
        "log_p = _log_softmax(teacher_logits / T)",
        "log_p = np.log(np.exp(_log_softmax(teacher_logits / T)))",
    ),
    (
        "ex7_distillation_loss",
        "gradient of the soft term without the chain rule's 1 / T",
        "dsoft = T * (np.exp(log_q) - p)",
        "dsoft = T**2 * (np.exp(log_q) - p)",
    ),
    (
        "ex7_distillation_loss",
        "gradient not divided by N",
        "grad = (alpha * dsoft + (1 - alpha) * dhard) / N",
        "grad = alpha * dsoft + (1 - alpha) * dhard",
    ),
    (
        "ex8_successive_halving",
        "n_keep rounded up (ceil) instead of down",
        "n_keep = max(1, len(configs) // eta)",
        "n_keep = max(1, -(-len(configs) // eta))",
    ),
    (
        "ex8_successive_halving",
        "no max(1, ...): fewer configs than eta keeps none",
        "n_keep = max(1, len(configs) // eta)",
        "n_keep = len(configs) // eta",
    ),
    (
        "ex8_successive_halving",
        "keeps the highest scores",
        "order = sorted(range(len(configs)), key=rank)",
        "order = sorted(range(len(configs)), key=rank, reverse=True)",
    ),
    (
        "ex8_successive_halving",
        "the kept configs returned in their original order, not by score",
        "return [configs[i] for i in order[:n_keep]]",
        "return [configs[i] for i in sorted(order[:n_keep])]",
    ),
    (
        "ex8_successive_halving",
        "NaN not handled: sorted by the raw scores",
        "return (math.isnan(scores[i]), 0.0 if math.isnan(scores[i]) else scores[i])",
        "return scores[i]",
    ),
    (
        "ex8_successive_halving",
        "NaN ranked first",
        "return (math.isnan(scores[i]),",
        "return (not math.isnan(scores[i]),",
    ),
    (
        "ex8_successive_halving",
        "rungs: the steps doubled instead of multiplied by eta",
        "rungs.append((max(1, k // eta), steps * eta))",
        "rungs.append((max(1, k // eta), steps * 2))",
    ),
    (
        "ex8_successive_halving",
        "rungs: stops when fewer than eta are left, not at one configuration",
        "while rungs[-1][0] > 1:",
        "while rungs[-1][0] >= eta:",
    ),
    (
        "ex8_successive_halving",
        "NaN counted as +inf (a NaN before a +inf is kept first)",
        "return (math.isnan(scores[i]), 0.0 if math.isnan(scores[i]) else scores[i])",
        'return float("inf") if math.isnan(scores[i]) else scores[i]',
    ),
]
