"""cake §3, Theorem 3.1 (Tsipras et al. 2019's trade-off), section ``cake/tsipras``: the robust-accuracy ceiling
for a given clean accuracy, the averaging classifier ``g_avg`` and ``sign(x1)``, and linear logistic regression
trained naturally or against the worst-case ℓ∞ perturbation, exactly and by Monte Carlo (REPRO_SPEC Part I §3
``cake.thm3_1``; errata Part I §5 items 1–2: the bound is "at most", and η must be *at least* of order 1/√d).
"""
from __future__ import annotations

import math
import time
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import results
from ...claims import claim
from ...errors import ConfigError
from ...numerics import (
    check_int,
    check_nonnegative,
    check_p,
    check_positive,
    chunk_rows,
    is_number,
    mc_tolerance,
    normal_cdf,
    normal_quantile,
)
from ...plotting import PALETTE, PAPER_MARKER

# cake §3: p = 0.95; clean accuracy ≥ 96% / ≥ 99% ⇒ robust accuracy 76% / 19% (printed "≥"; the theorem gives ≤).
CAKE_PAPER = {"p": 0.95, "robust_bound": {0.96: 0.76, 0.99: 0.19}}

# ============================================================================= Theorem 3.1: closed forms


def tsipras_robust_bound(clean_accuracy: float, p: float) -> float:
    """Theorem 3.1: clean accuracy >= 1 − δ ⇒ robust accuracy (ℓ∞, ε >= 2η) is **at most** p/(1−p)·δ (cap 1)."""
    p = check_p(p)
    if not is_number(clean_accuracy) or not 0 <= clean_accuracy <= 1:
        raise ConfigError(f"clean_accuracy={clean_accuracy!r} must be in [0, 1]")
    return min(1.0, p / (1 - p) * (1 - clean_accuracy))


def tsipras_sample(p: float, d: int, eta: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n draws: y = ±1 w.p. ½; x_1 = y w.p. p else −y; x_2..x_{d+1} i.i.d. N(ηy, 1). x has shape (n, d+1)."""
    p = check_p(p)
    d = check_int(d, "d")
    eta = check_positive(eta, "eta")
    n = check_int(n, "n")
    y = 2 * rng.integers(0, 2, size=n) - 1
    x1 = np.where(rng.random(n) < p, y, -y)
    g = rng.standard_normal((n, d)) + eta * y[:, None]
    return np.concatenate([x1[:, None].astype(float), g], axis=1), y


def g_avg_accuracies(eta_sqrt_d: float, eps_over_eta: float = 2.0) -> tuple[float, float]:
    """g_avg(x) = sign(mean of x_2..x_{d+1}): clean Φ(η√d); worst-case robust at ε = k·η is Φ((1 − k)·η√d),
    so Φ(−η√d) = 1 − clean at the theorem's ε = 2η. Depends on η and d only through η√d."""
    t = check_nonnegative(eta_sqrt_d, "eta_sqrt_d")
    k = check_nonnegative(eps_over_eta, "eps_over_eta")
    return normal_cdf(t), normal_cdf((1 - k) * t)


def sign_x1_accuracies(p: float, eps: float) -> tuple[float, float]:
    """sign(x_1): clean p; robust p while ε < 1 (x_1 = ±1 cannot be pushed to 0), else 0. It meets the bound."""
    p = check_p(p)
    eps = check_nonnegative(eps, "eps")
    return p, (p if eps < 1 else 0.0)


def eta_sqrt_d_for_clean(target: float) -> float:
    """The η√d at which g_avg's clean accuracy Φ(η√d) reaches ``target`` (2.3263 for 99%)."""
    return normal_quantile(target)


def linear_accuracies(w: np.ndarray, x: np.ndarray, y: np.ndarray, eps: float) -> tuple[int, int]:
    """Correct counts of sign(wᵀx): clean, and under the worst ℓ∞ perturbation of size eps (y·wᵀx > eps·‖w‖₁)."""
    eps = check_nonnegative(eps, "eps")
    margin = y * (x @ w)
    return int(np.sum(margin > 0)), int(np.sum(margin - eps * np.abs(w).sum() > 0))


def linear_tsipras_accuracies(w: np.ndarray, p: float, eta: float, eps: float) -> tuple[float, float]:
    """Exact clean and worst-case ℓ∞ (radius eps) accuracy of sign(wᵀx) on the Tsipras distribution.

    Given y and x_1 = s·y (s = +1 w.p. p), y·wᵀx ~ N(s·w_1 + η·Σ_{i≥2} w_i, ‖w_{2..}‖²); the worst perturbation
    lowers it by eps·‖w‖₁. So accuracy = p·Φ((w_1 + μ − k)/σ) + (1−p)·Φ((−w_1 + μ − k)/σ), k = 0 or eps·‖w‖₁."""
    p = check_p(p)
    eta = check_nonnegative(eta, "eta")
    eps = check_nonnegative(eps, "eps")
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
    p = check_p(p)
    d = check_int(d, "d")
    n = check_int(n, "n")
    eta = check_positive(eta_sqrt_d, "eta_sqrt_d") / math.sqrt(d)
    ts = list(dict.fromkeys([float(eta_sqrt_d)] + [check_positive(t, "eta_sqrt_d") for t in grid]))
    weights = weights or {}
    for name, w in weights.items():
        if np.shape(w) != (d + 1,):
            raise ConfigError(f"weights[{name!r}] must have shape ({d + 1},)")
    rng = np.random.default_rng(seed)
    hits = {f"g_avg@{t:g}": [0, 0] for t in ts}
    hits["sign(x1)"] = [0, 0]
    hits.update({name: [0, 0] for name in weights})
    rows = chunk_rows(d)
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
    eps = check_nonnegative(eps, "eps")
    steps = check_int(steps, "steps")
    lr = check_positive(lr, "lr")
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


# ============================================================================= Theorem 3.1: records


def compute_tsipras(cfg: dict) -> dict:
    """Thm 3.1's numbers, g_avg / sign(x1) exact and by Monte Carlo, and two trained linear models."""
    t0 = time.perf_counter()
    p, d, t = cfg["p"], cfg["d"], cfg["eta_sqrt_d"]
    eta = t / math.sqrt(d)
    rng = np.random.default_rng(cfg["seed"])
    x, y = tsipras_sample(p, d, eta, cfg["n_fit"], rng)
    weights = {"logistic (natural)": fit_linear_logistic(x, y, eps=0.0, steps=cfg["fit_steps"]),
               "logistic (adversarial, ε = 2η)": fit_linear_logistic(x, y, eps=2 * eta, steps=cfg["fit_steps"])}
    mc = tsipras_monte_carlo(p=p, d=d, eta_sqrt_d=t, grid=cfg["eta_sqrt_d_grid"], n=cfg["n_mc"],
                               seed=cfg["seed"] + 1, weights=weights)
    tol = mc_tolerance(cfg["n_mc"], reference_n=100_000)
    rows = []
    for target in cfg["clean_targets"]:
        paper = CAKE_PAPER["robust_bound"].get(round(target, 6)) if p == CAKE_PAPER["p"] else None
        rows.append({"kind": "bound", "case": f"clean accuracy ≥ {target:.0%}", "clean": target,
                     "robust": tsipras_robust_bound(target, p), "clean_mc": None, "robust_mc": None,
                     "bound": tsipras_robust_bound(target, p), "x1_weight_share": None,
                     "paper": {"robust": paper} if paper is not None else {},
                     "paper_relation": "printed as ≥; the theorem gives ≤" if paper is not None else ""})

    def classifier_row(case, key, clean, robust, share=None):
        m = mc[key]
        return {"kind": "classifier", "case": case, "clean": clean, "robust": robust, "clean_mc": m["clean"],
                "robust_mc": m["robust"], "bound": tsipras_robust_bound(clean, p), "x1_weight_share": share,
                "tolerance": tol, "paper": {}, "paper_relation": ""}

    for g in sorted({t, *cfg["eta_sqrt_d_grid"]}):
        clean, robust = g_avg_accuracies(g)
        rows.append({**classifier_row(f"g_avg, η√d = {g:g}", f"g_avg@{g:g}", clean, robust), "eta_sqrt_d": g})
    clean, robust = sign_x1_accuracies(p, 2 * eta)
    rows.append(classifier_row("sign(x1)", "sign(x1)", clean, robust))
    for name, w in weights.items():   # a linear rule's clean and worst-case accuracies are exact, too
        clean, robust = linear_tsipras_accuracies(w, p, eta, 2 * eta)
        rows.append(classifier_row(name, name, clean, robust, float(abs(w[0]) / np.abs(w).sum())))
    threshold = eta_sqrt_d_for_clean(0.99)
    return {"rows": rows, "claims": tsipras_claims(rows, p, threshold), "status": "reproduced",
            "eta": eta, "eps": 2 * eta, "ratio": p / (1 - p), "eta_sqrt_d_for_99": threshold,
            "seeds": [cfg["seed"]], "seconds": time.perf_counter() - t0,
            "notes": "Robust accuracies are exact worst cases over the ℓ∞ ball of radius 2η for these linear rules."}


def tsipras_claims(rows: list[dict], p: float, threshold: float) -> list[dict]:
    out = []
    bounds = [r for r in rows if r["kind"] == "bound" and r["paper"]]
    if bounds:
        ok = all(abs(r["robust"] - r["paper"]["robust"]) < 1e-9 for r in bounds)
        out.append(claim("cake.thm3_1.numbers", "With p = 0.95, clean accuracy ≥ 96% / ≥ 99% caps robust accuracy "
                         "at 76% / 19% (an upper bound: the review's '≥' should read 'at most')", ok,
                         "; ".join(f"{r['case']}: ≤ {r['robust']:.4f}" for r in bounds)))
    cls = [r for r in rows if r["kind"] == "classifier"]
    gav = [r for r in cls if r["case"].startswith("g_avg")]
    if gav:
        sym = all(abs(r["robust_mc"] - (1 - r["clean_mc"])) <= 2 * r["tolerance"] for r in gav)
        out.append(claim("cake.thm3_1.g_avg", "g_avg's robust accuracy at ε = 2η is one minus its clean accuracy "
                         "(Monte Carlo)", sym, "; ".join(f"η√d = {r['eta_sqrt_d']:g}: {r['clean_mc']:.4f} / "
                                                         f"{r['robust_mc']:.4f}" for r in gav)))
    sx = [r for r in cls if r["case"] == "sign(x1)"]
    if sx:
        r = sx[0]
        ok = (abs(r["clean"] - p) < 1e-12 and abs(r["robust"] - p) < 1e-12 and abs(r["bound"] - p) < 1e-12
              and abs(r["clean_mc"] - p) <= r["tolerance"] and abs(r["robust_mc"] - p) <= r["tolerance"])
        out.append(claim("cake.thm3_1.attained", "sign(x1) attains the bound: clean = robust = p", ok,
                         f"Monte Carlo clean {r['clean_mc']:.4f}, robust {r['robust_mc']:.4f}; bound at clean p: "
                         f"{r['bound']:.4f}"))
    if cls:
        ok = all(r["robust"] <= r["bound"] + 1e-12 for r in cls)
        worst = max(cls, key=lambda r: r["robust"] - r["bound"])
        out.append(claim("cake.thm3_1.every_classifier", f"Every classifier here, trained ones included, has robust "
                         f"accuracy ≤ {p / (1 - p):g}·(1 − clean accuracy) (exact values)", ok,
                         f"closest to the ceiling: {worst['case']} (robust {worst['robust']:.4f}, "
                         f"ceiling {worst['bound']:.4f})"))
        diff = max(max(abs(r["clean_mc"] - r["clean"]), abs(r["robust_mc"] - r["robust"])) for r in cls)
        out.append(claim("cake.thm3_1.monte_carlo", "Monte Carlo agrees with every exact clean and robust accuracy "
                         "within the tolerance", diff <= cls[0]["tolerance"],
                         f"largest |MC − exact| = {diff:.4f} (tolerance {cls[0]['tolerance']:.4f})"))
    out.append(claim("cake.thm3_1.eta_order", "Clean accuracy 99% for g_avg needs η√d ≥ 2.3263, i.e. η at least of "
                     "order 1/√d (the review writes O(1/√d))", abs(threshold - 2.3263) < 1e-3,
                     f"Φ⁻¹(0.99) = {threshold:.4f}"))
    nat = [r for r in cls if r["case"] == "logistic (natural)"]
    adv = [r for r in cls if r["case"].startswith("logistic (adversarial")]
    if nat and adv:
        n_, a_ = nat[0], adv[0]
        ok = (n_["x1_weight_share"] < 0.05 < 0.5 < a_["x1_weight_share"] and n_["robust"] < 0.05
              and abs(a_["clean"] - p) <= 0.01 and abs(a_["robust"] - p) <= 0.01)
        out.append(claim("cake.thm3_1.trained", "Natural logistic regression behaves like g_avg (little weight on x1, "
                         "not robust); adversarial training makes it behave like sign(x1)", ok,
                         f"share of ℓ1 weight on x1: natural {n_['x1_weight_share']:.3f}, adversarial "
                         f"{a_['x1_weight_share']:.3f}; robust: natural {n_['robust']:.4f}, adversarial "
                         f"{a_['robust']:.4f}"))
    return out


def run_tsipras(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    return {"cake.thm3_1": results.cached("cake.thm3_1", profile=profile, config=cfg, recompute=recompute,
                                          compute=lambda: compute_tsipras(cfg))}


# ============================================================================= Theorem 3.1: table and figure


def tsipras_table(rows: list[dict]) -> pd.DataFrame:
    cols = {"clean": "clean (exact)", "clean_mc": "clean (MC)", "robust": "robust (exact)", "robust_mc": "robust (MC)",
            "bound": "ceiling p/(1−p)·(1 − clean)", "x1_weight_share": "ℓ1 weight on x1"}
    sub = pd.DataFrame([r for r in rows if r["kind"] == "classifier"]).set_index("case")[list(cols)]
    pct = [k for k in cols if k != "x1_weight_share"]
    sub[pct] = 100 * sub[pct].astype(float)
    return sub.rename(columns=cols)


def tsipras_figure(record: dict, p: float) -> plt.Figure:
    """Clean vs robust accuracy: the theorem's ceiling (and the infeasible region above it), g_avg's curve,
    the exact accuracies of every classifier, and the review's two numbers (X)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    clean = np.linspace(0.5, 1, 201)
    ceiling = np.array([tsipras_robust_bound(v, p) for v in clean])
    ax.fill_between(100 * clean, 100 * ceiling, 100, color="grey", alpha=0.2, label="impossible (Thm 3.1)")
    ax.plot(100 * clean, 100 * ceiling, color="black", lw=1.2, label=f"ceiling {p / (1 - p):g}·(1 − clean)")
    t = np.linspace(0, 4, 101)
    ax.plot(100 * normal_cdf(t), 100 * normal_cdf(-t), color="grey", ls="--", lw=1, label="g_avg, any η√d")
    cls = [r for r in record["rows"] if r["kind"] == "classifier"]
    colours = dict(zip([r["case"] for r in cls], sns.color_palette(PALETTE, len(cls))))
    for r in cls:
        style = ({"marker": "*", "s": 220} if r["case"] == "sign(x1)" else
                 {"marker": "s", "s": 60, "facecolors": "none", "linewidths": 2} if r["case"].startswith("logistic")
                 else {"marker": "o", "s": 40})
        ax.scatter(100 * r["clean"], 100 * r["robust"], color=colours[r["case"]], zorder=3, label=r["case"], **style)
    for r in record["rows"]:
        if r["kind"] == "bound" and r["paper"]:
            ax.scatter(100 * r["clean"], 100 * r["paper"]["robust"], color="white", zorder=4, **PAPER_MARKER)
    ax.scatter([], [], color="white", label="review's numbers (as ceilings)", **PAPER_MARKER)
    ax.set(xlabel="clean accuracy (%)", ylabel="robust accuracy at ε = 2η (%)", xlim=(80, 100.5), ylim=(-2, 100))
    ax.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    return fig
