"""closer_look §5 (Tables 2–4): ten training methods through the one training loop, evaluated for smoothness
(empirical local Lipschitz constant), robustness (PGD) and generalisation gaps.

:data:`METHODS` is the preset of every Table 2 row. Each table is a :class:`reprolib.grid.MethodGrid`, which trains
and evaluates each (arch, method, seed) and stores it on its own as soon as it finishes, so a stopped sweep
resumes. Table 3 (CIFAR-10 rows, ``paper`` profile) and Table 4's dropout protocol are the same grid with their own
claims.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ...claims import claim, mean_distance, plateaued
from ...grid import MethodGrid, audit_target, mean
from ...plotting import PALETTE, PAPER_MARKER
from .values import TABLE2

# TRADES weight beta, RST lambda etc. per Table 2 row (REPRO_SPEC Part II §2.3).
METHODS = {
    "Natural": {"method": "natural"},
    "GR": {"method": "gr", "gr_lambda": 1.0, "gr_h": 1.0},
    # The released code's effective LLR (what produced Table 2); Qin et al.'s form collapsed to a constant
    # classifier at the cpu budget (see the Table 2 page). ``losses.LLR(form="qin")`` remains available.
    "LLR": {"method": "llr", "llr_lambda": 4.0, "llr_mu": 3.0, "steps": 2, "form": "c1"},
    "AT": {"method": "at"},
    "RST(λ=.5)": {"method": "rst", "rst_lambda": 0.5},
    "RST(λ=1)": {"method": "rst", "rst_lambda": 1.0},
    "RST(λ=2)": {"method": "rst", "rst_lambda": 2.0},
    "TRADES(β=1)": {"method": "trades", "beta": 1.0},
    "TRADES(β=3)": {"method": "trades", "beta": 3.0},
    "TRADES(β=6)": {"method": "trades", "beta": 6.0},
}


MNIST = {arch: "mnist" for arch in TABLE2}  # Table 2's values are MNIST's
TABLE2_GRID = MethodGrid("closer_look.table2", METHODS, TABLE2, lambda rows: table2_claims(rows), paper_datasets=MNIST)
# Table 3 (CIFAR-10, paper profile) and Table 4's dropout protocol: the same rows, their own claims. Their rows carry
# Table 2's values only where they run its architectures on MNIST (none on CIFAR-10 or the Fashion-MNIST proxy);
# their pages show their own tables' values.
TABLE3_GRID = MethodGrid("closer_look.table3", METHODS, TABLE2, paper_datasets=MNIST,
                         notes="CIFAR-10 rows, without the paper's crop/flip augmentation")
TABLE4_GRID = MethodGrid("closer_look.table4", METHODS, TABLE2, lambda rows: table4_claims(rows), paper_datasets=MNIST,
                         notes="proxy on {dataset} (the paper uses SVHN and CIFAR-10), scaled down")


def run_table2(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    return TABLE2_GRID.run(cfg, profile, recompute, progress)


def run_table3(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    """closer_look Table 3's CIFAR-10 rows (the ``paper`` profile); other profiles do not rerun it."""
    return TABLE3_GRID.run(cfg, profile, recompute, progress) if cfg["rerun"] else {}


def run_table4(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    """closer_look Table 4's protocol (with vs without dropout) on the dataset of ``cfg``."""
    return TABLE4_GRID.run(cfg, profile, recompute, progress)


def table4_claims(rows: list[dict]) -> list[dict]:
    """closer_look §5.3: dropout narrows the (adversarial) train-test gap of robust training."""
    out = []
    for method in ("AT", "TRADES(β=6)", "RST(λ=2)", "TRADES(β=3)"):
        with_d, without = mean(rows, "CNN2", method, "adv_gap"), mean(rows, "CNN2-nodropout", method, "adv_gap")
        if None not in (with_d, without):
            out.append(claim(f"closer_look.table4.{method}_dropout_gap",
                             f"{method}: the adversarial train-test gap is smaller with dropout",
                             with_d < without, f"with dropout {with_d:+.1%}, without {without:+.1%}"))
    return out


def table2_claims(rows: list[dict]) -> list[dict]:
    """closer_look §5.2 claims as checks (REPRO_SPEC 'shape that must hold'), per architecture."""
    out = []
    for arch in sorted({r["arch"] for r in rows}):
        def g(method, key):
            return mean(rows, arch, method, key)

        nat_l, at_l, t6_l, t1_l = (g(m, "lipschitz") for m in ("Natural", "AT", "TRADES(β=6)", "TRADES(β=1)"))
        if None not in (nat_l, at_l, t6_l):
            out.append(claim(f"closer_look.table2.{arch}.robust_smoother",
                             f"{arch}: Natural's Lipschitz constant is at least twice AT's and TRADES(β=6)'s",
                             nat_l >= 2 * at_l and nat_l >= 2 * t6_l,
                             f"Natural {nat_l:.2f}, AT {at_l:.2f}, TRADES(β=6) {t6_l:.2f}"))
        if None not in (t1_l, t6_l):
            out.append(claim(f"closer_look.table2.{arch}.beta_smooths",
                             f"{arch}: TRADES' Lipschitz constant falls from β=1 to β=6",
                             t1_l > t6_l, f"β=1 {t1_l:.2f} vs β=6 {t6_l:.2f}"))
        lips = {m: g(m, "lipschitz") for m in {r["method"] for r in rows if r["arch"] == arch}}
        if "TRADES(β=6)" in lips and len(lips) > 2:
            lowest = min(lips, key=lips.get)
            out.append(claim(f"closer_look.table2.{arch}.trades_smoothest",
                             f"{arch}: TRADES(β=6) has the lowest Lipschitz constant of all methods",
                             lowest == "TRADES(β=6)", f"lowest: {lowest} ({lips[lowest]:.2f})"))
        nat_a = g("Natural", "adv_test_acc")
        paper = TABLE2.get(arch, {})
        # REPRO_SPEC's cpu criterion (set for CNN1): +15 points. The paper's own CNN2 margins are about 12 points,
        # so for other architectures the check is the paper's qualitative claim: more robust than Natural.
        margin = 0.15 if arch == "CNN1" else 0.0
        for m in ("AT", "RST(λ=1)", "TRADES(β=6)"):
            a = g(m, "adv_test_acc")
            if None not in (nat_a, a):
                text = (f"{arch}: {m}'s adversarial test accuracy is ≥ Natural's + 15 points" if margin else
                        f"{arch}: {m} is more robust than Natural (higher adversarial test accuracy)")
                evidence = f"{m} {a:.1%} vs Natural {nat_a:.1%}"
                if m in paper and "Natural" in paper:
                    evidence += (f" (margin {a - nat_a:+.1%}; paper "
                                 f"{paper[m]['adv_test_acc'] - paper['Natural']['adv_test_acc']:+.1%})")
                passed = a >= nat_a + margin if margin else a > nat_a
                out.append(claim(f"closer_look.table2.{arch}.{m}_robust", text, passed, evidence))
        nat_gap = g("Natural", "adv_gap")
        for m in ("AT", "TRADES(β=1)"):
            gap = g(m, "adv_gap")
            if None not in (nat_gap, gap):
                out.append(claim(f"closer_look.table2.{arch}.{m}_adv_gap",
                                 f"{arch}: {m} has a larger adversarial train-test gap than Natural",
                                 gap > nat_gap, f"{m} {gap:+.1%} vs Natural {nat_gap:+.1%}"))
    return out


def table2_summary(rows: list[dict]) -> list[dict]:
    """Mean (and standard deviation over seeds) per (arch, method), with the paper's values attached."""
    return TABLE2_GRID.summary(rows)


def full_targets(record: dict) -> list[dict]:
    """What the `full` budget set out to reach (judged on the record, shown beside the paper's claims): over the
    table's rows (means over seeds), clean accuracy within 0.5 points of the paper's on average and PGD accuracy
    within 2; every network's curve flat at its end; every robust network audited on ≥ 1,000 test images."""
    summary = table2_summary(record["rows"])
    return [mean_distance("closer_look.table2.target.clean", "clean test accuracy (rows: means over seeds)", summary,
                          "test_acc", 0.5),
            mean_distance("closer_look.table2.target.pgd", "PGD test accuracy (rows: means over seeds)", summary,
                          "adv_test_acc", 2.0),
            plateaued("closer_look.table2.target.plateaued", record["rows"]),
            audit_target("closer_look.table2.target.audited", record, 1000)]


def lipschitz_scatter(rows: list[dict]) -> plt.Figure:
    """closer_look Table 2: adversarial test accuracy vs Lipschitz constant per method, one panel per
    architecture; paper points as X in the method's colour."""
    df = pd.DataFrame(rows)
    archs, methods = list(dict.fromkeys(df["arch"])), list(dict.fromkeys(df["method"]))
    colours = dict(zip(methods, sns.color_palette(PALETTE, len(methods))))
    width, height = plt.rcParams["figure.figsize"]
    fig, axes = plt.subplots(1, len(archs), sharey=True, squeeze=False, figsize=(width * (0.6 + 0.4 * len(archs)),
                                                                                  height))
    agg = df.groupby(["arch", "method"], sort=False).agg(lip=("lipschitz", "mean"), adv=("adv_test_acc", "mean"),
                                                         lip_sd=("lipschitz", "std"), adv_sd=("adv_test_acc", "std"))
    for ax, arch in zip(axes[0], archs):
        for method, r in agg.loc[arch].iterrows():
            ax.errorbar(r["lip"], 100 * r["adv"], xerr=np.nan_to_num(r["lip_sd"]),
                        yerr=np.nan_to_num(100 * r["adv_sd"]), fmt="o", color=colours[method], ms=8, capsize=3,
                        label=f"{method} (ours)")
        for r in df[df["arch"] == arch].drop_duplicates("method").itertuples():
            p = r.paper or {}
            if "lipschitz" in p:
                ax.scatter(p["lipschitz"], 100 * p["adv_test_acc"], color=colours[r.method], **PAPER_MARKER)
        ax.set(xscale="log", title=arch, xlabel="empirical local Lipschitz constant (log scale)")
    axes[0][0].set_ylabel("adversarial test accuracy (%)")
    axes[0][-1].scatter([], [], color="grey", label="paper (same colour)", **PAPER_MARKER)
    axes[0][-1].legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    return fig
