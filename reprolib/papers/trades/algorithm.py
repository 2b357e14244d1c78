"""Section ``trades/algorithm``: the TRADES objective (Eq. 3 / Eq. 5) and Algorithm 1 as implemented by the shared
machinery (``reprolib.losses.TRADES`` and ``reprolib.attacks.trades_attack``); REPRO_SPEC Part I §1.1 and §2
trades.eq3 / eq5.

The record ``trades.eq3`` follows the inner maximisation on a small MNIST network trained naturally and one
trained with TRADES: KL(p(x) ‖ p(x'_k)) after k = 0, 1, …, K sign steps, from the algorithm's start
x + 0.001·N(0, I) and, for contrast, from x itself. Step k's value is that of an attack run for k steps from the
same seeded start (the ascent is deterministic given its start), so every point of the curve is the library's
own attack, not a re-implementation of it.
"""
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch
import torch.nn.functional as F

from ... import attacks, losses, metrics, models, results
from ...claims import claim
from ...errors import ConfigError
from ...plotting import PALETTE
from .training import mnist_model, mnist_subsets

KEYS = ("arch", "n_train", "n_eval", "eps", "beta", "attack_steps", "attack_step_size", "epochs", "batch_size", "lr",
        "optimizer", "trajectory_steps", "seed")


def kl_trajectory(model, x: torch.Tensor, *, eps: float, steps: int, step_size: float, start: str | None,
                  seed: int) -> np.ndarray:
    """Per-example KL(p(x) ‖ p(x'_k)) for k = 0..steps, shape (steps + 1, n)."""
    with torch.no_grad(), attacks.eval_mode(model):
        p_clean = F.softmax(model(x), 1)
        torch.manual_seed(seed)
        x0 = x + 0.001 * torch.randn_like(x) if start == "normal" else x.clone()
        x0 = attacks.LinfStep(x, eps, step_size).project(x0)
        values = [attacks.kl_objective(model(x0), p_clean, x0 - x)]
    for k in range(1, steps + 1):
        torch.manual_seed(seed)
        _, v = attacks.maximize(model, x, p_clean, objective=attacks.kl_objective, eps=eps, steps=k,
                                step_size=step_size, start=start, final_value=True)
        values.append(v)
    return torch.stack(values).numpy()


def stationary_gradients(model, x: torch.Tensor, seed: int) -> dict:
    """Largest |∂ KL(p(x) ‖ p(x')) / ∂x'| at x' = x and at x' = x + 0.001·N(0, I), in float64 on a copy of the model
    (in float32 the zero gradient at x is rounding noise, which the sign step turns into a full step)."""
    import copy

    net = copy.deepcopy(model).double().eval()
    xd = x.double()
    torch.manual_seed(seed)
    out = {}
    for name, start in (("at_x", xd), ("at_noise", xd + 0.001 * torch.randn_like(xd))):
        xs = start.clone().requires_grad_(True)
        with torch.enable_grad():
            p_clean = F.softmax(net(xd), 1).detach()
            (g,) = torch.autograd.grad(attacks.kl_objective(net(xs), p_clean, xs - xd).sum(), xs)
        out[name] = float(g.abs().max())
    return out


def beta_zero_gap(model, x: torch.Tensor, y: torch.Tensor, cfg: dict) -> float:
    """|TRADES loss at β = 0 − cross-entropy| on a batch, in eval mode (no dropout): the objective reduces to CE."""
    loss = losses.build("trades", eps=cfg["eps"], steps=cfg["attack_steps"], step_size=cfg["attack_step_size"],
                        beta=0.0)
    with attacks.eval_mode(model):
        value, _ = loss(model, x, y)
        ce = F.cross_entropy(model(x), y)
    return float(abs(value.detach() - ce.detach()))


def compute_algorithm(cfg: dict) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    models.check_name(cfg["arch"])
    if cfg["trajectory_steps"] < cfg["attack_steps"]:
        raise ConfigError(f"trajectory_steps={cfg['trajectory_steps']!r} must be >= attack_steps="
                          f"{cfg['attack_steps']!r} (the curve must reach the training K)")
    _, (x, y) = mnist_subsets(cfg["n_train"], cfg["n_eval"], cfg["seed"])
    rows, histories, gaps, grads = [], {}, {}, {}
    for method in ("natural", "trades"):
        model, hist = mnist_model(cfg["arch"], method, cfg, cfg["seed"])
        name = "natural" if method == "natural" else f"TRADES (β = {cfg['beta']:g})"
        histories[name] = hist
        gaps[name] = beta_zero_gap(model, x[:200], y[:200], cfg)
        grads[name] = stationary_gradients(model, x[:200], cfg["seed"] + 2)
        acc = metrics.accuracy(model, x, y)
        for start in ("normal", None):
            kl = kl_trajectory(model, x, eps=cfg["eps"], steps=cfg["trajectory_steps"],
                               step_size=cfg["attack_step_size"], start=start, seed=cfg["seed"] + 1)
            for k, v in enumerate(kl):
                rows.append({"model": name, "start": "x + 0.001·N(0, I)" if start else "x (no noise)", "step": k,
                             "kl_mean": float(v.mean()), "kl_q25": float(np.quantile(v, 0.25)),
                             "kl_median": float(np.median(v)), "kl_q75": float(np.quantile(v, 0.75)),
                             "kl_max": float(v.max()), "moved": float(np.mean(v > 0)), "clean_acc": acc})
    return {"rows": rows, "claims": algorithm_claims(rows, gaps, grads, cfg["attack_steps"]),
            "status": "reproduced", "histories": histories, "beta_zero_gap": gaps, "gradients": grads, "seeds": [cfg["seed"]],
            "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "notes": f"Algorithm 1 as coded in reprolib (KL inner maximisation, [0, 1] clipping); {cfg['arch']} on "
                     f"{cfg['n_train']} MNIST images, trajectories on {cfg['n_eval']} test images"}


def algorithm_claims(rows: list[dict], gaps: dict, grads: dict, train_steps: int) -> list[dict]:
    def curve(model, start):
        return [r for r in sorted(rows, key=lambda r: r["step"]) if r["model"] == model and r["start"] == start]

    names = list(dict.fromkeys(r["model"] for r in rows))
    noisy = "x + 0.001·N(0, I)"
    out = []
    rise = {m: (curve(m, noisy)[0]["kl_mean"], curve(m, noisy)[train_steps]["kl_mean"]) for m in names}
    out.append(claim("trades.eq3.ascent", f"The inner maximisation raises KL(p(x) ‖ p(x')) from its start: after "
                     f"K = {train_steps} steps it is far above its starting value, for both models",
                     all(b > 100 * max(a, 1e-12) for a, b in rise.values()),
                     "; ".join(f"{m}: {a:.1e} → {b:.3f}" for m, (a, b) in rise.items())))
    nat, trd = names[0], names[1]
    below = all(t["kl_mean"] <= n["kl_mean"] for n, t in zip(curve(nat, noisy)[1:], curve(trd, noisy)[1:]))
    out.append(claim("trades.eq3.smoother", "The TRADES-trained model keeps a smaller KL than the natural model at "
                     "every step (its outputs change less inside the ball)", below,
                     f"after K = {train_steps}: {curve(nat, noisy)[train_steps]['kl_mean']:.3f} (natural) vs "
                     f"{curve(trd, noisy)[train_steps]['kl_mean']:.3f} (TRADES)"))
    ok = all(g["at_x"] <= 1e-12 and g["at_noise"] >= 1e3 * max(g["at_x"], 1e-300) for g in grads.values())
    out.append(claim("trades.eq3.start", "x itself is a stationary point of the inner objective (zero KL, zero "
                     "gradient), which is why Algorithm 1 starts at x + 0.001·N(0, I)", ok,
                     "largest |∇KL| in float64 at x vs at the noisy start: "
                     + "; ".join(f"{m}: {g['at_x']:.1e} vs {g['at_noise']:.1e}" for m, g in grads.items())))
    out.append(claim("trades.eq3.beta_zero", "With β = 0 the TRADES objective is plain cross-entropy",
                     all(g <= 1e-5 for g in gaps.values()),
                     "largest |loss − CE| = " + f"{max(gaps.values()):.1e}"))
    return out


def run_algorithm(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    sub = {k: cfg[k] for k in KEYS}
    return {"trades.eq3": results.cached("trades.eq3", profile=profile, config=sub, recompute=recompute,
                                         compute=lambda: compute_algorithm(sub))}


def kl_figure(record: dict, floor: float = 1e-10) -> plt.Figure:
    """Mean KL (and the interquartile band) along the inner-maximisation steps, both models, both starts, on a log
    scale (values below ``floor``, such as the exact 0 at x itself, are drawn at the floor)."""
    rows, k_train = record["rows"], record["config"]["attack_steps"]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    names = list(dict.fromkeys(r["model"] for r in rows))
    colours = dict(zip(names, sns.color_palette(PALETTE, len(names))))
    for name in names:
        for start, ls in (("x + 0.001·N(0, I)", "-"), ("x (no noise)", ":")):
            rs = sorted((r for r in rows if r["model"] == name and r["start"] == start), key=lambda r: r["step"])
            steps = [r["step"] for r in rs]
            ax.plot(steps, [max(r["kl_mean"], floor) for r in rs], ls, marker="o", ms=3, color=colours[name],
                    label=f"{name}, start {start}")
            if ls == "-":
                ax.fill_between(steps, [max(r["kl_q25"], floor) for r in rs], [max(r["kl_q75"], floor) for r in rs],
                                color=colours[name], alpha=0.15)
    ax.set_yscale("log")
    ax.axvline(k_train, color="grey", ls="--", lw=1)
    ax.annotate(f"K = {k_train} (training)", (k_train, 1), xytext=(4, -12), textcoords="offset points",
                xycoords=("data", "axes fraction"), fontsize=8, color="grey")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set(xlabel="inner step k", ylabel="KL(p(x) ‖ p(x'_k)), mean over test images",
           title=f"ε = {record['config']['eps']:g}, step {record['config']['attack_step_size']:g}")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def history_frame(record: dict):
    """The per-epoch loss statistics of the two trainings (cross-entropy, and the KL term for TRADES)."""
    import pandas as pd

    frames = [pd.DataFrame(h).assign(model=name) for name, h in record["histories"].items()]
    return pd.concat(frames).set_index(["model", "epoch"])
