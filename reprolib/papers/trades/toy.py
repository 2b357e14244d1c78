"""TRADES §2.4, Eq. (2): the one-dimensional toy example, and exact natural / boundary / robust errors of any
classifier that is constant on finitely many intervals of [0, 1] (REPRO_SPEC Part I §2 trades.eq1, trades.toy).

X ~ Uniform[0, 1]; the label is −1 on [2kε, (2k+1)ε) and +1 on ((2k+1)ε, (2k+2)ε], k = 0, …, ⌈1/(2ε) − 1⌉,
and the adversary moves x anywhere in B(x, ε) ∩ [0, 1]. Everything here is interval arithmetic on
:class:`fractions.Fraction`, so the risks are exact rationals (0.6, not 0.6000000001). Sets of measure zero
(interval end points, where η is undefined) are ignored.

For a classifier c (a list of ``(a, b, sign)`` intervals covering [0, 1]) and labels y(x):

* R_nat = |{x : c(x) ≠ y(x)}|;
* R_rob = |{x : some x' ∈ B(x, ε) ∩ [0, 1] has c(x') ≠ y(x)}| = |{x : dist(x, {c = −y(x)}) ≤ ε}|;
* R_bdy = |{x : c(x) = y(x) and dist(x, {c = −c(x)}) ≤ ε}| (correct, but within ε of the decision boundary).

R_rob is computed directly, not as the sum, so ``rob == nat + bdy`` is a real check of identity (1).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from ...errors import ConfigError
from ...numerics import check_int, is_number

Interval = tuple[Fraction, Fraction, int]  # [a, b) with a sign ±1
Z95 = 1.959963984540054                    # Φ⁻¹(0.975): the Wilson interval's 95% quantile


def check_toy_eps(eps, name: str = "eps") -> Fraction:
    """ε in (0, 1/2] as an exact fraction of its decimal spelling (0.2 is 1/5, not the nearest double)."""
    if not is_number(eps) or not 0 < eps <= 0.5:
        raise ConfigError(f"{name}={eps!r} must be a number in (0, 0.5] (labels alternate on intervals of length ε)")
    return Fraction(str(eps)) if isinstance(eps, float) else Fraction(eps)


def toy_labels(eps) -> list[Interval]:
    """Eq. (2) as intervals: −1 on [2kε, (2k+1)ε), +1 on ((2k+1)ε, (2k+2)ε], clipped to [0, 1]."""
    e = check_toy_eps(eps)
    out = []
    for k in range(math.ceil(1 / (2 * e) - 1) + 1):
        for lo, hi, s in ((2 * k * e, (2 * k + 1) * e, -1), ((2 * k + 1) * e, (2 * k + 2) * e, 1)):
            lo, hi = max(lo, Fraction(0)), min(hi, Fraction(1))
            if hi > lo:
                out.append((lo, hi, s))
    return out


def toy_classifiers(eps) -> dict[str, list[Interval]]:
    """The paper's two classifiers, Bayes sign(2η − 1) and all-one, and the all-minus-one classifier."""
    return {"Bayes": toy_labels(eps), "all-one": [(Fraction(0), Fraction(1), 1)],
            "all-minus-one": [(Fraction(0), Fraction(1), -1)]}


def _merge(spans: list[tuple]) -> list[tuple]:
    out: list[list] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [tuple(s) for s in out]


def _overlap(a, b, merged: list[tuple]):
    """Length of [a, b) ∩ (a union of disjoint spans)."""
    return sum((max(Fraction(0), min(b, hi) - max(a, lo)) for lo, hi in merged), Fraction(0))


def _reach(classifier: list[Interval], sign: int, eps: Fraction) -> list[tuple]:
    """The points of [0, 1] within ε of {c = sign}: the ε-dilation of those intervals, clipped and merged."""
    return _merge([(max(Fraction(0), a - eps), min(Fraction(1), b + eps)) for a, b, s in classifier if s == sign])


def check_intervals(intervals: Sequence[Interval], name: str) -> list[Interval]:
    """Intervals must tile [0, 1] in order, with signs ±1."""
    ivs = [(Fraction(a), Fraction(b), int(s)) for a, b, s in intervals]
    ok = bool(ivs) and ivs[0][0] == 0 and ivs[-1][1] == 1 and all(s in (-1, 1) for *_, s in ivs)
    ok = ok and all(a < b for a, b, _ in ivs) and all(ivs[i][1] == ivs[i + 1][0] for i in range(len(ivs) - 1))
    if not ok:
        raise ConfigError(f"{name} must be (a, b, ±1) intervals tiling [0, 1] in order")
    return ivs


def exact_risks(labels: Sequence[Interval], classifier: Sequence[Interval], eps) -> dict[str, Fraction]:
    """R_nat, R_bdy, R_rob (exact fractions) of ``classifier`` under ``labels``, X uniform on [0, 1]."""
    e = check_toy_eps(eps)
    labels, classifier = check_intervals(labels, "labels"), check_intervals(classifier, "classifier")
    reach = {s: _reach(classifier, s, e) for s in (-1, 1)}
    nat = bdy = rob = Fraction(0)
    for a, b, y in labels:
        rob += _overlap(a, b, reach[-y])
        for c, d, s in classifier:
            lo, hi = max(a, c), min(b, d)
            if hi <= lo:
                continue
            if s != y:
                nat += hi - lo
            else:
                bdy += _overlap(lo, hi, reach[-s])
    return {"nat": nat, "bdy": bdy, "rob": rob}


def minus_one_length(eps) -> Fraction:
    """Total length of the −1 intervals of Eq. (2) inside [0, 1]: the all-one classifier's R_nat = R_rob."""
    return sum((b - a for a, b, s in toy_labels(eps) if s == -1), Fraction(0))


# ----------------------------------------------------------------------------- Monte Carlo


def _sign_at(intervals: list[Interval], x: np.ndarray) -> np.ndarray:
    starts = np.array([float(a) for a, _, _ in intervals])
    signs = np.array([s for *_, s in intervals])
    return signs[np.clip(np.searchsorted(starts, x, side="right") - 1, 0, len(signs) - 1)]


def _distance(x: np.ndarray, spans: list[tuple]) -> np.ndarray:
    d = np.full(len(x), np.inf)
    for lo, hi in spans:
        d = np.minimum(d, np.maximum(np.maximum(float(lo) - x, x - float(hi)), 0.0))
    return d


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n (sensible at k = 0 and k = n)."""
    p = k / n
    centre, half = (p + z * z / (2 * n)), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def monte_carlo_risks(labels: Sequence[Interval], classifier: Sequence[Interval], eps, *, n: int,
                      rng: np.random.Generator) -> dict:
    """The three risks estimated on n uniform draws, with 95% Wilson intervals, and whether every draw obeys
    the identity (robust mistake = clean mistake or, disjointly, correct but within ε of the boundary)."""
    e = check_toy_eps(eps)
    n = check_int(n, "n")
    labels, classifier = check_intervals(labels, "labels"), check_intervals(classifier, "classifier")
    x = rng.random(n)
    y, c = _sign_at(labels, x), _sign_at(classifier, x)
    dist = {s: _distance(x, [(a, b) for a, b, t in classifier if t == s]) for s in (-1, 1)}
    nat = c != y
    rob = np.where(y > 0, dist[-1], dist[1]) <= float(e)
    bdy = (c == y) & (np.where(c > 0, dist[-1], dist[1]) <= float(e))
    out = {}
    for key, hits in (("nat", nat), ("bdy", bdy), ("rob", rob)):
        k = int(hits.sum())
        out[key] = {"estimate": k / n, "ci": wilson_interval(k, n)}
    out["identity_per_draw"] = bool(np.all(rob == (nat | bdy)) and not np.any(nat & bdy))
    return out


# ----------------------------------------------------------------------------- trained 1-D models


def sign_intervals(signs: np.ndarray) -> list[Interval]:
    """A classifier from its signs at the cell centres (i + ½)/G of [0, 1], G = len(signs): constant on each
    cell, so every change of sign sits on a cell edge i/G (an exact fraction)."""
    signs = np.asarray(signs)
    g = len(signs)
    edges = [0] + [i for i in range(1, g) if signs[i] != signs[i - 1]] + [g]
    return [(Fraction(edges[j], g), Fraction(edges[j + 1], g), int(signs[edges[j]])) for j in range(len(edges) - 1)]


def toy_sample(eps, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n draws of (X, Y) from Eq. (2); Y in {−1, +1}."""
    n = check_int(n, "n")
    x = rng.random(n)
    return x, _sign_at(toy_labels(eps), x)
