"""spatial §3 (Kamath et al.) on the cyclic-code distribution: closed forms and Monte Carlo.

* **Proposition 1**: the cyclic-code distribution, its Bayes classifier ``f*``, the exact accuracies of ``f*``
  on clean and cyclically shifted inputs (REPRO_SPEC Part II §4 ``spatial.cyclic_code_distribution`` and
  ``spatial.prop1``; errata Part II §6 items 20–21).
* **Theorem 2**: the lower and upper bounds on accuracy under the random shift ``r`` given adversarial
  robustness, the worked example ``sign(x0)``, and a one-parameter family of linear classifiers whose clean,
  worst-case robust and shifted accuracies are all exact (``spatial.thm2``; errata items 22–23).

Conventions: accuracies are fractions in [0, 1]; ``sign(0)`` counts as an error (a tie is never the label);
Monte Carlo draws come from ``np.random.default_rng(seed)`` in chunks, so memory stays small; bad parameters
raise :class:`reprolib.errors.ConfigError` with a message that names the parameter.
"""
from __future__ import annotations

import math
from numbers import Integral
from typing import Sequence

import numpy as np

from ...errors import ConfigError
from ...numerics import (
    check_eta,
    check_int,
    check_m_d,
    check_nonnegative,
    check_p,
    chunk_rows,
    is_number,
    normal_cdf,
)

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
    m, d = check_m_d(m, len(c))
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
    check_m_d(m, x.shape[-1] - 1)
    return np.concatenate([x[..., :1], np.roll(x[..., 1:], -m * j, axis=-1)], axis=-1)


def sample_cyclic_code(c, p: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n draws of (X, Y): Y = ±1 w.p. ½; X_0 = Y w.p. p else −Y; X_t ~ N(2 c_t Y/√d, 1), t = 1..d.

    Returns x of shape (n, d+1) (column 0 is X_0) and y of shape (n,) with values ±1."""
    c = codeword(c)
    p = check_p(p)
    n = check_int(n, "n")
    d = len(c)
    y = 2 * rng.integers(0, 2, size=n) - 1
    x0 = np.where(rng.random(n) < p, y, -y)
    g = rng.standard_normal((n, d)) + (2.0 / math.sqrt(d)) * y[:, None] * c[None, :]
    return np.concatenate([x0[:, None].astype(float), g], axis=1), y


def bayes_score(x: np.ndarray, c, p: float) -> np.ndarray:
    """Σ_t c_t x_t + (√d/4)·ln ρ(x_0), with ln ρ(±1) = ±ln(p/(1−p)): f* is its sign."""
    c = codeword(c)
    p = check_p(p)
    d = len(c)
    return x[..., 1:] @ c + (math.sqrt(d) / 4.0) * math.log(p / (1.0 - p)) * x[..., 0]


def bayes_classifier(x: np.ndarray, c, p: float) -> np.ndarray:
    """f*(x) = sign(bayes_score) in {−1, 0, +1} (0 only on a tie, which has probability 0)."""
    return np.sign(bayes_score(x, c, p)).astype(np.int64)


# ----------------------------------------------------------------------------- spatial: closed forms


def log_odds(p: float) -> float:
    """L = ln(p/(1−p))."""
    p = check_p(p)
    return math.log(p / (1.0 - p))


def linear_family_accuracy(p: float, beta: float, a=1.0):
    """Accuracy of f_β(x) = sign(β√d·x_0 + Σ c_t x_t) on inputs whose codeword part is aligned a with c.

    Given Y = y, Σ c_t X_t/√d ~ N(2a·y, 1) (a = 1 for clean inputs, a = a_j after r_j), so the accuracy is
    p·Φ(2a + β) + (1−p)·Φ(2a − β). The Bayes classifier f* is β = L/4. Vectorised over a."""
    p = check_p(p)
    beta = check_nonnegative(beta, "beta")
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
    if not is_number(delta) or not 0 <= delta <= 1:
        raise ConfigError(f"delta={delta!r} must be in [0, 1]")
    return normal_cdf(2 * (1 - 2 * delta))


def prop1_paper_ceiling(delta: float) -> float:
    """The paper's printed limit, with the standard deviation √(2|S_j|−d) in place of √d: Φ(2√(1 − 2δ))."""
    if not is_number(delta) or not 0 <= delta <= 0.5:
        raise ConfigError(f"delta={delta!r} must be in [0, 0.5] for the paper's expression")
    return normal_cdf(2 * math.sqrt(1 - 2 * delta))


def prop1_monte_carlo(c, *, m: int, p: float, n: int, seed: int) -> dict:
    """Monte Carlo accuracies of the Bayes classifiers on n draws (chunked; one seeded generator).

    Returns ``clean`` (f* on X), ``shifted`` (f* on r_j X, j = 1..d/m−1), ``bayes_shifted`` (f*_j, the Bayes
    classifier of the shifted problem, on r_j X) and ``random`` (f* on r(X), j drawn per sample)."""
    c = codeword(c)
    m, d = check_m_d(m, len(c))
    p = check_p(p)
    n = check_int(n, "n")
    rng = np.random.default_rng(seed)
    k = d // m
    hits_shift = np.zeros(k)          # index j-1; the last is the identity (clean)
    hits_bayes_j = np.zeros(k - 1)
    hits_random = 0
    rows = chunk_rows(d)
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
    m, d = check_m_d(m, d)
    p = check_p(p)
    eta = check_eta(eta)
    frac = m / d
    lower = (1 - frac) * (1 - eta)
    upper = 1 - frac * (1 - eta * p / (1 - p))
    return lower, min(1.0, upper)


def thm2_clean_cap(p: float, eta: float) -> float:
    """The proof's intermediate fact: accuracy >= 1 − η under the attack A ⇒ clean accuracy <= ηp/(1−p) (cap 1)."""
    return min(1.0, check_eta(eta) * check_p(p) / (1 - p))


def thm2_attack_eps(d: int) -> float:
    """The ℓ∞ radius 4/√d of Theorem 2 (the size of the attack A and of every shift's mean change)."""
    return 4.0 / math.sqrt(check_int(d, "d"))


def linear_family_robust_accuracy(p: float, beta: float, d: int) -> float:
    """Worst-case ℓ∞ accuracy of f_β at ε = 4/√d (exact for a linear rule: y·wᵀx − ε‖w‖₁ > 0, w = (β√d, c)).

    = p·Φ(β(1 − 4/√d) − 2) + (1−p)·Φ(−β(1 + 4/√d) − 2)."""
    p = check_p(p)
    beta = check_nonnegative(beta, "beta")
    eps = thm2_attack_eps(d)
    return p * normal_cdf(beta * (1 - eps) - 2) + (1 - p) * normal_cdf(-beta * (1 + eps) - 2)


def linear_family_spatial_accuracy(c, m: int, p: float, beta: float) -> float:
    """Pr[f_β(r(X)) = Y]: the mean over j = 1..d/m of p·Φ(2a_j + β) + (1−p)·Φ(2a_j − β)."""
    return float(np.mean(linear_family_accuracy(p, beta, shift_alignments(c, m))))


def sign_x0_accuracies(p: float, d: int) -> dict:
    """The worked example f(x) = sign(x_0): clean = spatial = p; robust = p while 4/√d < 1 (x_0 cannot be
    pushed to 0), else 0. Then η = 1 − p and the clean accuracy p equals the cap ηp/(1−p) exactly."""
    p = check_p(p)
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
        check_m_d(m, d)
    p = check_p(p)
    n = check_int(n, "n")
    betas = [check_nonnegative(b, "beta") for b in betas]
    rng = np.random.default_rng(seed)
    eps, sd = thm2_attack_eps(d), math.sqrt(d)
    names = [f"beta={b:g}" for b in betas] + ["sign(x0)"]
    hits = {name: {"clean": 0, "robust": 0, "spatial": dict.fromkeys(ms, 0)} for name in names}
    rows = chunk_rows(d)
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
