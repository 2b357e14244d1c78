"""Section ``trades/decomposition``: robust error = natural error + boundary error (Eq. 1) and the toy example
(Eq. 2, Table 1, Fig. 2); REPRO_SPEC Part I §2 trades.eq1, trades.toy and erratum 14.

Two records:

* ``trades.toy``: the exact risks of the Bayes, all-one and all-minus-one classifiers for every ε of the grid, the
  same by Monte Carlo with 95% Wilson intervals, and the β-limits: a 1-D MLP trained with the TRADES loss on
  samples of Eq. (2) for a grid of β, its exact risks read off its sign pattern.
* ``trades.eq1``: the identity on the exact example, and per example on two small MNIST networks (natural and
  TRADES), with the boundary event measured by the same PGD run as the robust error.
"""
from __future__ import annotations

import time
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from ... import attacks, metrics, models, results
from ...claims import claim
from ...errors import ConfigError
from ...numerics import mc_tolerance
from ...plotting import PALETTE
from . import toy
from .training import mnist_model, mnist_subsets, one_thread, trades_or_natural, train
from .values import TABLE1, TOY_ALL_ONE_NAT

RISKS = ("nat", "bdy", "rob")
TOY_KEYS = ("eps_grid", "n_mc", "seed", "beta_eps", "betas", "n_fit", "width", "depth", "fit_epochs", "fit_batch",
            "fit_lr", "fit_attack_steps", "sign_grid")
EQ1_KEYS = ("arch", "n_train", "n_eval", "eps", "beta", "attack_steps", "attack_step_size", "epochs", "batch_size",
            "lr", "optimizer", "eval_steps", "eval_step_size", "seed")


def _f(v: Fraction) -> float:
    return float(v)


# ============================================================================= trades.toy


def toy_table1_rows(eps_grid, n_mc: int, seed: int) -> list[dict]:
    """One row per (ε, classifier): exact risks (float and fraction), Monte Carlo with 95% intervals, paper values."""
    rows = []
    for i, eps in enumerate(eps_grid):
        labels = toy.toy_labels(eps)
        for name, clf in toy.toy_classifiers(eps).items():
            exact = toy.exact_risks(labels, clf, eps)
            mc = toy.monte_carlo_risks(labels, clf, eps, n=n_mc, rng=np.random.default_rng([seed, i]))
            row = {"kind": "table1", "eps": float(eps), "classifier": name,
                   "integer_1_over_2eps": (1 / (2 * toy.check_toy_eps(eps))).denominator == 1,
                   **{k: _f(exact[k]) for k in RISKS}, **{f"{k}_fraction": str(exact[k]) for k in RISKS},
                   "identity_exact": exact["rob"] == exact["nat"] + exact["bdy"],
                   "identity_mc": mc["identity_per_draw"]}
            for k in RISKS:
                row[f"{k}_mc"] = mc[k]["estimate"]
                row[f"{k}_ci"] = list(mc[k]["ci"])
            row["paper"] = {k: _f(v) for k, v in TABLE1[name].items()} if name in TABLE1 else {}
            rows.append(row)
    return rows


def toy_beta_rows(cfg: dict) -> list[dict]:
    """The β-limits: a 1-D MLP minimising the TRADES loss on n_fit samples of Eq. (2) at ε = beta_eps, one per β
    (β = 0: natural training), and its exact risks on the distribution, read off its sign on a fine grid."""
    eps, g = cfg["beta_eps"], cfg["sign_grid"]
    x, y = toy.toy_sample(eps, cfg["n_fit"], np.random.default_rng(cfg["seed"]))
    x = torch.tensor(x, dtype=torch.float32)[:, None]
    y = torch.tensor((y > 0).astype(np.int64))                     # class 1 is the label +1
    centres = torch.tensor((np.arange(g) + 0.5) / g, dtype=torch.float32)[:, None]
    labels, rows = toy.toy_labels(eps), []
    for beta in cfg["betas"]:
        torch.manual_seed(cfg["seed"])
        net = models.build("MLP", in_features=1, num_classes=2, width=cfg["width"], depth=cfg["depth"])
        loss = trades_or_natural(beta, eps=eps, steps=cfg["fit_attack_steps"],
                                 step_size=2 * eps / cfg["fit_attack_steps"])
        net, _ = train(net, x, y, loss, epochs=cfg["fit_epochs"], batch_size=cfg["fit_batch"], lr=cfg["fit_lr"],
              seed=cfg["seed"])
        with torch.no_grad():
            logits = net(centres)
        signs = np.where((logits[:, 1] - logits[:, 0]).numpy() >= 0, 1, -1)   # sign(0) = +1
        clf = toy.sign_intervals(signs)
        exact = toy.exact_risks(labels, clf, eps)
        rows.append({"kind": "beta", "beta": float(beta), "eps": float(eps), **{k: _f(exact[k]) for k in RISKS},
                     "n_pieces": len(clf), "constant": int(signs[0]) if len(clf) == 1 else 0,
                     "pieces": [[float(a), float(b), s] for a, b, s in clf],
                     "train_error": float((net(x).argmax(1) != y).float().mean())})
    return rows


def compute_toy(cfg: dict) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    for eps in cfg["eps_grid"]:
        toy.check_toy_eps(eps, "eps_grid")
    toy.check_toy_eps(cfg["beta_eps"], "beta_eps")
    if not cfg["betas"] or any(not isinstance(b, (int, float)) or b < 0 for b in cfg["betas"]):
        raise ConfigError(f"betas={cfg['betas']!r} must be a non-empty list of numbers >= 0")
    with one_thread():
        rows = toy_table1_rows(cfg["eps_grid"], cfg["n_mc"], cfg["seed"]) + toy_beta_rows(cfg)
    return {"rows": rows, "claims": toy_claims(rows, mc_tolerance(cfg["n_mc"])), "status": "reproduced",
            "seeds": [cfg["seed"]], "seconds": time.perf_counter() - t0, "mc_tolerance": mc_tolerance(cfg["n_mc"]),
            "cpu_seconds": time.process_time() - c0,
            "notes": "exact interval arithmetic (one thread); Table 1's 1/2 for the all-one classifier holds only when 1/(2ε) is "
                     "an integer (erratum); β-limits: a 1-D MLP trained with the multi-class TRADES loss"}


def toy_claims(rows: list[dict], tol: float) -> list[dict]:
    t1 = [r for r in rows if r["kind"] == "table1"]
    by = {(r["eps"], r["classifier"]): r for r in t1}
    eps_grid = sorted({r["eps"] for r in t1})
    out = []
    bayes = [by[e, "Bayes"] for e in eps_grid]
    out.append(claim("trades.toy.bayes", "Bayes classifier: R_nat = 0, R_bdy = R_rob = 1 (Table 1), at every ε",
                     all(r["nat"] == 0 and r["bdy"] == 1 and r["rob"] == 1 for r in bayes),
                     "; ".join(f"ε = {r['eps']:g}: {r['nat_fraction']}, {r['bdy_fraction']}, {r['rob_fraction']}"
                               for r in bayes)))
    one = [by[e, "all-one"] for e in eps_grid]
    ok = [r for r in one if r["nat"] == 0.5 and r["rob"] == 0.5 and r["bdy"] == 0]
    out.append(claim("trades.toy.all_one", "All-one classifier: R_nat = R_rob = 1/2, R_bdy = 0 (Table 1), at every ε",
                     len(ok) == len(one), "R_rob = " + "; ".join(f"{r['rob_fraction']} at ε = {r['eps']:g}"
                                                               for r in one)))
    spec = all(Fraction(r["rob_fraction"]) == TOY_ALL_ONE_NAT[r["eps"]] for r in one if r["eps"] in TOY_ALL_ONE_NAT)
    cond = all((r["rob"] == 0.5) == r["integer_1_over_2eps"] for r in one)
    out.append(claim("trades.toy.integer_condition", "The all-one classifier's 1/2 holds exactly when 1/(2ε) is an "
                     "integer; otherwise it is the length of the −1 intervals (0.6 at ε = 0.2 and 0.3, REPRO_SPEC "
                     "erratum 14)", cond and spec,
                     "1/(2ε) integer at ε = " + ", ".join(f"{r['eps']:g}" for r in one if r["integer_1_over_2eps"])
                     + "; not at " + ", ".join(f"{r['eps']:g}" for r in one if not r["integer_1_over_2eps"])))
    best = {e: min(("Bayes", "all-one", "all-minus-one"), key=lambda c: (by[e, c]["rob"], c != "all-one"))
            for e in eps_grid}
    out.append(claim("trades.toy.all_one_optimal", "The all-one classifier has the smallest robust error of the "
                     "three (Table 1's 'optimal'), at every ε", all(b == "all-one" for b in best.values()),
                     "; ".join(f"ε = {e:g}: {b} ({by[e, b]['rob_fraction']})" for e, b in best.items())))
    out.append(claim("trades.toy.identity", "R_rob = R_nat + R_bdy exactly, for every classifier and ε (and for "
                     "every Monte Carlo draw)", all(r["identity_exact"] and r["identity_mc"] for r in t1),
                     f"{len(t1)} (ε, classifier) cases, exact fractions"))
    worst = max(abs(r[f"{k}_mc"] - r[k]) for r in t1 for k in RISKS)
    inside = sum(r[f"{k}_ci"][0] <= r[k] <= r[f"{k}_ci"][1] for r in t1 for k in RISKS)
    out.append(claim("trades.toy.monte_carlo", "Monte Carlo agrees with every exact risk within the tolerance",
                     worst <= tol, f"largest |MC − exact| = {worst:.4f} (tolerance {tol:.4f}); the exact value lies "
                                   f"in {inside} of {3 * len(t1)} 95% intervals"))
    beta = sorted((r for r in rows if r["kind"] == "beta"), key=lambda r: r["beta"])
    if len(beta) >= 2:
        lo, hi = beta[0], beta[-1]
        eps = lo["eps"]
        const = {s: _f(toy.exact_risks(toy.toy_labels(eps), [(Fraction(0), Fraction(1), s)], eps)["rob"])
                 for s in (-1, 1)}
        ok = lo["nat"] <= 0.05 and lo["rob"] >= 0.95 and hi["n_pieces"] == 1 and hi["rob"] == min(const.values())
        out.append(claim("trades.toy.beta_limits", "As β → 0 the TRADES minimiser approaches the Bayes classifier; "
                         "as β → ∞ a constant classifier (no boundary)", ok,
                         f"ε = {eps:g}; β = {lo['beta']:g}: R_nat {lo['nat']:.3f}, R_rob {lo['rob']:.3f}; β = "
                         f"{hi['beta']:g}: {hi['n_pieces']} piece(s), constant {hi['constant']:+d}, R_nat = R_rob = "
                         f"{hi['rob']:.3f} (all-one {const[1]:.1f}, all-minus-one {const[-1]:.1f})"))
    return out


# ============================================================================= trades.eq1


def _attack_outcomes(model, x, y, cfg: dict, seed: int) -> torch.Tensor:
    torch.manual_seed(seed)
    x_adv = attacks.pgd(model, x, y, eps=cfg["eps"], steps=cfg["eval_steps"], step_size=cfg["eval_step_size"])
    return metrics.predict(model, x_adv)


def identity_row(model, x, y, cfg: dict, name: str) -> dict:
    """Per-example robust, natural and boundary mistakes of ``model`` under one PGD run, and under a second,
    independent run used for the boundary term only (which breaks the identity)."""
    pred = metrics.predict(model, x)
    adv, adv2 = _attack_outcomes(model, x, y, cfg, cfg["seed"] + 1), _attack_outcomes(model, x, y, cfg, cfg["seed"] + 2)
    nat = pred != y
    rob = nat | (adv != y)                      # the definition: x itself lies in its own ball
    bdy = ~nat & (adv != pred)                  # correct, and the attack changes the prediction
    bdy2 = ~nat & (adv2 != pred)
    n = len(y)
    return {"kind": "network", "model": name, "n": n, "nat": nat.sum().item() / n, "bdy": bdy.sum().item() / n,
            "rob": rob.sum().item() / n, "identity_per_example": bool(torch.equal(rob.long(), nat.long() + bdy.long())),
            "rob_final_iterate": (adv != y).sum().item() / n,
            "clean_wrong_adv_right": int((nat & (adv == y)).sum()),
            "bdy_second_run": bdy2.sum().item() / n,
            "mismatch_second_run": int((rob.long() != nat.long() + bdy2.long()).sum())}


def compute_eq1(cfg: dict) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    models.check_name(cfg["arch"])
    _, (x, y) = mnist_subsets(cfg["n_train"], cfg["n_eval"], cfg["seed"])
    rows = [identity_row(mnist_model(cfg["arch"], m, cfg, cfg["seed"])[0], x, y, cfg, label)
            for m, label in (("natural", "natural"), ("trades", f"TRADES (β = {cfg['beta']:g})"))]
    exact = []
    for eps in (0.05, 0.1, 0.2, 0.25, 0.3):
        labels = toy.toy_labels(eps)
        for name, clf in toy.toy_classifiers(eps).items():
            r = toy.exact_risks(labels, clf, eps)
            exact.append(r["rob"] == r["nat"] + r["bdy"])
    return {"rows": rows, "claims": eq1_claims(rows, exact), "status": "reproduced", "seeds": [cfg["seed"]],
            "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "notes": f"exact on the toy example; per example on two {cfg['arch']} networks trained on "
                     f"{cfg['n_train']} MNIST images, multi-class form (argmax), PGD-{cfg['eval_steps']} on "
                     f"{cfg['n_eval']} test images"}


def eq1_claims(rows: list[dict], exact: list[bool]) -> list[dict]:
    out = [claim("trades.eq1.exact", "R_rob = R_nat + R_bdy holds exactly on the toy example (every ε and classifier)",
                 all(exact), f"{sum(exact)} of {len(exact)} cases, exact fractions")]
    out.append(claim("trades.eq1.per_example", "On trained networks the identity holds example by example when the "
                     "boundary event is measured with the same attack as the robust error",
                     all(r["identity_per_example"] for r in rows),
                     "; ".join(f"{r['model']}: {r['rob']:.3f} = {r['nat']:.3f} + {r['bdy']:.3f}" for r in rows)))
    out.append(claim("trades.eq1.rob_ge_nat", "Robust error is at least the natural error", all(r["rob"] >= r["nat"]
                     for r in rows), "; ".join(f"{r['model']}: {r['rob']:.3f} ≥ {r['nat']:.3f}" for r in rows)))
    return out


# ============================================================================= the section


def run_decomposition(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    toy_cfg, eq1_cfg = {k: cfg[k] for k in TOY_KEYS}, {k: cfg[k] for k in EQ1_KEYS}
    return {"trades.toy": results.cached("trades.toy", profile=profile, config=toy_cfg, recompute=recompute,
                                         compute=lambda: compute_toy(toy_cfg)),
            "trades.eq1": results.cached("trades.eq1", profile=profile, config=eq1_cfg, recompute=recompute,
                                         compute=lambda: compute_eq1(eq1_cfg))}


# ============================================================================= tables and figures


def toy_table(rows: list[dict]) -> pd.DataFrame:
    """Exact risks (as fractions) and Monte Carlo estimates with their 95% intervals, per ε and classifier."""
    out = []
    for r in rows:
        if r["kind"] != "table1":
            continue
        cells = {"ε": f"{r['eps']:g}", "classifier": r["classifier"]}
        for k, label in zip(RISKS, ("R_nat", "R_bdy", "R_rob")):
            lo, hi = r[f"{k}_ci"]
            cells[(label, "exact")] = r[f"{k}_fraction"]
            cells[(label, "Monte Carlo [95% CI]")] = f"{r[f'{k}_mc']:.4f} [{lo:.4f}, {hi:.4f}]"
        out.append(cells)
    df = pd.DataFrame(out).set_index(["ε", "classifier"])
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    return df


def network_table(rows: list[dict]) -> pd.DataFrame:
    cols = {"nat": "R_nat", "bdy": "R_bdy", "rob": "R_rob", "rob_final_iterate": "final-iterate error (repo)",
            "clean_wrong_adv_right": "clean-wrong, attack-right", "bdy_second_run": "R_bdy, second attack run",
            "mismatch_second_run": "examples breaking the identity (second run)"}
    df = pd.DataFrame([r for r in rows if r["kind"] == "network"]).set_index("model")[list(cols)]
    return df.rename(columns=cols)


def _eta_steps(ax, eps: float) -> None:
    for a, b, s in toy.toy_labels(eps):
        ax.plot([float(a), float(b)], [(s + 1) / 2] * 2, color="black", lw=2)
        ax.plot([float(a)], [(s + 1) / 2], "o", color="black", ms=4, mfc="black" if s < 0 else "white")
        ax.plot([float(b)], [(s + 1) / 2], "o", color="black", ms=4, mfc="white" if s < 0 else "black")


def toy_figure(record: dict, eps_fig: float = 0.1) -> plt.Figure:
    """Left: η(x) of Eq. (2) at ε = eps_fig (the paper's Fig. 2). Right: R_nat + R_bdy = R_rob, stacked, for the
    three classifiers and every ε."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1, 1.35]})
    _eta_steps(ax, eps_fig)
    ax.set(xlabel="x", ylabel="η(x) = P(Y = 1 | X = x)", xlim=(0, 1), ylim=(-0.1, 1.1),
           title=f"Eq. (2) at ε = {eps_fig:g}")
    rows = [r for r in record["rows"] if r["kind"] == "table1"]
    names = ["Bayes", "all-one", "all-minus-one"]
    eps_grid = sorted({r["eps"] for r in rows})
    colours = sns.color_palette(PALETTE, 3)
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        rs = [next(r for r in rows if r["eps"] == e and r["classifier"] == name) for e in eps_grid]
        pos = np.arange(len(eps_grid)) + (j - 1) * width
        nat, bdy = np.array([r["nat"] for r in rs]), np.array([r["bdy"] for r in rs])
        bx.bar(pos, nat, width, color=colours[j], label=f"{name}: R_nat")
        bx.bar(pos, bdy, width, bottom=nat, color=colours[j], alpha=0.35, hatch="//", label=f"{name}: R_bdy")
    bx.axhline(0.5, color="grey", ls=":", lw=1)
    bx.set(xticks=range(len(eps_grid)), xticklabels=[f"{e:g}" for e in eps_grid], xlabel="ε",
           ylabel="R_rob = R_nat + R_bdy", ylim=(0, 1.05), title="exact risks")
    bx.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    return fig


def beta_figure(record: dict) -> plt.Figure:
    """The exact risks of the TRADES-trained 1-D model against β (β = 0 drawn at the left edge), and the sign of
    each trained model on [0, 1] above the labels of Eq. (2)."""
    rows = sorted((r for r in record["rows"] if r["kind"] == "beta"), key=lambda r: r["beta"])
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.8))
    positive = [r["beta"] for r in rows if r["beta"] > 0]
    zero_at = min(positive) / 3 if positive else 1.0
    xs = [r["beta"] if r["beta"] > 0 else zero_at for r in rows]
    for k, label, style in (("nat", "R_nat", "-o"), ("bdy", "R_bdy", "-s"), ("rob", "R_rob", "--^")):
        ax.plot(xs, [r[k] for r in rows], style, label=label)
    ax.set_xscale("log")
    ax.set_xticks(xs, [f"{r['beta']:g}" for r in rows], fontsize=8)
    ax.minorticks_off()
    ax.set(xlabel="β (weight of the KL term)", ylabel="exact risk", ylim=(-0.03, 1.03),
           title=f"TRADES minimiser on Eq. (2), ε = {rows[0]['eps']:g}")
    ax.legend(fontsize=8)
    cmap = {1: "#b2182b", -1: "#2166ac"}
    eps = rows[0]["eps"]
    strips = [("labels", [[float(a), float(b), s] for a, b, s in toy.toy_labels(eps)])]
    strips += [(f"β = {r['beta']:g}", r["pieces"]) for r in rows]
    for i, (name, pieces) in enumerate(strips):
        for a, b, s in pieces:
            bx.barh(i, b - a, left=a, color=cmap[s], height=0.8)
    bx.set(yticks=range(len(strips)), yticklabels=[n for n, _ in strips], xlim=(0, 1), xlabel="x",
           title="sign of each model (red +1, blue −1)")
    bx.invert_yaxis()
    bx.grid(False)
    fig.tight_layout()
    return fig
