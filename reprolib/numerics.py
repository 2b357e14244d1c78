"""Small numerics shared by the theory pages: the normal CDF and quantile, the Monte Carlo tolerance, and
argument checks that raise :class:`reprolib.errors.ConfigError` naming the bad parameter."""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from .errors import ConfigError

SQRT2 = math.sqrt(2.0)
MC_TOLERANCE = 0.005        # REPRO_SPEC: |Monte Carlo - closed form| <= 0.005 at n = 200,000
MC_REFERENCE_N = 200_000
CHUNK_VALUES = 4_000_000    # numbers of a Monte Carlo sample held in memory at once (32 MB of float64)


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
    n = check_int(n, "n")
    reference_n = check_int(reference_n, "reference_n")
    return MC_TOLERANCE * max(1.0, math.sqrt(reference_n / n))


def chunk_rows(d: int) -> int:
    """Rows per Monte Carlo chunk for inputs of dimension d (the random stream depends on it; fixed per d)."""
    return max(1000, CHUNK_VALUES // (d + 1))


def is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(float(v))


def check_p(p, name: str = "p") -> float:
    """Both distributions need 1/2 <= p < 1 (x0 or x1 agrees with y with probability p)."""
    if not is_number(p) or not 0.5 <= p < 1.0:
        raise ConfigError(f"{name}={p!r} must be a number in [0.5, 1)")
    return float(p)


def check_eta(eta, name: str = "eta") -> float:
    if not is_number(eta) or not 0.0 <= eta <= 1.0:
        raise ConfigError(f"{name}={eta!r} must be a number in [0, 1]")
    return float(eta)


def check_int(v, name: str, low: int = 1) -> int:
    if not isinstance(v, Integral) or isinstance(v, bool) or v < low:
        raise ConfigError(f"{name}={v!r} must be an integer >= {low}")
    return int(v)


def check_m_d(m, d) -> tuple[int, int]:
    d = check_int(d, "d")
    m = check_int(m, "m")
    if d % m:
        raise ConfigError(f"m={m} must divide d={d} (the shifts are by multiples of m)")
    return m, d


def check_positive(v, name: str) -> float:
    if not is_number(v) or v <= 0:
        raise ConfigError(f"{name}={v!r} must be a positive number")
    return float(v)


def check_nonnegative(v, name: str) -> float:
    if not is_number(v) or v < 0:
        raise ConfigError(f"{name}={v!r} must be a non-negative number")
    return float(v)
