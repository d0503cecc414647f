"""Privacy accounting for DP-SGD: Renyi DP of the Poisson-subsampled Gaussian mechanism.

A randomized training algorithm M is (epsilon, delta)-differentially private when, for any two
datasets D, D' that differ in one example and any set S of outcomes,
P[M(D) in S] <= e^epsilon P[M(D') in S] + delta: one person's data changes the odds of anything
by at most a factor e^epsilon, except with probability delta.

Composing (epsilon, delta) guarantees over thousands of steps directly is loose. Renyi DP
(Mironov 2017) measures a mechanism by the Renyi divergence D_alpha(M(D) || M(D')) at each order
alpha > 1; RDP of a sequence of mechanisms is simply the sum of their RDPs at each order. So the
accountant computes one step's RDP (Mironov, Talwar, Zhang 2019, "Renyi Differential Privacy of
the Sampled Gaussian Mechanism"), multiplies by the number of steps, and converts to epsilon at
the requested delta with the bound of Balle et al. 2020 (Theorem 21, the one Opacus uses), taking
the best order. It answers: "after `steps` DP-SGD steps with noise multiplier sigma and sampling
rate q, what epsilon do we have at delta?" and its inverse, "what sigma gives epsilon?".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

DEFAULT_ORDERS: list[float] = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))


def _log_add(a: float, b: float) -> float:
    """log(e^a + e^b) without overflow."""
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    hi, lo = max(a, b), min(a, b)
    return hi + math.log1p(math.exp(lo - hi))


def _log_sub(a: float, b: float) -> float:
    """log(e^a - e^b) for a >= b."""
    if b == -math.inf:
        return a
    if b >= a:
        return -math.inf if b == a else math.nan
    return a + math.log1p(-math.exp(b - a))


def _log_erfc(x: float) -> float:
    """log(erfc(x)), using the asymptotic series where erfc underflows."""
    if x < 20.0:
        return math.log(math.erfc(x))
    x2 = x * x
    series = 1.0 - 1.0 / (2 * x2) + 3.0 / (4 * x2**2) - 15.0 / (8 * x2**3)
    return -x2 - math.log(x * math.sqrt(math.pi)) + math.log(series)


def _log_a_int(q: float, sigma: float, alpha: int) -> float:
    """log A_alpha for integer alpha: the finite binomial expansion (MTZ 2019, Sec. 3.3)."""
    log_a = -math.inf
    for k in range(alpha + 1):
        log_term = (
            math.lgamma(alpha + 1)
            - math.lgamma(k + 1)
            - math.lgamma(alpha - k + 1)
            + (alpha - k) * math.log1p(-q)
            + k * math.log(q)
            + (k * k - k) / (2 * sigma**2)
        )
        log_a = _log_add(log_a, log_term)
    return log_a


def _log_a_frac(q: float, sigma: float, alpha: float) -> float:
    """log A_alpha for fractional alpha: split the integral at z0 where (1-q) mu0 = q mu1 and
    expand each side in the binomial series that converges there (MTZ 2019, Sec. 3.3).

    For z <= z0 the k-th term is C(alpha,k) (1-q)^(alpha-k) q^k e^((k^2-k)/(2 s^2)) Phi((z0-k)/s),
    for z > z0 it is the same with q and 1-q swapped, k -> alpha-k, and the upper tail
    P[N(alpha-k, s^2) > z0]. C(alpha,k) changes sign once k > alpha, so terms are summed with
    their signs in log space, until both terms are negligible against the running sum."""
    z0 = 0.5 + sigma**2 * math.log(1 / q - 1)
    pos0, neg0, pos1, neg1 = -math.inf, -math.inf, -math.inf, -math.inf
    log_c, sign = 0.0, 1.0  # log|C(alpha, k)| and its sign, updated by the ratio (alpha-k+1)/k
    root2s = math.sqrt(2) * sigma
    for k in range(100_000):
        if k > 0:
            ratio = (alpha - k + 1) / k
            log_c += math.log(abs(ratio))
            sign *= 1.0 if ratio > 0 else -1.0
        m = alpha - k
        t0 = (
            log_c
            + m * math.log1p(-q)
            + k * math.log(q)
            + (k * k - k) / (2 * sigma**2)
            + math.log(0.5)
            + _log_erfc((k - z0) / root2s)
        )
        t1 = (
            log_c
            + m * math.log(q)
            + k * math.log1p(-q)
            + (m * m - m) / (2 * sigma**2)
            + math.log(0.5)
            + _log_erfc((z0 - m) / root2s)
        )
        if sign > 0:
            pos0, pos1 = _log_add(pos0, t0), _log_add(pos1, t1)
        else:
            neg0, neg1 = _log_add(neg0, t0), _log_add(neg1, t1)
        total = _log_add(pos0, pos1)
        if k > alpha and max(t0, t1) < total - 30:  # the rest adds ~1e-11 relative at most
            break
    else:
        raise ArithmeticError(f"RDP series did not converge for alpha={alpha}, sigma={sigma}")
    return _log_add(_log_sub(pos0, neg0), _log_sub(pos1, neg1))


def _check(noise_multiplier: float, sample_rate: float) -> None:
    if not (noise_multiplier >= 0 and math.isfinite(noise_multiplier)):
        raise ValueError(f"noise_multiplier must be a finite number >= 0, got {noise_multiplier}")
    if not 0 <= sample_rate <= 1:
        raise ValueError(f"sample_rate must be in [0, 1], got {sample_rate}")


def _orders(orders: Sequence[float] | float) -> np.ndarray:
    orders = np.atleast_1d(np.asarray(orders, dtype=np.float64))
    if orders.ndim != 1 or orders.size == 0 or not np.all(orders > 1) or np.isinf(orders).any():
        raise ValueError(f"orders must be a non-empty list of finite numbers > 1, got {orders}")
    return orders


def rdp_sampled_gaussian(
    noise_multiplier: float, sample_rate: float, orders: Sequence[float] | float
) -> np.ndarray:
    """RDP epsilon(alpha) of one step of the Poisson-subsampled Gaussian mechanism with
    sensitivity 1, noise std `noise_multiplier` and sampling rate `sample_rate`, at each order.
    Remembered for the last few settings: training asks for the same one every step."""
    _check(noise_multiplier, sample_rate)
    orders = _orders(orders)
    rdp = _one_step(float(noise_multiplier), float(sample_rate), tuple(orders.tolist()))
    return np.array(rdp)


@functools.lru_cache(maxsize=64)
def _one_step(sigma: float, q: float, orders: tuple) -> tuple:
    if q == 0:
        return (0.0,) * len(orders)
    if sigma == 0:
        return (math.inf,) * len(orders)
    if q == 1:
        return tuple(alpha / (2 * sigma**2) for alpha in orders)
    out = []
    for alpha in orders:
        if alpha.is_integer():
            log_a = _log_a_int(q, sigma, int(alpha))
        else:
            log_a = _log_a_frac(q, sigma, alpha)
        out.append(log_a / (alpha - 1))
    return tuple(out)


def rdp_to_epsilon(
    rdp: Sequence[float] | float, orders: Sequence[float] | float, delta: float
) -> tuple[float, float]:
    """(epsilon, best order) at `delta` from RDP values at `orders`, by Balle et al. 2020,
    Theorem 21: eps = rdp - (log delta + log alpha)/(alpha - 1) + log((alpha - 1)/alpha),
    minimized over alpha (clipped at 0). Returns (inf, nan) if every order has infinite RDP."""
    orders = _orders(orders)
    rdp = np.atleast_1d(np.asarray(rdp, dtype=np.float64))
    if rdp.shape != orders.shape:
        raise ValueError(f"rdp and orders must have the same length, got {rdp.size} and "
                         f"{orders.size}")  # fmt: skip
    if np.isnan(rdp).any() or (rdp < 0).any():
        raise ValueError("rdp values must be >= 0 (and not NaN)")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    eps = rdp - (math.log(delta) + np.log(orders)) / (orders - 1) + np.log((orders - 1) / orders)
    if np.isinf(eps).all():
        return math.inf, math.nan
    i = int(np.argmin(eps))
    return max(float(eps[i]), 0.0), float(orders[i])


def rdp_epsilon(
    noise_multiplier: float,
    sample_rate: float,
    steps: int,
    delta: float,
    orders: Sequence[float] = DEFAULT_ORDERS,
) -> float:
    """Epsilon at `delta` after `steps` DP-SGD steps (RDP adds up over steps)."""
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps}")
    rdp = rdp_sampled_gaussian(noise_multiplier, sample_rate, orders) * steps
    return rdp_to_epsilon(rdp, orders, delta)[0]


def noise_multiplier_for(
    epsilon: float,
    sample_rate: float,
    steps: int,
    delta: float,
    orders: Sequence[float] = DEFAULT_ORDERS,
) -> float:
    """The smallest noise multiplier sigma (to 1e-3 relative) with rdp_epsilon <= `epsilon`.
    Epsilon falls as sigma grows; the search closes in on it from a sigma that is too small
    and one that is large enough. Raises ValueError if no sigma reaches `epsilon` (below a
    floor set by delta and the orders, even infinite noise does not)."""
    if not epsilon > 0:
        raise ValueError(f"epsilon must be > 0, got {epsilon}")
    _check(1.0, sample_rate)

    def eps_at(sigma: float) -> float:
        return rdp_epsilon(sigma, sample_rate, steps, delta, orders)

    floor = rdp_to_epsilon(np.zeros(len(orders)), orders, delta)[0]
    unreachable = ValueError(
        f"no noise multiplier reaches epsilon={epsilon} at delta={delta} (even infinite "
        f"noise gives epsilon ~ {floor:.4g} with these orders); raise epsilon or delta"
    )
    if epsilon <= floor:
        raise unreachable
    # bracket: eps(lo) > epsilon >= eps(hi), then shrink it by regula falsi on
    # (log sigma, log eps), a smooth falling curve, halving the weight of an end that
    # stays put (the Illinois rule) so that both ends close in
    lo, hi = 0.5, 1.0
    e_hi = eps_at(hi)
    while e_hi > epsilon:
        lo, hi = hi, hi * 2
        if hi > 1e6:
            raise unreachable
        e_hi = eps_at(hi)
    e_lo = eps_at(lo)
    while e_lo <= epsilon and lo > 1e-6:  # the first guess was already enough
        hi, e_hi, lo = lo, e_lo, lo / 2
        e_lo = eps_at(lo)
    f = lambda e: math.log(max(e, 1e-300)) - math.log(epsilon)  # noqa: E731
    f_lo, f_hi, side = f(e_lo), f(e_hi), 0
    while hi - lo > 1e-3 * hi:
        x_lo, x_hi = math.log(lo), math.log(hi)
        x = x_hi - f_hi * (x_hi - x_lo) / (f_hi - f_lo) if math.isfinite(f_lo) else None
        mid = math.exp(x) if x is not None and x_lo < x < x_hi else (lo + hi) / 2
        mid = min(max(mid, lo + 1e-4 * hi), hi - 1e-4 * hi)  # strictly inside
        f_mid = f(eps_at(mid))
        if f_mid > 0:
            lo, f_lo = mid, f_mid
            f_hi = f_hi / 2 if side == -1 else f_hi
            side = -1
        else:
            hi, f_hi = mid, f_mid
            f_lo = f_lo / 2 if side == 1 else f_lo
            side = 1
    return hi
