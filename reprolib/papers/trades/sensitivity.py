"""TRADES §5.2, Table 4: sensitivity to the weight 1/λ of the robustness term (MNIST; CIFAR-10 in the paper).

A :class:`reprolib.grid.MethodGrid` over 1/λ (natural training as 1/λ = 0) and seeds, on TRADES' MNIST CNN
(``Net``, REPRO_SPEC Part I §1.5 A), evaluated with the paper's FGSM^40 (PGD-40 of 0.005) at ε = 0.1. The
CIFAR-10 half needs CIFAR-10 and a ResNet-18: the section's ``companion`` grid reruns it at the ``paper``
profile, and at the others runs the same protocol on Fashion-MNIST, a labelled stand-in for the CIFAR column's
visible clean-accuracy drop.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from torch import nn

from ... import models, report
from ...claims import claim, curve_span
from ...grid import MethodGrid, mean, variants, variant_sweep
from ...plotting import PALETTE, PAPER_MARKER

BETAS = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)  # the paper's 1/λ ∈ {1, ..., 5}, plus 0.5 and 6 (and 0: natural)


def row(beta: float) -> str:
    return "Natural" if beta == 0 else f"TRADES(1/λ={beta:g})"


METHODS = {"Natural": {"method": "natural"}, **{row(b): {"method": "trades", "beta": b} for b in BETAS}}


def beta_of(method: str) -> float:
    return METHODS[method].get("beta", 0.0)


# Table 4 [P §5.2]: 1/λ -> (A_rob, sd, A_nat, sd) in percent, MNIST and CIFAR-10 (REPRO_SPEC Part I §2).
PERCENT = {
    "mnist": {1.0: (94.75, 0.0712, 99.28, 0.0125), 2.0: (95.45, 0.0883, 99.29, 0.0262),
              3.0: (95.57, 0.0262, 99.24, 0.0216), 4.0: (95.65, 0.0340, 99.16, 0.0205),
              5.0: (95.65, 0.1851, 99.16, 0.0403)},
    "cifar10": {1.0: (44.68, 0.3088, 87.01, 0.2819), 2.0: (48.22, 0.0740, 85.22, 0.0543),
                3.0: (49.67, 0.3179, 83.82, 0.4050), 4.0: (50.25, 0.1883, 82.90, 0.2217),
                5.0: (50.64, 0.3336, 81.72, 0.0286)},
}
PAPER_ARCH = {"mnist": "Net", "cifar10": "ResNet18"}
PAPER = {PAPER_ARCH[ds]: {row(b): {"adv_test_acc": r / 100, "adv_test_acc_sd": rs / 100, "test_acc": n / 100,
                                   "test_acc_sd": ns / 100} for b, (r, rs, n, ns) in rows.items()}
         for ds, rows in PERCENT.items()}


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation (average ranks for ties), rounded to 12 decimals: on a few points it is a simple
    fraction (4 points, one swapped pair: exactly 0.8), which floating point would put a hair to either side of a
    claim's bound."""
    rx, ry = pd.Series(x).rank().to_numpy(), pd.Series(y).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return round(float(np.corrcoef(rx, ry)[0, 1]), 12)


def per_weight(rows: list[dict], key: str) -> dict[float, float]:
    """{1/λ: mean of ``key`` over seeds (and architectures)}, natural training as 0, in increasing 1/λ."""
    archs = {r["arch"] for r in rows}
    out = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        vals = [mean(rows, a, method, key) for a in archs]
        out[beta_of(method)] = float(np.mean([v for v in vals if v is not None]))
    return dict(sorted(out.items()))


FAR_ABOVE_POINTS = 30  # REPRO_SPEC's "A_rob(β ≥ 1) ≫ A_rob(natural)", in points


def table4_claims(rows: list[dict], dataset: str = "mnist") -> list[dict]:
    """TRADES §5.2 on our means over seeds. Robust accuracy rises with 1/λ (Spearman ρ ≥ 0.8 over the grid, and
    1/λ = 6 above 1/λ = 1); every TRADES model far above natural training (+30 points); clean accuracy falls
    with 1/λ at most weakly on MNIST (the largest 1/λ no more than 0.3 points above the smallest), strictly
    on the companion grid (CIFAR-10, or its Fashion-MNIST stand-in: the paper's CIFAR column drops 5 points)."""
    rob, nat = per_weight(rows, "adv_test_acc"), per_weight(rows, "test_acc")
    pre = f"trades.table4.{dataset}"
    out = []
    betas = list(rob)
    if len(betas) >= 3:
        rho = spearman(betas, [rob[b] for b in betas])
        out.append(claim(f"{pre}.robust_rises", "Robust accuracy rises with 1/λ (Spearman ρ ≥ 0.8 over the grid, "
                         "natural training as 1/λ = 0)", rho >= 0.8,
                         f"ρ = {rho:.2f}; " + ", ".join(f"{b:g}: {rob[b]:.1%}" for b in betas)))
    if 1.0 in rob and 6.0 in rob:
        out.append(claim(f"{pre}.six_above_one", "Robust accuracy at 1/λ = 6 is above that at 1/λ = 1",
                         rob[6.0] > rob[1.0], f"1/λ=6 {rob[6.0]:.1%} vs 1/λ=1 {rob[1.0]:.1%}"))
    trades = [b for b in betas if b > 0]
    if 0.0 in rob and trades:
        out.append(claim(f"{pre}.far_above_natural", "Every TRADES model's robust accuracy is ≥ natural's + "
                         f"{FAR_ABOVE_POINTS:g} points",
                         all(rob[b] >= rob[0.0] + FAR_ABOVE_POINTS / 100 for b in trades),
                         f"natural {rob[0.0]:.1%}; lowest TRADES {min(rob[b] for b in trades):.1%}"))
    if len(trades) >= 2:
        lo, hi = min(trades), max(trades)
        if dataset == "mnist":
            out.append(claim(f"{pre}.clean_weakly_falls", f"MNIST clean accuracy at 1/λ = {hi:g} is no more than "
                             f"0.3 points above that at 1/λ = {lo:g} (a weak trend: the paper's spread is 0.13 "
                             "points)", nat[hi] <= nat[lo] + 0.003, f"{nat[hi]:.2%} vs {nat[lo]:.2%}"))
        else:
            out.append(claim(f"{pre}.clean_falls", f"Clean accuracy falls from 1/λ = {lo:g} to 1/λ = {hi:g}",
                             nat[hi] < nat[lo], f"{nat[lo]:.2%} → {nat[hi]:.2%} "
                             f"({100 * (nat[hi] - nat[lo]):+.1f} points)"))
    return out


PAPER_DATASETS = {arch: ds for ds, arch in PAPER_ARCH.items()}
GRID = MethodGrid("trades.table4", METHODS, PAPER, table4_claims, extra_keys=("companion",),
                  paper_datasets=PAPER_DATASETS)
COMPANION = MethodGrid("trades.table4_companion", METHODS, PAPER, lambda rows: table4_claims(rows, "companion"),
                       paper_datasets=PAPER_DATASETS,
                       notes="the CIFAR-10 column's protocol on the dataset in the configuration",
                       extra_keys=("companion",))
SWEEP = variant_sweep("companion", GRID, COMPANION)


def run_table4(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    out = {}
    # MNIST, and the ``companion`` overrides (CIFAR-10 at the paper profile, Fashion-MNIST as a stand-in otherwise)
    for grid, settings in zip((GRID, COMPANION), variants(cfg, "companion")):
        out.update(grid.run(settings, profile, recompute, progress))
    return out


def audit_trend(record: dict) -> dict | None:
    """From the record's audit, the numbers behind the question: does the robust-accuracy gain between the smallest
    and the largest audited weight, as PGD measures it on the audited images, survive AutoAttack on the same images?
    Per audited weight (sorted): PGD and AutoAttack accuracy and their gap, each the mean over the weight's audited
    seeds; ``seeds`` the seed counts, ``n`` the images, ``se`` the largest standard error of a difference of two
    accuracies on ``n`` images, ``gap_grows`` whether the gap at the largest weight exceeds the smallest's by more
    than a point. None with fewer than two audited weights. (The page words it.)"""
    by_weight: dict[float, list[dict]] = {}
    for r in (record.get("audit") or {}).get("rows", []):
        by_weight.setdefault(beta_of(r["method"]), []).append(r)
    if len(by_weight) < 2:
        return None
    weights = sorted(by_weight)
    avg = {b: {k: float(np.mean([r[k] for r in by_weight[b]])) for k in ("pgd_acc", "autoattack_acc", "gap")}
           for b in weights}
    n = by_weight[weights[0]][0]["n"]
    return {"weights": weights, "pgd": [avg[b]["pgd_acc"] for b in weights],
            "autoattack": [avg[b]["autoattack_acc"] for b in weights], "gap": [avg[b]["gap"] for b in weights],
            "seeds": sorted({len(rs) for rs in by_weight.values()}), "n": n, "se": (2 * 0.25 / n) ** 0.5,
            "gap_grows": avg[weights[-1]]["gap"] > avg[weights[0]]["gap"] + 0.01}


PAPER_EPOCHS = 50  # [P §5.2]; the paper profile trains as many
FLAT_POINTS = 1.5  # a curve whose last five epochs move less than this (points) has stopped rising
SHARE_POINTS = 1.0  # a robust share of the correct answers that rises by less than this (points) has not risen


def _natural_below_paper(record: dict) -> bool:
    """Whether the record's natural network is less accurate on clean images than every TRADES row of the paper."""
    clean = per_weight(record["rows"], "test_acc")
    return 0.0 in clean and 100 * clean[0.0] < min(v[2] for v in PERCENT["mnist"].values())


def levels_note(record: dict) -> str:
    """What the distance between our levels and the paper's says, for the page under its table. At a scaled-down
    budget: the budget. At ``full`` (all training images, the curves stored): how flat the curves end, and where
    this budget's natural network of the same architecture stands against the paper's clean accuracy, which on
    MNIST falls as 1/λ grows (so the paper's natural network would be at least as accurate as its rows)."""
    cfg = record["config"]
    if record["profile"] != "full":
        return ("Our networks are trained for a small fraction of the paper's budget (see Deviations), so the levels "
                "are lower; the question this page can answer is whether the *trend* in 1/λ is there.")
    spans = [curve_span(r) for r in record["rows"] if r["method"] in PAPER[PAPER_ARCH["mnist"]]]
    move = max((s["pgd"][1] - s["pgd"][0] for s in spans if s), default=float("nan"))
    clean = per_weight(record["rows"], "test_acc")
    paper_clean = [v[2] for v in PERCENT["mnist"].values()]
    text = (f"At this budget every network saw the whole training set for {cfg['epochs']} epochs (the paper: "
            f"{PAPER_EPOCHS}); over the last five, the PGD accuracy of the networks at the paper's weights moved by at "
            f"most {move:.1f} points on the curve's images (the curves below)"
            + (": more epochs of this schedule would not close the gap." if move <= FLAT_POINTS else
               ", so longer training might still move them."))
    if _natural_below_paper(record):
        arch = PAPER_ARCH["mnist"]
        text += (f" The natural network of the same architecture and budget reaches {100 * clean[0.0]:.2f}% clean "
                 f"accuracy, below every row of the paper ({min(paper_clean):.2f}–{max(paper_clean):.2f}%), whose "
                 "clean accuracy falls as 1/λ grows. The paper names its MNIST network only as two convolutions and "
                 f"two dense layers; the repository's `{arch}` ({models.num_params(models.build(arch)):,} parameters, "
                 "with dropout) is the inferred one (REPRO_SPEC §1.5 A), and these levels suggest that the paper's "
                 "network is larger. What is left to judge is the trend in 1/λ (below).")
    return text


def _unresolved(record: dict, rob: dict[float, float]) -> str:
    """Where each of the paper's weights has one network and their robust accuracies do not move in one direction,
    with a step between neighbouring weights larger than the paper's whole rise: that one seed per weight cannot
    resolve a trend of the paper's size (in words; empty otherwise)."""
    paper = PERCENT["mnist"]
    seeds = min(sum(r["method"] == row(b) for r in record["rows"]) for b in rob)
    betas = sorted(rob)
    steps = [(a, b, rob[b] - rob[a]) for a, b in zip(betas, betas[1:])]
    rise = paper[betas[-1]][0] - paper[betas[0]][0]
    a, b, big = max(steps, key=lambda t: abs(t[2]))
    if seeds > 1 or len(steps) < 2 or len({d > 0 for *_, d in steps}) < 2 or abs(100 * big) <= abs(rise):
        return ""
    spread = max(paper[w][1] for w in betas)
    return (f"With one network per weight, these rows do not move in one direction: the largest change between "
            f"neighbouring weights is {100 * big:+.2f} points (1/λ = {a:g} → {b:g}), more than the paper's whole "
            f"change from 1/λ = {betas[0]:g} to {betas[-1]:g} ({rise:+.2f} points, each row's standard deviation "
            f"at most {spread:.2f}). One seed per weight cannot resolve a trend of the paper's size, so the claims "
            "box below judges \"robust accuracy rises with 1/λ\" on a sample too small for it; more seeds at this "
            "budget would settle it.")


def trend_note(record: dict) -> str:
    """Where the robust accuracy of the paper's weights does not rise with 1/λ (the paper's MNIST column: 94.75 →
    95.65%), what our numbers say instead: robust and clean accuracy at the smallest and largest of the paper's
    weights in the record, ours and the paper's, and the share of the correctly classified test images that survive
    the attack at each weight. Empty where robust accuracy rises (or fewer than two of the paper's weights ran)."""
    paper = PERCENT["mnist"]
    rob = {b: v for b, v in per_weight(record["rows"], "adv_test_acc").items() if b in paper}
    nat = {b: v for b, v in per_weight(record["rows"], "test_acc").items() if b in paper}
    if len(rob) < 2 or rob[max(rob)] > rob[min(rob)]:
        return ""
    lo, hi = min(rob), max(rob)
    share = {b: rob[b] / nat[b] for b in rob}
    pct = lambda v: f"{100 * v:.2f}%"  # noqa: E731
    text = (f"Unlike the paper's, our robust accuracy does not rise with 1/λ: from 1/λ = {lo:g} to {hi:g} it goes "
            f"{pct(rob[lo])} → {pct(rob[hi])} (the paper: {paper[lo][0]:.2f} → {paper[hi][0]:.2f}%), and clean "
            f"accuracy {pct(nat[lo])} → {pct(nat[hi])} ({100 * (nat[hi] - nat[lo]):+.2f} points; the paper: "
            f"{paper[hi][2] - paper[lo][2]:+.2f}). Of the test images each network classifies correctly, "
            f"{100 * min(share.values()):.1f}–{100 * max(share.values()):.1f}% survive the attack (1/λ = "
            + ", ".join(f"{b:g}: {100 * v:.1f}%" for b, v in share.items()) + ")")
    noise = _unresolved(record, rob)
    if noise:
        return text + ". " + noise
    if not (nat[hi] < nat[lo] and share[hi] < share[lo] + SHARE_POINTS / 100):
        return text + "."
    archs = sorted({r["arch"] for r in record["rows"]})
    nets = [models.build(a) for a in archs]
    dropout = sorted({m.p for n in nets for m in n.modules() if isinstance(m, nn.modules.dropout._DropoutNd)})
    return (text + ": a larger weight does not make these networks' correct answers more robust, it makes fewer of "
            "their answers correct. That is what a network too small for the robust objective, or too strongly "
            f"regularised for it, would show ({', '.join(f'`{a}`' for a in archs)}: "
            f"{', '.join(f'{models.num_params(n):,}' for n in nets)} parameters"
            + (f", with dropout of {'/'.join(f'{p:g}' for p in dropout)}" if dropout else "") + ")"
            + (", and it fits where the natural network stands (above)" if _natural_below_paper(record) else "")
            + "; the same sweep on a larger network (e.g. `-p 'archs=[\"SmallCNN\"]'`, Table 5's) would test "
            "that reading, and this book has not run it.")


def natural_note(record: dict) -> str:
    """Where the check "every TRADES model ≥ natural's + 30 points" fails: how much the natural network keeps at this
    radius, and the margin the TRADES models do keep. Empty where it holds or was not checked."""
    failed = [c for c in record.get("claims", []) if c["id"].endswith(".far_above_natural") and not c["passed"]]
    rob = per_weight(record["rows"], "adv_test_acc")
    if not failed or 0.0 not in rob:
        return ""
    margins = [100 * (v - rob[0.0]) for b, v in rob.items() if b > 0]
    return (f"The natural network keeps {100 * rob[0.0]:.1f}% of the test images under the attack at ε = "
            f"{record['config']['eps']:g} (Table 4 has no natural row). The check's {FAR_ABOVE_POINTS:g} points stand "
            "for REPRO_SPEC's \"far above natural\", which expected natural training to collapse at this radius; it "
            f"does not, and the TRADES models keep {min(margins):+.1f} to {max(margins):+.1f} points more.")


def audit_trend_note(trend: dict) -> str:
    """:func:`audit_trend`'s numbers in words: does the difference PGD measures between the smallest and the largest
    audited weight survive AutoAttack on the same images, in whichever direction it goes."""
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731

    def diff(a, b):
        return f"{pct(a)}, {abs(100 * (a - b)):.1f} points {'above' if a >= b else 'below'}"

    lo, hi = trend["weights"][0], trend["weights"][-1]
    (pl, ph), (al, ah), (gl, gh) = ((t[0], t[-1]) for t in (trend["pgd"], trend["autoattack"], trend["gap"]))
    over = "" if trend["seeds"] == [1] else (
        f", each weight's numbers the mean over its {'/'.join(map(str, trend['seeds']))} seeds")
    text = (f"On the same {trend['n']:,} images{over}, PGD puts 1/λ = {hi:g} at {diff(ph, pl)} 1/λ = {lo:g} "
            f"({pct(pl)}), and AutoAttack at {diff(ah, al)} ({pct(al)}); on this many images such a difference has a "
            f"standard error of up to {100 * trend['se']:.1f} points. The PGD − AutoAttack gap "
            f"is {100 * gl:+.1f} points at the smaller weight and {100 * gh:+.1f} at the larger. ")
    if not trend["gap_grows"]:
        text += "The gap does not grow with the weight: the difference PGD measures is not PGD's weakness."
    elif ph > pl:
        text += ("PGD credits the larger weight with robustness that the stronger attack does not find, so at this "
                 "budget the rise of robust accuracy with 1/λ in the table above is an upper bound.")
    else:
        text += ("The stronger attack finds more at the larger weight, so the fall of robust accuracy with 1/λ in the "
                 "table above is, if anything, steeper.")
    if len(trend["weights"]) > 2:
        text += (f" Over all {len(trend['weights'])} audited weights (1/λ = "
                 f"{', '.join(f'{b:g}' for b in trend['weights'])}) the gap is "
                 f"{', '.join(f'{100 * g:+.1f}' for g in trend['gap'])} points; PGD's accuracy spans "
                 f"{100 * min(trend['pgd']):.1f}–{100 * max(trend['pgd']):.1f}% and AutoAttack's "
                 f"{100 * min(trend['autoattack']):.1f}–{100 * max(trend['autoattack']):.1f}%.")
    return text


def summary_frame(rows: list[dict], paper: bool = True) -> pd.DataFrame:
    """Per 1/λ: robust and clean accuracy, mean ± sd over seeds (percent), next to the paper's MNIST values."""
    df = pd.DataFrame(rows)
    df["1/λ"] = [beta_of(m) for m in df["method"]]
    g = df.groupby("1/λ")
    out = pd.DataFrame({"seeds": g["seed"].count(),
                        ("A_rob (%)", "ours"): 100 * g["adv_test_acc"].mean(),
                        ("A_rob (%)", "sd"): 100 * g["adv_test_acc"].std(),
                        ("A_nat (%)", "ours"): 100 * g["test_acc"].mean(),
                        ("A_nat (%)", "sd"): 100 * g["test_acc"].std()})
    out.columns = pd.MultiIndex.from_tuples([c if isinstance(c, tuple) else (c, "") for c in out.columns])
    if paper:
        p = PERCENT["mnist"]
        for col, i in (("A_rob (%)", 0), ("A_nat (%)", 2)):
            out[(col, "paper")] = [p[b][i] if b in p else np.nan for b in out.index]
            out[(col, "paper sd")] = [p[b][i + 1] if b in p else np.nan for b in out.index]
            out[(col, "Δ")] = out[(col, "ours")] - out[(col, "paper")]
        out = out[[("seeds", "")] + [(c, k) for c in ("A_rob (%)", "A_nat (%)")
                                      for k in ("paper", "paper sd", "ours", "sd", "Δ")]]
    return out


def summary_table(rows: list[dict], paper: bool = True) -> pd.DataFrame:
    """:func:`summary_frame` for reading: 1/λ as written, each mean with its spread as "mean ± sd" (percent), then
    Δ = ours − paper's mean; seven columns, so that it fits the page."""
    f = summary_frame(rows, paper)
    out = pd.DataFrame({("seeds", ""): f[("seeds", "")].to_numpy()}, index=[f"{b:g}" for b in f.index])
    for col in ("A_rob (%)", "A_nat (%)"):
        if paper:
            out[(col, "paper")] = [report.mean_sd(m, sd) for m, sd in zip(f[(col, "paper")], f[(col, "paper sd")])]
        out[(col, "ours")] = [report.mean_sd(m, sd) for m, sd in zip(f[(col, "ours")], f[(col, "sd")])]
        if paper:
            out[(col, "Δ")] = [report.number(d, signed=True) for d in f[(col, "Δ")]]
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    out.index.name = "1/λ"
    return out


def tradeoff_figure(records: dict[str, dict]) -> plt.Figure:
    """Robust (left) and clean (right) test accuracy against 1/λ, one line per dataset (mean ± sd over seeds);
    the paper's MNIST and CIFAR-10 points as crosses."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    colours = dict(zip(["mnist", "fashion_mnist", "cifar10"], sns.color_palette(PALETTE, 3)))
    for label, rec in records.items():
        f = summary_frame(rec["rows"], paper=False)
        ds = rec["config"]["dataset"]
        for ax, col in zip(axes, ("A_rob (%)", "A_nat (%)")):
            ax.errorbar(f.index, f[(col, "ours")], yerr=np.nan_to_num(f[(col, "sd")]), marker="o", capsize=3,
                        color=colours.get(ds), label=f"{label} (ours)")
    for ds in ("mnist", "cifar10"):
        b = list(PERCENT[ds])
        for ax, i in zip(axes, (0, 2)):
            ax.scatter(b, [PERCENT[ds][v][i] for v in b], color=colours[ds], label=f"paper, {ds}", **PAPER_MARKER)
    axes[0].set(xlabel="1/λ (0: natural training)", ylabel="robust test accuracy (%, FGSM^40)")
    axes[1].set(xlabel="1/λ (0: natural training)", ylabel="clean test accuracy (%)")
    axes[1].legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    return fig
