"""Section ``trades/fig1``: the paper's Figure 1 in two dimensions (REPRO_SPEC Part I §2 trades.fig1, an
illustration with no published numbers).

Two interleaved half-moons in the unit square, thinned so that points of different classes are at least
``min_gap`` apart in ℓ∞ (a classifier with zero robust training error at radius ε exists when min_gap > 2ε).
The same small MLP is trained naturally and with the TRADES loss through the one training loop; the robust
training error of each is the fraction of training points for which some point of the ℓ∞ ball B(x, ε) ∩ [0, 1]²
is misclassified, searched by PGD with restarts *and* by a dense grid over the ball (in two dimensions the grid
leaves little room; a point counts as a robust mistake if either search finds one). The record stores both
models' weights, so the figure is redrawn from the record alone.
"""
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Rectangle

from ... import attacks, metrics, models, results
from ...claims import claim
from ...errors import ConfigError
from ...numerics import check_int, check_positive
from .training import (
    model_from_lists,
    one_thread,
    state_as_lists,
    trades_or_natural,
    train,
)

KEYS = ("n_points", "noise", "min_gap", "eps", "beta", "attack_steps", "width", "depth", "epochs", "lr",
        "eval_steps", "eval_restarts", "ball_grid", "seed", "spread_seeds")


def moons(n: int, noise: float, min_gap: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two half-moons (n draws per class before thinning) scaled into [0.1, 0.9]²; a point is dropped when it lies
    within ``min_gap`` (ℓ∞) of an already kept point of the other class. Labels 1 (upper moon) and 0."""
    n = check_int(n, "n_points", low=2)
    noise = float(noise)
    if noise < 0:
        raise ConfigError(f"noise={noise!r} must be >= 0")
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, (2, n))
    upper = np.stack([np.cos(t[0]), np.sin(t[0])], 1)
    lower = np.stack([1 - np.cos(t[1]), 0.5 - np.sin(t[1])], 1)
    x = np.concatenate([upper, lower]) + rng.normal(0, noise, (2 * n, 2))
    y = np.concatenate([np.ones(n, int), np.zeros(n, int)])
    order = rng.permutation(2 * n)
    x, y = x[order], y[order]
    x = 0.1 + 0.8 * (x - x.min(0)) / (x.max(0) - x.min(0))
    keep: list[int] = []
    for i in range(len(x)):
        other = [j for j in keep if y[j] != y[i]]
        if not other or np.abs(x[other] - x[i]).max(1).min() >= min_gap:
            keep.append(i)
    return x[keep].astype(np.float32), y[keep]


def ball_offsets(eps: float, k: int) -> torch.Tensor:
    """A k × k grid of offsets covering the ℓ∞ ball of radius eps (its corners and edges included)."""
    u = torch.linspace(-eps, eps, k)
    return torch.cartesian_prod(u, u)


def robust_mistakes(model, x: torch.Tensor, y: torch.Tensor, cfg: dict) -> dict:
    """Per training point: clean mistake; mistake found by PGD (``eval_restarts`` random starts, final iterates);
    mistake found on the grid over B(x, ε) ∩ [0, 1]²; robust mistake = any of them."""
    eps = cfg["eps"]
    clean = metrics.predict(model, x) != y
    pgd = torch.zeros_like(clean)
    for r in range(cfg["eval_restarts"]):
        torch.manual_seed(cfg["seed"] + 100 + r)
        x_adv = attacks.pgd(model, x, y, eps=eps, steps=cfg["eval_steps"], step_size=eps / 4)
        pgd |= metrics.predict(model, x_adv) != y
    off = ball_offsets(eps, cfg["ball_grid"])
    pts = (x[:, None, :] + off[None]).clamp(0, 1).reshape(-1, 2)
    grid = (metrics.predict(model, pts).reshape(len(x), -1) != y[:, None]).any(1)
    return {"clean": clean, "pgd": pgd, "grid": grid, "robust": clean | pgd | grid}


def _check(cfg: dict) -> None:
    check_positive(cfg["eps"], "eps")
    check_positive(cfg["min_gap"], "min_gap")
    check_int(cfg["eval_restarts"], "eval_restarts")
    check_int(cfg["ball_grid"], "ball_grid", low=2)
    if any(not isinstance(s, int) or s == cfg["seed"] for s in cfg["spread_seeds"]):
        raise ConfigError(f"spread_seeds={cfg['spread_seeds']!r} must be integers other than seed={cfg['seed']!r}")
    if cfg["beta"] <= 0:
        raise ConfigError(f"beta={cfg['beta']!r} must be > 0 (the TRADES model; the natural one is trained as well)")


def compute_fig1(cfg: dict) -> dict:
    with one_thread():
        return _compute_fig1(cfg)


def _one_seed(cfg: dict, seed: int) -> tuple[list[dict], dict, np.ndarray, np.ndarray]:
    """Data and both trainings for one seed: a row per model, their weights, the data."""
    xs, ys = moons(cfg["n_points"], cfg["noise"], cfg["min_gap"], seed)
    x, y = torch.tensor(xs), torch.tensor(ys)
    rows, weights = [], {}
    for name, beta in (("natural", 0.0), (f"TRADES (β = {cfg['beta']:g})", cfg["beta"])):
        torch.manual_seed(seed)
        net = models.build("MLP", in_features=2, num_classes=2, width=cfg["width"], depth=cfg["depth"])
        loss = trades_or_natural(beta, eps=cfg["eps"], steps=cfg["attack_steps"],
                                 step_size=2 * cfg["eps"] / cfg["attack_steps"])
        net, _ = train(net, x, y, loss, epochs=cfg["epochs"], batch_size=len(x), lr=cfg["lr"], seed=seed)
        m = robust_mistakes(net, x, y, {**cfg, "seed": seed})
        n = len(y)
        rows.append({"kind": "figure" if seed == cfg["seed"] else "seed", "seed": seed, "model": name,
                     "beta": float(beta), "n": n, "clean_error": m["clean"].sum().item() / n,
                     "robust_error": m["robust"].sum().item() / n,
                     "robust_error_pgd": (m["clean"] | m["pgd"]).sum().item() / n,
                     "robust_error_grid": (m["clean"] | m["grid"]).sum().item() / n,
                     "separation": float(np.abs(xs[ys == 1][:, None] - xs[ys == 0][None]).max(2).min()),
                     "robust_wrong": m["robust"].nonzero().squeeze(1).tolist()})
        weights[name] = state_as_lists(net)
    return rows, weights, xs, ys


def _compute_fig1(cfg: dict) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    _check(cfg)
    rows, weights, xs, ys = _one_seed(cfg, cfg["seed"])
    for seed in cfg["spread_seeds"]:
        rows += _one_seed(cfg, seed)[0]
    return {"rows": rows, "claims": fig1_claims(rows, cfg["eps"]), "status": "reproduced",
            "data": {"x": xs.round(6).tolist(), "y": ys.tolist(), "separation": rows[0]["separation"]},
            "weights": weights, "seeds": [cfg["seed"], *cfg["spread_seeds"]],
            "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "notes": "our 2-D version of the illustration (two moons, small MLP, one thread); the paper gives no "
                     "data or numbers"}


def fig1_claims(rows: list[dict], eps: float) -> list[dict]:
    nat, trd = (r for r in rows if r["kind"] == "figure")
    seeds = sorted({r["seed"] for r in rows})
    pairs = [[r for r in rows if r["seed"] == s] for s in seeds]
    fit_all = sum(all(r["clean_error"] == 0 for r in p) for p in pairs)
    lower = [p[1]["robust_error"] < p[0]["robust_error"] for p in pairs]
    return [
        claim("trades.fig1.separated", "Every toy set is more than 2ε-separated, so zero robust training error is "
              "possible", all(r["separation"] > 2 * eps for r in rows),
              f"smallest ℓ∞ distance between classes {min(r['separation'] for r in rows):.3f} vs 2ε = {2 * eps:g}"),
        claim("trades.fig1.both_fit", "Both methods reach zero natural training error (the figure's seed)",
              nat["clean_error"] == 0 and trd["clean_error"] == 0,
              f"natural {nat['clean_error']:.1%}, TRADES {trd['clean_error']:.1%}; both fit every point in "
              f"{fit_all} of {len(seeds)} seeds"),
        claim("trades.fig1.trades_more_robust", "TRADES has the lower robust training error, in every seed",
              all(lower), "; ".join(f"seed {s}: natural {p[0]['robust_error']:.1%}, TRADES {p[1]['robust_error']:.1%}"
                                    for s, p in zip(seeds, pairs)) + f" (ε = {eps:g})"),
    ]


def run_fig1(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    sub = {k: cfg[k] for k in KEYS}
    return {"trades.fig1": results.cached("trades.fig1", profile=profile, config=sub, recompute=recompute,
                                          compute=lambda: compute_fig1(sub))}


def fig1_figure(record: dict, side: int = 200) -> plt.Figure:
    """Both decision boundaries with the training points and their ε-boxes; points with a robust mistake are
    ringed. The natural boundary is repeated, dotted, on the TRADES panel (as in the paper's figure)."""
    cfg = record["config"]
    x, y = np.array(record["data"]["x"]), np.array(record["data"]["y"])
    u = torch.linspace(0, 1, side)
    grid = torch.cartesian_prod(u, u)[:, [1, 0]]
    scores = {}
    for name, state in record["weights"].items():
        net = model_from_lists(models.build("MLP", in_features=2, num_classes=2, width=cfg["width"],
                                            depth=cfg["depth"]), state)
        with torch.no_grad():
            logits = net(grid)
        scores[name] = (logits[:, 1] - logits[:, 0]).reshape(side, side).numpy()
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.2), sharey=True)
    names = list(scores)
    for ax, row in zip(axes, [r for r in record["rows"] if r["kind"] == "figure"]):
        s = scores[row["model"]]
        ax.contourf(u, u, np.sign(s), levels=[-1.5, 0, 1.5], colors=["#d1e5f0", "#fddbc7"])
        ax.contour(u, u, s, levels=[0], colors="black", linewidths=1.5)
        if row["model"] != names[0]:
            ax.contour(u, u, scores[names[0]], levels=[0], colors="#e66101", linewidths=1.2, linestyles=":")
        wrong = set(row["robust_wrong"])
        for i, (p, c) in enumerate(zip(x, y)):
            colour = "#b2182b" if c == 1 else "#2166ac"
            ax.add_patch(Rectangle(p - cfg["eps"], 2 * cfg["eps"], 2 * cfg["eps"], fill=False, lw=0.6,
                                   edgecolor=colour, alpha=0.7))
            ax.plot(*p, "o", ms=4, color=colour)
            if i in wrong:
                ax.plot(*p, "o", ms=11, mfc="none", mec="black", mew=1.2)
        ax.set(title=f"{row['model']}: training error {row['clean_error']:.0%}, robust {row['robust_error']:.0%}",
               xlim=(0, 1), ylim=(0, 1), aspect="equal", xlabel="$x_1$")
        ax.grid(False)
    axes[0].set_ylabel("$x_2$")
    fig.tight_layout()
    return fig
