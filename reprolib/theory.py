"""Closed forms and Monte Carlo for the theorems the papers prove on synthetic distributions.

* spatial §3 (Kamath et al.), **Proposition 1**: the cyclic-code distribution, its Bayes classifier ``f*``,
  the exact accuracies of ``f*`` on clean and cyclically shifted inputs (REPRO_SPEC Part II §4
  ``spatial.cyclic_code_distribution`` and ``spatial.prop1``; errata Part II §6 items 20–21).
* spatial §3, **Theorem 2**: the lower and upper bounds on accuracy under the random shift ``r`` given
  adversarial robustness, the worked example ``sign(x0)``, and a one-parameter family of linear classifiers
  whose clean, worst-case robust and shifted accuracies are all exact (``spatial.thm2``; errata items 22–23).
* cake §3, **Theorem 3.1** (the trade-off of Tsipras et al. 2019): the robust-accuracy ceiling for a given
  clean accuracy, the averaging classifier ``g_avg`` and ``sign(x1)``, and linear logistic regression trained
  naturally or against the worst-case ℓ∞ perturbation (REPRO_SPEC Part I §3 ``cake.thm3_1``; errata Part I
  §5 items 1–2: the bound is "at most", and η must be *at least* of order 1/√d).

Conventions: accuracies are fractions in [0, 1]; ``sign(0)`` counts as an error (a tie is never the label);
Monte Carlo draws come from ``np.random.default_rng(seed)`` in chunks, so memory stays small; bad parameters
raise :class:`reprolib.errors.ConfigError` with a message that names the parameter.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Sequence

import numpy as np

from .errors import ConfigError

SQRT2 = math.sqrt(2.0)
MC_TOLERANCE = 0.005        # REPRO_SPEC: |Monte Carlo - closed form| <= 0.005 at n = 200,000
MC_REFERENCE_N = 200_000
CHUNK_VALUES = 4_000_000    # numbers of a Monte Carlo sample held in memory at once (32 MB of float64)

# ----------------------------------------------------------------------------- helpers


def normal_cdf(z):
    """Standard normal CDF Φ(z) = (1 + erf(z/√2))/2 (``math.erf``), for a scalar or an array."""
    if np.ndim(z) == 0:
        return 0.5 * (1.0 + math.erf(float(z) / SQRT2))
    return 0.5 * (1.0 + np.vectorize(math.erf, otypes=[float])(np.asarray(z, float) / SQRT2))


def normal_quantile(q: float) -> float:
    """Φ⁻¹(q) by bisection on :func:`normal_cdf` (to 1e-12; no SciPy needed)."""
    if not isinstance(q, Real) or not 0.0 < q < 1.0:
        raise ConfigError(f"q={q!r} must be in (0, 1)")
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if normal_cdf(mid) < q else (lo, mid)
        if hi - lo < 1e-12:
            break
    return 0.5 * (lo + hi)


def mc_tolerance(n: int, reference_n: int = MC_REFERENCE_N) -> float:
    """The spec's 0.005 at ``reference_n`` draws, widened as 1/√n below it (the same number of standard errors).

    REPRO_SPEC states ±0.005 at n = 200,000 for spatial.prop1 and at n = 100,000 for cake.thm3_1."""
    n = _check_int(n, "n")
    reference_n = _check_int(reference_n, "reference_n")
    return MC_TOLERANCE * max(1.0, math.sqrt(reference_n / n))


def _chunk_rows(d: int) -> int:
    """Rows per Monte Carlo chunk for inputs of dimension d (the random stream depends on it; fixed per d)."""
    return max(1000, CHUNK_VALUES // (d + 1))


def _number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(float(v))


def _check_p(p, name: str = "p") -> float:
    """Both distributions need 1/2 <= p < 1 (x0 or x1 agrees with y with probability p)."""
    if not _number(p) or not 0.5 <= p < 1.0:
        raise ConfigError(f"{name}={p!r} must be a number in [0.5, 1)")
    return float(p)


def _check_eta(eta, name: str = "eta") -> float:
    if not _number(eta) or not 0.0 <= eta <= 1.0:
        raise ConfigError(f"{name}={eta!r} must be a number in [0, 1]")
    return float(eta)


def _check_int(v, name: str, low: int = 1) -> int:
    if not isinstance(v, Integral) or isinstance(v, bool) or v < low:
        raise ConfigError(f"{name}={v!r} must be an integer >= {low}")
    return int(v)


def _check_m_d(m, d) -> tuple[int, int]:
    d = _check_int(d, "d")
    m = _check_int(m, "m")
    if d % m:
        raise ConfigError(f"m={m} must divide d={d} (the shifts are by multiples of m)")
    return m, d


def _check_positive(v, name: str) -> float:
    if not _number(v) or v <= 0:
        raise ConfigError(f"{name}={v!r} must be a positive number")
    return float(v)


def _check_nonnegative(v, name: str) -> float:
    if not _number(v) or v < 0:
        raise ConfigError(f"{name}={v!r} must be a non-negative number")
    return float(v)


# ============================================================================= spatial §3: the distribution

# Generator codewords (REPRO_SPEC Part II §4, checked there by exhaustive search; d = 64 found here by a seeded
# search, default_rng(2024), for a balanced word whose nonzero cyclic shifts all differ from it in >= 24 = 3/8·64
# places; it reaches 26). The tests recompute every distance.
GENERATORS: dict[str, str] = {
    "d7": "+++-+--",                      # m-sequence: every nonzero shift differs in 4 places (δ = 4/7)
    "d8": "++++-+--",                     # δ = 1/2
    "d16": "+++++++++-+-++--",            # δ = 3/8 exactly; shifts by 4, 8, 12 differ in 6, 8, 6
    "d16-flat": "+++++++++++++---",       # shifts by 4, 8, 12 all differ in 6; shift by 1 in 2 (δ = 1/8)
    "d64": "-++++-++--+-+---++-+--+++-----+--+---+++-+++++---+-+++--+-++++--",  # δ = 26/64
}
DEFAULT_GENERATOR = {7: "d7", 8: "d8", 16: "d16", 64: "d64"}


def codeword(spec) -> np.ndarray:
    """A generator as a ±1 integer vector, from a name in GENERATORS, a '+'/'-' string, an int d (the default
    generator of that length) or a sequence of ±1."""
    if isinstance(spec, Integral) and not isinstance(spec, bool):
        if spec not in DEFAULT_GENERATOR:
            raise ConfigError(f"d={spec} has no stored generator; known: {sorted(DEFAULT_GENERATOR)}")
        spec = DEFAULT_GENERATOR[spec]
    if isinstance(spec, str):
        text = GENERATORS.get(spec, spec)
        if not text or set(text) - {"+", "-"}:
            raise ConfigError(f"generator={spec!r} must be a name in {sorted(GENERATORS)} or a string of '+'/'-'")
        return np.array([1 if ch == "+" else -1 for ch in text], dtype=np.int64)
    c = np.asarray(spec)
    if c.ndim != 1 or c.size == 0 or not np.all(np.isin(c, (-1, 1))):
        raise ConfigError("generator must be a non-empty 1-D sequence of ±1")
    return c.astype(np.int64)


def shift_distances(c, m: int = 1) -> np.ndarray:
    """Hamming distance D_j between c and its cyclic shift by m·j, for j = 1, …, d/m (the last one is 0)."""
    c = codeword(c)
    m, d = _check_m_d(m, len(c))
    return np.array([int(np.sum(c != np.roll(c, -m * j))) for j in range(1, d // m + 1)])


def relative_distance(c, m: int = 1) -> float:
    """Smallest fraction of disagreeing coordinates over the non-identity shifts by multiples of m.

    With m = 1 this is the relative distance δ of the whole cyclic code (REPRO_SPEC's δ)."""
    c = codeword(c)
    dist = shift_distances(c, m)[:-1]
    return float(dist.min() / len(c)) if dist.size else 1.0


def shift_alignments(c, m: int) -> np.ndarray:
    """a_j = (1/d)·Σ_t c_t c_{t+mj} = 1 − 2·D_j/d for j = 1, …, d/m (a = 1 for the identity j = d/m)."""
    c = codeword(c)
    return 1.0 - 2.0 * shift_distances(c, m) / len(c)


def cyclic_shift(x: np.ndarray, m: int, j: int) -> np.ndarray:
    """r_j: shift coordinates 1..d of each row left by m·j, keep x_0 (spec: r_j(x) = (x0, x_{mj+1}, …, x_mj))."""
    x = np.asarray(x)
    _check_m_d(m, x.shape[-1] - 1)
    return np.concatenate([x[..., :1], np.roll(x[..., 1:], -m * j, axis=-1)], axis=-1)


def sample_cyclic_code(c, p: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n draws of (X, Y): Y = ±1 w.p. ½; X_0 = Y w.p. p else −Y; X_t ~ N(2 c_t Y/√d, 1), t = 1..d.

    Returns x of shape (n, d+1) (column 0 is X_0) and y of shape (n,) with values ±1."""
    c = codeword(c)
    p = _check_p(p)
    n = _check_int(n, "n")
    d = len(c)
    y = 2 * rng.integers(0, 2, size=n) - 1
    x0 = np.where(rng.random(n) < p, y, -y)
    g = rng.standard_normal((n, d)) + (2.0 / math.sqrt(d)) * y[:, None] * c[None, :]
    return np.concatenate([x0[:, None].astype(float), g], axis=1), y


def bayes_score(x: np.ndarray, c, p: float) -> np.ndarray:
    """Σ_t c_t x_t + (√d/4)·ln ρ(x_0), with ln ρ(±1) = ±ln(p/(1−p)): f* is its sign."""
    c = codeword(c)
    p = _check_p(p)
    d = len(c)
    return x[..., 1:] @ c + (math.sqrt(d) / 4.0) * math.log(p / (1.0 - p)) * x[..., 0]


def bayes_classifier(x: np.ndarray, c, p: float) -> np.ndarray:
    """f*(x) = sign(bayes_score) in {−1, 0, +1} (0 only on a tie, which has probability 0)."""
    return np.sign(bayes_score(x, c, p)).astype(np.int64)


# ----------------------------------------------------------------------------- spatial: closed forms


def log_odds(p: float) -> float:
    """L = ln(p/(1−p))."""
    p = _check_p(p)
    return math.log(p / (1.0 - p))


def linear_family_accuracy(p: float, beta: float, a=1.0):
    """Accuracy of f_β(x) = sign(β√d·x_0 + Σ c_t x_t) on inputs whose codeword part is aligned a with c.

    Given Y = y, Σ c_t X_t/√d ~ N(2a·y, 1) (a = 1 for clean inputs, a = a_j after r_j), so the accuracy is
    p·Φ(2a + β) + (1−p)·Φ(2a − β). The Bayes classifier f* is β = L/4. Vectorised over a."""
    p = _check_p(p)
    beta = _check_nonnegative(beta, "beta")
    if np.ndim(a) == 0:
        return p * normal_cdf(2 * float(a) + beta) + (1 - p) * normal_cdf(2 * float(a) - beta)
    a = np.asarray(a, float)
    return p * normal_cdf(2 * a + beta) + (1 - p) * normal_cdf(2 * a - beta)


def prop1_clean_accuracy(p: float) -> float:
    """acc(f*, X) = p·Φ(2 + L/4) + (1−p)·Φ(2 − L/4) (the same for f*_j on r_j(X))."""
    return linear_family_accuracy(p, log_odds(p) / 4, 1.0)


def prop1_shifted_accuracy(p: float, a):
    """acc(f*, r_j X) = p·Φ(2a + L/4) + (1−p)·Φ(2a − L/4), a = a_j (vectorised over a)."""
    return linear_family_accuracy(p, log_odds(p) / 4, a)


def prop1_random_shift_accuracy(c, m: int, p: float) -> float:
    """acc(f*, r(X)) with j uniform on {1, …, d/m}: the mean of the d/m shifted accuracies (identity included)."""
    return float(np.mean(prop1_shifted_accuracy(p, shift_alignments(c, m))))


def prop1_ceiling(delta: float) -> float:
    """Corrected limit (p → ½) of the shifted accuracy for a code of relative distance δ: Φ(2(1 − 2δ))."""
    if not _number(delta) or not 0 <= delta <= 1:
        raise ConfigError(f"delta={delta!r} must be in [0, 1]")
    return normal_cdf(2 * (1 - 2 * delta))


def prop1_paper_ceiling(delta: float) -> float:
    """The paper's printed limit, with the standard deviation √(2|S_j|−d) in place of √d: Φ(2√(1 − 2δ))."""
    if not _number(delta) or not 0 <= delta <= 0.5:
        raise ConfigError(f"delta={delta!r} must be in [0, 0.5] for the paper's expression")
    return normal_cdf(2 * math.sqrt(1 - 2 * delta))


def prop1_monte_carlo(c, *, m: int, p: float, n: int, seed: int) -> dict:
    """Monte Carlo accuracies of the Bayes classifiers on n draws (chunked; one seeded generator).

    Returns ``clean`` (f* on X), ``shifted`` (f* on r_j X, j = 1..d/m−1), ``bayes_shifted`` (f*_j, the Bayes
    classifier of the shifted problem, on r_j X) and ``random`` (f* on r(X), j drawn per sample)."""
    c = codeword(c)
    m, d = _check_m_d(m, len(c))
    p = _check_p(p)
    n = _check_int(n, "n")
    rng = np.random.default_rng(seed)
    k = d // m
    hits_shift = np.zeros(k)          # index j-1; the last is the identity (clean)
    hits_bayes_j = np.zeros(k - 1)
    hits_random = 0
    rows = _chunk_rows(d)
    for start in range(0, n, rows):
        b = min(rows, n - start)
        x, y = sample_cyclic_code(c, p, b, rng)
        correct = np.empty((k, b), dtype=bool)
        for j in range(1, k + 1):
            xj = cyclic_shift(x, m, j)
            correct[j - 1] = bayes_classifier(xj, c, p) == y
            if j < k:
                cj = np.roll(c, -m * j)   # the shifted problem's codeword r_j(c)
                hits_bayes_j[j - 1] += np.sum(bayes_classifier(xj, cj, p) == y)
        hits_shift += correct.sum(axis=1)
        pick = rng.integers(1, k + 1, size=b)
        hits_random += int(correct[pick - 1, np.arange(b)].sum())
    return {"clean": float(hits_shift[-1] / n), "shifted": (hits_shift[:-1] / n).tolist(),
            "bayes_shifted": (hits_bayes_j / n).tolist(), "random": hits_random / n, "n": n}


# ----------------------------------------------------------------------------- spatial: Theorem 2


def thm2_bounds(*, m: int, d: int, p: float, eta: float) -> tuple[float, float]:
    """Theorem 2: (1 − m/d)(1 − η) <= Pr[f(r(X)) = Y] <= 1 − (m/d)(1 − ηp/(1−p)).

    η is the error under every ℓ∞ perturbation of size 4/√d. The upper bound is capped at 1 (it exceeds 1 once
    ηp/(1−p) > 1, where the theorem says nothing)."""
    m, d = _check_m_d(m, d)
    p = _check_p(p)
    eta = _check_eta(eta)
    frac = m / d
    lower = (1 - frac) * (1 - eta)
    upper = 1 - frac * (1 - eta * p / (1 - p))
    return lower, min(1.0, upper)


def thm2_clean_cap(p: float, eta: float) -> float:
    """The proof's intermediate fact: accuracy >= 1 − η under the attack A ⇒ clean accuracy <= ηp/(1−p) (cap 1)."""
    return min(1.0, _check_eta(eta) * _check_p(p) / (1 - p))


def thm2_attack_eps(d: int) -> float:
    """The ℓ∞ radius 4/√d of Theorem 2 (the size of the attack A and of every shift's mean change)."""
    return 4.0 / math.sqrt(_check_int(d, "d"))


def linear_family_robust_accuracy(p: float, beta: float, d: int) -> float:
    """Worst-case ℓ∞ accuracy of f_β at ε = 4/√d (exact for a linear rule: y·wᵀx − ε‖w‖₁ > 0, w = (β√d, c)).

    = p·Φ(β(1 − 4/√d) − 2) + (1−p)·Φ(−β(1 + 4/√d) − 2)."""
    p = _check_p(p)
    beta = _check_nonnegative(beta, "beta")
    eps = thm2_attack_eps(d)
    return p * normal_cdf(beta * (1 - eps) - 2) + (1 - p) * normal_cdf(-beta * (1 + eps) - 2)


def linear_family_spatial_accuracy(c, m: int, p: float, beta: float) -> float:
    """Pr[f_β(r(X)) = Y]: the mean over j = 1..d/m of p·Φ(2a_j + β) + (1−p)·Φ(2a_j − β)."""
    return float(np.mean(linear_family_accuracy(p, beta, shift_alignments(c, m))))


def sign_x0_accuracies(p: float, d: int) -> dict:
    """The worked example f(x) = sign(x_0): clean = spatial = p; robust = p while 4/√d < 1 (x_0 cannot be
    pushed to 0), else 0. Then η = 1 − p and the clean accuracy p equals the cap ηp/(1−p) exactly."""
    p = _check_p(p)
    robust = p if thm2_attack_eps(d) < 1 else 0.0
    return {"clean": p, "robust": robust, "spatial": p}


def thm2_monte_carlo(c, *, ms: Sequence[int], p: float, betas: Sequence[float], n: int, seed: int) -> dict:
    """Monte Carlo of the linear family f_β (and of sign(x_0), key ``"sign(x0)"``) on n draws.

    For each classifier: clean accuracy, worst-case robust accuracy at ε = 4/√d (exact per sample for a linear
    rule) and, for each m in ``ms``, the accuracy after r (j drawn uniformly per sample). Returns
    ``{name: {"clean", "robust", "spatial": {m: acc}}}`` with names ``"beta=<β>"`` and ``"sign(x0)"``."""
    c = codeword(c)
    d = len(c)
    for m in ms:
        _check_m_d(m, d)
    p = _check_p(p)
    n = _check_int(n, "n")
    betas = [_check_nonnegative(b, "beta") for b in betas]
    rng = np.random.default_rng(seed)
    eps, sd = thm2_attack_eps(d), math.sqrt(d)
    names = [f"beta={b:g}" for b in betas] + ["sign(x0)"]
    hits = {name: {"clean": 0, "robust": 0, "spatial": dict.fromkeys(ms, 0)} for name in names}
    rows = _chunk_rows(d)
    for start in range(0, n, rows):
        b = min(rows, n - start)
        x, y = sample_cyclic_code(c, p, b, rng)
        x0, s = x[:, 0], x[:, 1:] @ c
        shifted = {}
        for m in ms:
            k = d // m
            s_j = np.stack([cyclic_shift(x, m, j)[:, 1:] @ c for j in range(1, k + 1)])
            shifted[m] = s_j[rng.integers(0, k, size=b), np.arange(b)]   # Σ c_t (r x)_t with a random j per row
        for beta, name in zip(betas, names):
            w0 = beta * sd
            hits[name]["clean"] += int(np.sum(np.sign(w0 * x0 + s) == y))
            hits[name]["robust"] += int(np.sum(y * (w0 * x0 + s) - eps * (w0 + d) > 0))
            for m in ms:
                hits[name]["spatial"][m] += int(np.sum(np.sign(w0 * x0 + shifted[m]) == y))
        hits["sign(x0)"]["clean"] += int(np.sum(np.sign(x0) == y))
        hits["sign(x0)"]["robust"] += int(np.sum(y * x0 - eps > 0))
        for m in ms:
            hits["sign(x0)"]["spatial"][m] += int(np.sum(np.sign(x0) == y))   # r leaves x_0 alone
    return {name: {"clean": h["clean"] / n, "robust": h["robust"] / n,
                   "spatial": {m: v / n for m, v in h["spatial"].items()}} for name, h in hits.items()}


# ============================================================================= cake §3: Tsipras et al.


def tsipras_robust_bound(clean_accuracy: float, p: float) -> float:
    """Theorem 3.1: clean accuracy >= 1 − δ ⇒ robust accuracy (ℓ∞, ε >= 2η) is **at most** p/(1−p)·δ (cap 1)."""
    p = _check_p(p)
    if not _number(clean_accuracy) or not 0 <= clean_accuracy <= 1:
        raise ConfigError(f"clean_accuracy={clean_accuracy!r} must be in [0, 1]")
    return min(1.0, p / (1 - p) * (1 - clean_accuracy))


def tsipras_sample(p: float, d: int, eta: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n draws: y = ±1 w.p. ½; x_1 = y w.p. p else −y; x_2..x_{d+1} i.i.d. N(ηy, 1). x has shape (n, d+1)."""
    p = _check_p(p)
    d = _check_int(d, "d")
    eta = _check_positive(eta, "eta")
    n = _check_int(n, "n")
    y = 2 * rng.integers(0, 2, size=n) - 1
    x1 = np.where(rng.random(n) < p, y, -y)
    g = rng.standard_normal((n, d)) + eta * y[:, None]
    return np.concatenate([x1[:, None].astype(float), g], axis=1), y


def g_avg_accuracies(eta_sqrt_d: float, eps_over_eta: float = 2.0) -> tuple[float, float]:
    """g_avg(x) = sign(mean of x_2..x_{d+1}): clean Φ(η√d); worst-case robust at ε = k·η is Φ((1 − k)·η√d),
    so Φ(−η√d) = 1 − clean at the theorem's ε = 2η. Depends on η and d only through η√d."""
    t = _check_nonnegative(eta_sqrt_d, "eta_sqrt_d")
    k = _check_nonnegative(eps_over_eta, "eps_over_eta")
    return normal_cdf(t), normal_cdf((1 - k) * t)


def sign_x1_accuracies(p: float, eps: float) -> tuple[float, float]:
    """sign(x_1): clean p; robust p while ε < 1 (x_1 = ±1 cannot be pushed to 0), else 0. It meets the bound."""
    p = _check_p(p)
    eps = _check_nonnegative(eps, "eps")
    return p, (p if eps < 1 else 0.0)


def eta_sqrt_d_for_clean(target: float) -> float:
    """The η√d at which g_avg's clean accuracy Φ(η√d) reaches ``target`` (2.3263 for 99%)."""
    return normal_quantile(target)


def linear_accuracies(w: np.ndarray, x: np.ndarray, y: np.ndarray, eps: float) -> tuple[int, int]:
    """Correct counts of sign(wᵀx): clean, and under the worst ℓ∞ perturbation of size eps (y·wᵀx > eps·‖w‖₁)."""
    eps = _check_nonnegative(eps, "eps")
    margin = y * (x @ w)
    return int(np.sum(margin > 0)), int(np.sum(margin - eps * np.abs(w).sum() > 0))


def linear_tsipras_accuracies(w: np.ndarray, p: float, eta: float, eps: float) -> tuple[float, float]:
    """Exact clean and worst-case ℓ∞ (radius eps) accuracy of sign(wᵀx) on the Tsipras distribution.

    Given y and x_1 = s·y (s = +1 w.p. p), y·wᵀx ~ N(s·w_1 + η·Σ_{i≥2} w_i, ‖w_{2..}‖²); the worst perturbation
    lowers it by eps·‖w‖₁. So accuracy = p·Φ((w_1 + μ − k)/σ) + (1−p)·Φ((−w_1 + μ − k)/σ), k = 0 or eps·‖w‖₁."""
    p = _check_p(p)
    eta = _check_nonnegative(eta, "eta")
    eps = _check_nonnegative(eps, "eps")
    w = np.asarray(w, float)
    if w.ndim != 1 or w.size < 2:
        raise ConfigError("w must be a 1-D weight vector (x_1 first, then the Gaussian features)")
    mu, sigma, l1 = eta * w[1:].sum(), float(np.linalg.norm(w[1:])), float(np.abs(w).sum())

    def acc(k):
        if sigma == 0:
            return p * float(w[0] + mu - k > 0) + (1 - p) * float(-w[0] + mu - k > 0)
        return p * normal_cdf((w[0] + mu - k) / sigma) + (1 - p) * normal_cdf((-w[0] + mu - k) / sigma)

    return acc(0.0), acc(eps * l1)


def tsipras_monte_carlo(*, p: float, d: int, eta_sqrt_d: float, grid: Sequence[float] = (), n: int, seed: int,
                        weights: dict[str, np.ndarray] | None = None) -> dict:
    """Monte Carlo clean and robust accuracies (worst ℓ∞ perturbation of size ε = 2η) on n draws.

    Classifiers: g_avg at η√d = ``eta_sqrt_d`` and at every value of ``grid`` (keys ``"g_avg@<η√d>"``),
    sign(x_1) and each extra linear weight vector in ``weights``, the latter two at η = ``eta_sqrt_d``/√d.
    g_avg at several η uses common random numbers: one noise draw z, then mean(x_2..) = η·y + mean(z), which is
    exactly the law of the feature mean at that η. Returns ``{name: {"clean", "robust"}}``."""
    p = _check_p(p)
    d = _check_int(d, "d")
    n = _check_int(n, "n")
    eta = _check_positive(eta_sqrt_d, "eta_sqrt_d") / math.sqrt(d)
    ts = list(dict.fromkeys([float(eta_sqrt_d)] + [_check_positive(t, "eta_sqrt_d") for t in grid]))
    weights = weights or {}
    for name, w in weights.items():
        if np.shape(w) != (d + 1,):
            raise ConfigError(f"weights[{name!r}] must have shape ({d + 1},)")
    rng = np.random.default_rng(seed)
    hits = {f"g_avg@{t:g}": [0, 0] for t in ts}
    hits["sign(x1)"] = [0, 0]
    hits.update({name: [0, 0] for name in weights})
    rows = _chunk_rows(d)
    for start in range(0, n, rows):
        b = min(rows, n - start)
        y = 2 * rng.integers(0, 2, size=b) - 1
        x1 = np.where(rng.random(b) < p, y, -y).astype(float)
        z = rng.standard_normal((b, d))
        zbar = z.mean(axis=1)
        for t in ts:
            e = t / math.sqrt(d)
            mean = e * y + zbar                              # mean of x_2..x_{d+1} at this η
            hits[f"g_avg@{t:g}"][0] += int(np.sum(np.sign(mean) == y))
            hits[f"g_avg@{t:g}"][1] += int(np.sum(y * mean - 2 * e > 0))   # every feature moved by −2ηy
        hits["sign(x1)"][0] += int(np.sum(x1 == y))
        hits["sign(x1)"][1] += int(np.sum(y * x1 - 2 * eta > 0))
        if weights:
            x = np.concatenate([x1[:, None], z + eta * y[:, None]], axis=1)
            for name, w in weights.items():
                clean, robust = linear_accuracies(w, x, y, 2 * eta)
                hits[name][0] += clean
                hits[name][1] += robust
    return {name: {"clean": h[0] / n, "robust": h[1] / n} for name, h in hits.items()}


def fit_linear_logistic(x: np.ndarray, y: np.ndarray, *, eps: float = 0.0, steps: int = 300, lr: float = 0.05
                        ) -> np.ndarray:
    """Linear logistic regression without bias, trained on the worst ℓ∞ perturbation of size eps.

    For a linear score the inner maximisation is exact: the loss is log(1 + exp(−(y·wᵀx − eps·‖w‖₁))).
    Full-batch Adam with a linearly decaying step (so the ℓ1 subgradient settles). eps = 0 is plain training."""
    eps = _check_nonnegative(eps, "eps")
    steps = _check_int(steps, "steps")
    lr = _check_positive(lr, "lr")
    x = np.asarray(x, np.float32)      # float32 halves the memory traffic of the two products per step
    y = np.asarray(y, np.float32)
    w = np.zeros(x.shape[1])
    m1, m2 = np.zeros_like(w), np.zeros_like(w)
    b1, b2 = 0.9, 0.999
    for t in range(1, steps + 1):
        margin = y * (x @ w.astype(np.float32)) - np.float32(eps * np.abs(w).sum())
        sig = (0.5 * (1 - np.tanh(0.5 * margin))).astype(np.float32)   # σ(−margin), computed stably
        grad = -(x.T @ (sig * y)).astype(float) / len(y) + eps * np.sign(w) * float(sig.mean())
        m1 = b1 * m1 + (1 - b1) * grad
        m2 = b2 * m2 + (1 - b2) * grad ** 2
        step = lr * (1 - (t - 1) / steps)
        w -= step * (m1 / (1 - b1 ** t)) / (np.sqrt(m2 / (1 - b2 ** t)) + 1e-8)
    return w
