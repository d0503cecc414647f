"""Smoothing methods: how an n-gram model turns counts into P(w | h).

Notation (as in Chen & Goodman 1998): ``h`` is the context (the n-1 tokens
before ``w``), ``h'`` the context without its first token, ``c(h w)`` a count,
``c(h .)`` the total count of grams starting with ``h``, ``N1+(h .)`` the number
of distinct tokens seen after ``h``, and ``N1+(. h w)`` the number of distinct
tokens seen before ``h w`` (the Kneser-Ney *continuation* count). ``V`` is the
number of tokens the model can predict.

Every method here except :class:`MLE` gives every token of the vocabulary a
probability above zero in every context, and every method's next-token
distribution sums to 1 in every context, seen or not. Each method scores a
whole batch of n-grams at once: ``score(grams)`` with ``grams`` of shape
``(N, n)`` (context then predicted token) returns ``(N,)`` probabilities,
working up from order 1 to order n.
"""

from __future__ import annotations

from ..backend import np
from .counts import NgramCounts, take


class Smoothing:
    """The interface: ``fit(counts, V, heldout)`` once, then ``score(grams)``."""

    name = "smoothing"

    def fit(self, counts: NgramCounts, V: int, heldout=None) -> None:
        self.counts, self.V, self.n = counts, V, counts.order

    def _rows(self, grams):
        """Per order k: row of the gram ``grams[:, -k:]`` and of its context ``grams[:, -k:-1]``."""
        grams = np.asarray(grams, dtype=np.int64)
        return self.counts.lookup(grams), self.counts.lookup(grams[:, :-1])

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({params})"

    def params(self) -> dict:
        return {}


class MLE(Smoothing):
    """Maximum likelihood: ``P(w | h) = c(h w) / c(h .)``, unsmoothed.

    An unseen context falls back to the longest seen suffix of it (ending at
    unigrams), so each distribution still sums to 1, but unseen n-grams get
    probability 0 and unseen text an infinite perplexity.
    """

    name = "mle"

    def fit(self, counts, V, heldout=None):
        super().fit(counts, V)
        self.totals = {k: counts.per_context(k, counts.counts[k]) for k in range(1, self.n + 1)}

    def score(self, grams):
        g, c = self._rows(grams)
        p = np.full(len(g[0]), 1.0 / self.V)
        for k in range(1, self.n + 1):
            T = take(self.totals[k], c[k - 1])
            p = np.where(T > 0, take(self.counts.counts[k], g[k]) / np.maximum(T, 1), p)
        return p


class AddK(Smoothing):
    """Add-k (Lidstone; Laplace when k = 1): ``P(w | h) = (c(h w) + k) / (c(h .) + k V)``.

    Only the full order-n context is used; an unseen context gives 1/V.
    """

    name = "add-k"

    def __init__(self, k: float = 1.0):
        if k <= 0:
            raise ValueError(f"add-k needs k > 0, got {k}")
        self.k = k

    def params(self):
        return {"k": self.k}

    def fit(self, counts, V, heldout=None):
        super().fit(counts, V)
        self.total = counts.per_context(self.n, counts.counts[self.n])

    def score(self, grams):
        g, c = self._rows(grams)
        count = take(self.counts.counts[self.n], g[self.n])
        return (count + self.k) / (take(self.total, c[self.n - 1]) + self.k * self.V)


class Interpolation(Smoothing):
    """Linear interpolation (Jelinek-Mercer): ``P(w | h) = sum_k lambda_k P_k(w | h)``.

    ``P_0 = 1/V`` and ``P_k`` is the order-k MLE (an unseen order-k context uses
    ``P_{k-1}`` instead). The weights ``lambda_0..lambda_n`` are tuned by EM to
    maximize the likelihood of held-out n-grams (pass ``heldout`` to
    ``NgramModel.fit``); without held-out data they stay equal.
    """

    name = "interpolation"

    def __init__(self, weights=None, iterations: int = 100):
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.iterations = iterations

    def params(self):
        w = None if self.weights is None else np.round(self.weights, 4).tolist()
        return {"weights": w}

    def fit(self, counts, V, heldout=None):
        super().fit(counts, V)
        self.totals = {k: counts.per_context(k, counts.counts[k]) for k in range(1, self.n + 1)}
        if heldout is not None and len(heldout):
            self.weights = self._em(self._levels(heldout))
        elif self.weights is None:
            self.weights = np.full(self.n + 1, 1.0 / (self.n + 1))
        if len(self.weights) != self.n + 1 or abs(self.weights.sum() - 1) > 1e-9:
            raise ValueError(f"interpolation needs {self.n + 1} weights summing to 1")

    def _levels(self, grams):
        g, c = self._rows(grams)
        levels = [np.full(len(g[0]), 1.0 / self.V)]
        for k in range(1, self.n + 1):
            T = take(self.totals[k], c[k - 1])
            mle = take(self.counts.counts[k], g[k]) / np.maximum(T, 1)
            levels.append(np.where(T > 0, mle, levels[-1]))
        return np.stack(levels, axis=1)  # (N, n+1)

    def _em(self, P):
        lam = np.full(P.shape[1], 1.0 / P.shape[1])
        for _ in range(self.iterations):
            resp = P * lam / (P @ lam)[:, None]  # (N, n+1): which level explains each token
            lam = resp.mean(axis=0)
        return lam

    def score(self, grams):
        return self._levels(grams) @ self.weights


def _discount_estimate(values, cap: float = 1.0) -> float:
    """Ney's absolute discount ``D = n1 / (n1 + 2 n2)`` from counts-of-counts, as in
    Chen & Goodman (1998) and KenLM; 0.5 when there are no singletons.

    The estimate lies in ``(0, 1]``; it is 1 when no gram was seen exactly twice.
    ``cap`` bounds it, for :class:`Backoff` only (see there).

    >>> _discount_estimate(np.array([1, 1, 1, 2, 5])), _discount_estimate(np.array([1, 3]))
    (0.6, 1.0)
    """
    n1, n2 = np.sum(values == 1), np.sum(values == 2)
    return min(float(n1 / (n1 + 2 * n2)), cap) if n1 > 0 else 0.5


BACKOFF_MAX_DISCOUNT = 0.9


class Backoff(Smoothing):
    """Absolute-discount backoff: Katz's back-off scheme (a seen gram keeps its
    discounted count, the rest backs off to the lower order), with one fixed
    discount per order where Katz used Good-Turing counts.

    ``P(w | h) = (c(h w) - D) / c(h .)`` if ``c(h w) > 0``, else
    ``alpha(h) P(w | h')``; an unseen context uses ``P(w | h')``; order 0 is
    ``1/V``. ``alpha(h)`` hands the discounted mass ``D N1+(h .) / c(h .)`` to the
    tokens unseen after ``h``, in proportion to ``P(w | h')``:
    ``alpha(h) = D N1+(h .) / c(h .) / (1 - sum_{w seen after h} P(w | h'))``, so
    each distribution sums to exactly 1. ``discount`` defaults to Ney's estimate
    per order, capped at :data:`BACKOFF_MAX_DISCOUNT` (0.9): a backed-off model gives
    a seen gram only its discounted count, so the estimate's 1 (no gram of an order
    seen exactly twice, as on small corpora) would give every gram seen once
    probability 0, less than an unseen gram gets. (Kneser-Ney interpolates with the
    lower order, so it takes the estimate uncapped.) In a context whose seen tokens
    already hold all of the lower order's mass, nothing is discounted.
    """

    name = "backoff"

    def __init__(self, discount: float | None = None):
        if discount is not None and not 0 <= discount < 1:
            raise ValueError(f"backoff discount must be in [0, 1), got {discount}")
        self.discount = discount

    def params(self):
        return {"discount": self.discount}

    def fit(self, counts, V, heldout=None):
        super().fit(counts, V)
        self.T, self.D, self.alpha = {}, {}, {}
        lower_rows = None  # P(w | h) of each row of the previous order's table
        for k in range(1, self.n + 1):
            c = counts.counts[k].astype(np.float64)
            seen = c > 0
            T = counts.per_context(k, c)
            n1p = counts.per_context(k, seen.astype(np.float64))
            D = self.discount
            if D is None:
                D = _discount_estimate(c, cap=BACKOFF_MAX_DISCOUNT)
            p_lower = np.full(len(c), 1.0 / V) if k == 1 else lower_rows[counts.suffix[k]]
            left = 1.0 - counts.per_context(k, seen * p_lower)
            room = (T > 0) & (left > 1e-12)
            Dh = np.where(room, D, 0.0)  # (contexts,)
            self.alpha[k] = np.where(room, Dh * n1p / np.maximum(T, 1) / np.maximum(left, 1e-12), 0)
            self.T[k], self.D[k] = T, Dh
            ctx = counts.context[k]
            discounted = (c - Dh[ctx]) / np.maximum(T[ctx], 1)
            lower_rows = np.where(seen, discounted, self.alpha[k][ctx] * p_lower)

    def score(self, grams):
        g, c = self._rows(grams)
        p = np.full(len(g[0]), 1.0 / self.V)
        for k in range(1, self.n + 1):
            count = take(self.counts.counts[k], g[k])
            T = take(self.T[k], c[k - 1])
            backed_off = np.where(T > 0, take(self.alpha[k], c[k - 1]) * p, p)
            p = np.where(
                count > 0, (count - take(self.D[k], c[k - 1])) / np.maximum(T, 1), backed_off
            )
        return p


class KneserNey(Smoothing):
    """Interpolated Kneser-Ney, plain (one discount per order) or modified (three).

    At the top order the counts are ``c(h w)``; below it, continuation counts
    ``N1+(. h w)``: a token that follows many different contexts is a likely
    continuation of a new one. With ``a`` those counts and ``T(h) = sum_w a(h w)``::

        P_k(w | h) = max(a(h w) - D, 0) / T(h) + gamma(h) P_{k-1}(w | h')
        gamma(h)   = D N1+(h .) / T(h)                        (plain)
                   = (D1 N1(h .) + D2 N2(h .) + D3 N3+(h .)) / T(h)   (modified)

    where in the modified form the discount depends on the count (D1 for 1, D2
    for 2, D3 for 3 or more) and ``N_i(h .)`` counts tokens with ``a(h w) = i``.
    An unseen context (``T(h) = 0``) uses ``P_{k-1}``; ``P_0 = 1/V``.

    ``discount``: None estimates it per order (``D = n1 / (n1 + 2 n2)`` from
    the counts-of-counts, uncapped as in Chen & Goodman and KenLM, so 1 when no
    count is 2; modified: ``Dj = j - (j+1) D n_{j+1} / n_j``, or ``D`` where that
    is undefined or outside ``(0, j]``, as on tiny corpora); a float uses it at
    every order; a sequence gives one per order, unigrams first (a unigram
    discount of 0 means no uniform floor, as in ``nltk.lm``).

    ``N1+(h .)`` in ``gamma`` counts the tokens ``w`` with ``a(h w) > 0``, from the
    same counts the probabilities use, so each distribution sums to 1.
    ``nltk_compat=True`` counts them from the raw counts ``c(h w)`` instead, as
    ``nltk.lm.KneserNeyInterpolated`` does, to reproduce its numbers exactly. The
    two agree whenever every lower-order gram has a token before it, as with
    ``NgramModel``'s boundaries; without boundaries a gram at the start of a
    sequence has a raw count but no continuation count, so nltk's distributions
    (and those of ``nltk_compat=True``) can sum to more than 1.

    >>> from minilm.ngram import NgramModel
    >>> train = [["a", "b", "c"], ["x", "a", "c"]]
    >>> for compat in (False, True):
    ...     lm = NgramModel(3, KneserNey(nltk_compat=compat), boundaries=False).fit(train)
    ...     print(round(float(lm.distribution(["b", "a"]).sum()), 6))
    1.0
    2.25
    """

    name = "kneser-ney"

    def __init__(self, discount=None, modified: bool = False, nltk_compat: bool = False):
        self.discount, self.modified, self.nltk_compat = discount, modified, nltk_compat
        if modified and discount is not None:
            raise ValueError("modified Kneser-Ney estimates its three discounts per order")
        if modified and nltk_compat:
            raise ValueError("nltk_compat reproduces nltk's plain Kneser-Ney; nltk has no "
                             "modified Kneser-Ney")  # fmt: skip
        if self.modified:
            self.name = "modified-kneser-ney"

    def params(self):
        params = {"discount": self.discount, "modified": self.modified}
        return {**params, "nltk_compat": True} if self.nltk_compat else params

    def _discounts(self, k, a):
        if self.modified:
            n = [np.sum(a == j) for j in range(1, 5)]
            Y = _discount_estimate(a)
            D = [j - (j + 1) * Y * n[j] / n[j - 1] if n[j - 1] > 0 else Y for j in (1, 2, 3)]
            return np.array([d if 0 < d <= j else Y for j, d in zip((1, 2, 3), D)])
        if self.discount is None:
            D = _discount_estimate(a)
        elif np.ndim(self.discount) == 0:
            D = float(self.discount)
        else:
            if len(self.discount) != self.n:
                raise ValueError(f"kneser-ney: need {self.n} discounts, got {len(self.discount)}")
            D = float(self.discount[k - 1])
        if not 0 <= D <= 1:
            raise ValueError(f"kneser-ney discounts must be in [0, 1], got {D}")
        return np.array([D, D, D])

    def fit(self, counts, V, heldout=None):
        super().fit(counts, V)
        self.a, self.T, self.gamma, self.Ds = {}, {}, {}, {}
        for k in range(1, self.n + 1):
            raw = counts.counts[k]
            a = (raw if k == self.n else counts.continuation[k]).astype(np.float64)
            D = self._discounts(k, a)
            if self.modified:
                mass = np.where(a > 0, D[np.clip(a, 1, 3).astype(int) - 1], 0.0)
            elif self.nltk_compat:
                mass = D[0] * (raw > 0)  # N1+(h .) from the raw counts, as nltk does
            else:
                mass = D[0] * (a > 0)  # N1+(h .) from the counts used here
            T = counts.per_context(k, a)
            self.a[k], self.T[k], self.Ds[k] = a, T, D
            self.gamma[k] = counts.per_context(k, mass) / np.maximum(T, 1e-300)

    def score(self, grams):
        g, c = self._rows(grams)
        p = np.full(len(g[0]), 1.0 / self.V)
        for k in range(1, self.n + 1):
            a = take(self.a[k], g[k])
            T = take(self.T[k], c[k - 1])
            D = self.Ds[k][np.clip(a, 1, 3).astype(int) - 1]
            here = np.maximum(a - D, 0) / np.maximum(T, 1e-300)
            p = np.where(T > 0, here + take(self.gamma[k], c[k - 1]) * p, p)
        return p


SMOOTHINGS = {
    "mle": MLE,
    "add-k": AddK,
    "laplace": lambda: AddK(1.0),
    "interpolation": Interpolation,
    "backoff": Backoff,
    "kneser-ney": KneserNey,
    "modified-kneser-ney": lambda: KneserNey(modified=True),
}


def make_smoothing(spec) -> Smoothing:
    """A :class:`Smoothing` from a name in :data:`SMOOTHINGS` or an instance (returned as is).

    >>> make_smoothing("laplace")
    AddK(k=1.0)
    """
    if isinstance(spec, Smoothing):
        return spec
    if spec not in SMOOTHINGS:
        raise ValueError(f"unknown smoothing {spec!r}; choose one of {', '.join(SMOOTHINGS)}")
    return SMOOTHINGS[spec]()
