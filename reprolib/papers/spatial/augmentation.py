"""spatial §4–5 on MNIST: augmentation buys invariance and costs robustness (Fig. 6), and the DeepFool distance
and PGD accuracy fall with the training rotation range (Fig. 14).

Every network is a run of one :class:`SpatialGrid` (a :class:`reprolib.grid.MethodGrid`): natural training through
the one loop, with Aug-R(θ) / Aug-T(i) / Aug-RT(i) as the training data path (a method preset's ``augment``), and,
in place of the table metrics, the paper's profiles measured once per network and stored in its run record:

* rate of invariance (predicted labels) against the test range: rotation, translation and rotation-translation
  (``reprolib.invariance``, one uniform draw per test image, scaled by the range);
* robustness profile: 1 − fooling rate of PGD (random start, labelled by the network's own predictions);
* Fig. 14's quantities: clean accuracy, PGD accuracy with true labels at the ``pgd_eps_grid`` radii, and the
  mean L2 DeepFool distance (``n_deepfool: 0`` leaves them out).

The Fig. 14 section reads the Fig. 6 networks (same settings, ``runs_artifact``): no network is trained twice.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import data, invariance, metrics, results
from ...claims import claim, plateaued
from ...grid import MethodGrid, count, test_set, variants
from ...plotting import PALETTE

MNIST_SD = 0.3081  # the normalisation of the authors' code: the paper's ε and distances are in these units

# θ_train (degrees) for Aug-R, i_train (fraction of the side) for Aug-T and Aug-RT (angle 180·i, shift i)
FAMILIES = {"R": (45.0, 90.0, 135.0, 180.0), "T": (0.1, 0.2, 0.3), "RT": (0.1, 0.2, 0.3)}
FAMILY_NAMES = {"R": "Aug-R (rotation)", "T": "Aug-T (translation)", "RT": "Aug-RT (rotation + translation)"}
# each family's invariance profile in the run record, and its column
PROFILE_OF = {"R": ("rotation", "angle"), "T": ("translation", "shift"), "RT": ("rotation_translation", "level")}
PROFILE_LABELS = {"rotation": "θ_test (degrees)", "translation": "i_test (fraction of the side)",
                  "rotation_translation": "i_test (angle 180·i, shift i)"}


def method_name(family: str, value: float) -> str:
    if value == 0:
        return "Natural"
    return f"Aug-R({value:g}°)" if family == "R" else f"Aug-{family}({value:g})"


def _augment(family: str, value: float) -> dict:
    return {"R": {"degrees": value}, "T": {"shift": value}, "RT": {"degrees": 180.0 * value, "shift": value}}[family]


METHODS = {"Natural": {"method": "natural"},
           **{method_name(f, v): {"method": "natural", "augment": _augment(f, v)}
              for f, values in FAMILIES.items() for v in values}}
RANGE = {"Natural": {f: 0.0 for f in FAMILIES},
         **{method_name(f, v): {f: v} for f, values in FAMILIES.items() for v in values}}


def family_methods(family: str) -> list[str]:
    return ["Natural"] + [method_name(family, v) for v in FAMILIES[family]]


ROW_KEYS = ("rotation", "translation", "rotation_translation", "robustness", "deepfool_l2", "pgd_acc")


class SpatialGrid(MethodGrid):
    """A grid of networks measured by the spatial paper's profiles instead of the table metrics."""

    def evaluate(self, model, cfg: dict, seed: int, progress: bool) -> dict:
        x, y = test_set(cfg)
        prof = {"seed": 0, "batch_size": 500}
        out = {"test_acc": metrics.accuracy(model, x, y),
               "rotation": invariance.invariance_profile(model, x, angles=cfg["angles"], **prof),
               "translation": invariance.translation_profile(model, x, shifts=cfg["shifts"], **prof),
               "rotation_translation": invariance.rotation_translation_profile(model, x, levels=cfg["levels"], **prof)}
        xr, yr = x[:cfg["n_robust"]], y[:cfg["n_robust"]]
        out["robustness"] = invariance.robustness_profile(model, xr, eps_grid=cfg["eps_grid"],
                                                          steps=cfg["profile_steps"],
                                                          step_size=cfg["profile_step_size"], **prof)
        out = {k: v.to_dict("list") if isinstance(v, pd.DataFrame) else v for k, v in out.items()}
        if cfg["n_deepfool"] != 0:  # None: every evaluated image
            out["pgd_acc"] = {f"{e:g}": metrics.robust_accuracy(model, xr, yr, eps=e, steps=cfg["profile_steps"],
                                                              step_size=cfg["profile_step_size"])
                              for e in cfg["pgd_eps_grid"]}
            out["deepfool_l2"] = invariance.deepfool_distances(
                model, x[:cfg["n_deepfool"]], overshoot=cfg["deepfool_overshoot"],
                max_iter=cfg["deepfool_max_iter"])
        return out

    def eval_work(self, cfg: dict) -> float:
        """:meth:`evaluate`'s work in attack steps of one image: the clean pass and the invariance profiles (one
        forward pass, a third of a step, per test image and grid point), PGD at every non-zero ε of the robustness
        profile and of Fig. 14's grid, DeepFool counted at its iteration limit (one backward pass per class an
        iteration: an upper bound), and the curve after every epoch."""
        n_test = count(cfg, "n_eval_test", "test")
        n_robust = min(count(cfg, "n_robust", "test"), n_test)
        forward = n_test * (1 + len(cfg["angles"]) + len(cfg["shifts"]) + len(cfg["levels"])) / 3
        radii = sum(e > 0 for e in cfg["eps_grid"])
        work = forward + n_robust * cfg["profile_steps"] * radii
        if cfg["n_deepfool"] != 0:
            work += n_robust * cfg["profile_steps"] * sum(e > 0 for e in cfg["pgd_eps_grid"])
            n_deepfool = min(count(cfg, "n_deepfool", "test"), n_test)
            work += n_deepfool * cfg["deepfool_max_iter"] * (data.dataset_info(cfg["dataset"]).num_classes + 1)
        return work + cfg.get("curve_n", 0) * cfg["epochs"] * cfg["eval_steps"]


def at(profile: dict, column: str, value: float, key: str) -> float:
    """The profile's ``key`` at the grid value closest to ``value``."""
    grid = np.asarray(profile[column], dtype=float)
    return float(profile[key][int(np.abs(grid - value).argmin())])


def curves(rows: list[dict], arch: str, family: str) -> list[tuple[float, dict]]:
    """(training range, row) of one family on one architecture, natural training as range 0, in increasing range
    (seed 0 only: the figure's curves)."""
    out = [(RANGE[r["method"]][family], r) for r in rows if r["arch"] == arch and r["seed"] == 0
           and family in RANGE[r["method"]]]
    return sorted(out, key=lambda t: t[0])


def family_summary(rows: list[dict], arch: str, family: str) -> dict:
    """For each training range: clean accuracy, invariance at the largest test range, robustness at ε = 0.1 and its
    mean over the ε grid."""
    name, col = PROFILE_OF[family]
    out = {}
    for v, r in curves(rows, arch, family):
        prof, rob = r[name], r["robustness"]
        out[v] = {"clean": r["test_acc"], "invariance_max": prof["invariance"][-1], "test_range_max": prof[col][-1],
                  "robust_0.1": at(rob, "eps", 0.1, "robustness"), "robust_mean": float(np.mean(rob["robustness"]))}
    return out


def fig6_claims(rows: list[dict]) -> list[dict]:
    """REPRO_SPEC's shape checks, per architecture and family with at least two training ranges: invariance at the
    largest test range non-decreasing in the training range (2-point tolerance) and ≥ 20 points higher for the
    largest training range than for natural training; robustness at ε = 0.1 and its mean over the ε grid lower
    for the largest training range than for natural training."""
    out = []
    for arch in dict.fromkeys(r["arch"] for r in rows):
        for family in FAMILIES:
            s = family_summary(rows, arch, family)
            if len(s) < 2 or 0.0 not in s:
                continue
            vs = list(s)
            top, nat = s[vs[-1]], s[0.0]
            inv = [s[v]["invariance_max"] for v in vs]
            monotone = all(b >= a - 0.02 for a, b in zip(inv, inv[1:]))
            pre, what = f"spatial.fig6.{arch}.{family}", f"{arch}, {FAMILY_NAMES[family]}"
            out.append(claim(f"{pre}.invariance_rises", f"{what}: invariance at the largest test range rises with "
                             "the training range (2-point tolerance), by ≥ 20 points from natural training to the "
                             "largest range", monotone and top["invariance_max"] >= nat["invariance_max"] + 0.20,
                             ", ".join(f"{v:g}: {s[v]['invariance_max']:.1%}" for v in vs)
                             + _unfit_suffix(rows, set(family_methods(family)), arch)))
            out.append(claim(f"{pre}.robustness_falls", f"{what}: robustness (1 − fooling rate) at ε = 0.1 and its "
                             "mean over the ε grid lower for the largest training range than for natural training",
                             top["robust_0.1"] < nat["robust_0.1"] and top["robust_mean"] < nat["robust_mean"],
                             f"ε = 0.1: {top['robust_0.1']:.1%} vs {nat['robust_0.1']:.1%}; mean "
                             f"{top['robust_mean']:.1%} vs {nat['robust_mean']:.1%}"
                             + _unfit_suffix(rows, {method_name(family, vs[-1])}, arch)))
    return out


MIN_PGD_ACC = 0.05  # below this the natural network is broken already: a lower number after augmentation is noise


def fig14_claims(rows: list[dict]) -> list[dict]:
    """Fig. 14 (MNIST): the mean DeepFool distance lower for θ_train = 180 than for natural training, and the PGD
    accuracy lower at every radius where the natural network keeps at least ``MIN_PGD_ACC``, per architecture."""
    out = []
    for arch in dict.fromkeys(r["arch"] for r in rows):
        c = dict(curves(rows, arch, "R"))
        if 0.0 not in c or 180.0 not in c:
            continue
        a, b = c[0.0], c[180.0]
        out.append(claim(f"spatial.fig14.{arch}.deepfool_falls", f"{arch}: mean L2 DeepFool distance lower for "
                         "θ_train = 180 than for natural training", b["deepfool_l2"] < a["deepfool_l2"],
                         f"{b['deepfool_l2']:.3f} vs {a['deepfool_l2']:.3f} (pixels)"))
        radii = [e for e in a["pgd_acc"] if a["pgd_acc"][e] >= MIN_PGD_ACC]
        skipped = f" (not compared: natural below {MIN_PGD_ACC:.0%})"
        out.append(claim(f"spatial.fig14.{arch}.pgd_falls", f"{arch}: PGD accuracy lower for θ_train = 180 than for "
                         f"natural training at every radius where natural training keeps ≥ {MIN_PGD_ACC:.0%}",
                         bool(radii) and all(b["pgd_acc"][e] < a["pgd_acc"][e] for e in radii),
                         "; ".join(f"ε = {e}: {b['pgd_acc'][e]:.1%} vs {a['pgd_acc'][e]:.1%}"
                                   + ("" if e in radii else skipped) for e in a["pgd_acc"])))
    return out


# The paper's numbers in the text of §5 (MNIST StdCNN), in normalised units (REPRO_SPEC erratum 24).
FIG14_PAPER = {"StdCNN": {0.0: {"deepfool_l2_normalised": 5.0, "pgd_acc_0.3_normalised": 0.65},
                          180.0: {"deepfool_l2_normalised": 4.0, "pgd_acc_0.3_normalised": 0.20}}}


def fig14_frame(rows: list[dict]) -> pd.DataFrame:
    """One row per (architecture, θ_train): clean accuracy and PGD accuracy at each radius (percent), the mean
    DeepFool distance in pixel and normalised units."""
    out = []
    for arch in dict.fromkeys(r["arch"] for r in rows):
        for v, r in curves(rows, arch, "R"):
            row = {"arch": arch, "θ_train": v, "clean (%)": 100 * r["test_acc"]}
            row.update({f"PGD ε = {e} px (%)": 100 * a for e, a in r["pgd_acc"].items()})
            row["DeepFool L2 (px)"] = r["deepfool_l2"]
            row["DeepFool L2 (normalised)"] = r["deepfool_l2"] / MNIST_SD
            out.append(row)
    return pd.DataFrame(out).set_index(["arch", "θ_train"])


def fig14_paper_rows(rows: list[dict]) -> list[dict]:
    """The rows the paper's text gives numbers for, in its (normalised) units, with ours beside them: the DeepFool
    distance and the PGD accuracy at 0.3 normalised (our ``pgd_eps_grid``'s radius closest to 0.3·sd)."""
    out = []
    for arch, points in FIG14_PAPER.items():
        c = dict(curves(rows, arch, "R"))
        for v, paper in points.items():
            if v not in c:
                continue
            r = c[v]
            radii = {float(e): e for e in r["pgd_acc"]}
            e = radii[min(radii, key=lambda k: abs(k - 0.3 * MNIST_SD))]
            out.append({"arch": arch, "θ_train": v, "deepfool_l2_normalised": r["deepfool_l2"] / MNIST_SD,
                        "pgd_acc_0.3_normalised": r["pgd_acc"][e], "paper": paper})
    return out


FIT_LOSS = 1.0  # the `full` budget's target: a last-epoch mean training loss at most this (chance: ln 10 ≈ 2.30)
DEEPFOOL_NORMALISED, PGD_POINTS = 1.0, 0.10  # Fig. 14's reading of the paper's "≈" (normalised units, accuracy)


def fitted_target(claim_id: str, rows: list[dict]) -> dict:
    """A `full` target: every network's last-epoch mean training loss at most :data:`FIT_LOSS` (its augmented or
    adversarial training data fitted, well below chance)."""
    worst = max(rows, key=lambda r: max((r.get("final_loss") or {"": float("inf")}).values()))
    loss = max((worst.get("final_loss") or {"": float("inf")}).values())
    return claim(claim_id, f"Every network fitted its training data (last-epoch training loss ≤ {FIT_LOSS:g}; chance "
                 "is ln 10 ≈ 2.30)", loss <= FIT_LOSS, f"largest: {loss:.3f} ({worst['arch']} {worst['method']})")


def full_targets(record: dict) -> list[dict]:
    """What the `full` budget set out to reach on Fig. 6 (beside the paper's checks, which the claims box judges):
    every network fitted, every curve flat at its end."""
    return [fitted_target("spatial.fig6.target.fitted", record["rows"]),
            plateaued("spatial.fig6.target.plateaued", record["rows"])]


def fig14_targets(record: dict) -> list[dict]:
    """Fig. 14 within the paper's reading of it (§5, in normalised units): the mean DeepFool distance ≈ 5 for
    natural training (within 1) and below 4 for θ_train = 180°; PGD accuracy at 0.3 normalised ≈ 65% → 20% (each
    within 10 points)."""
    rows = {r["θ_train"]: r for r in fig14_paper_rows(record["rows"]) if r["arch"] == "StdCNN"}
    if 0.0 not in rows or 180.0 not in rows:
        return []
    nat, top = rows[0.0], rows[180.0]
    d_nat, d_top = nat["deepfool_l2_normalised"], top["deepfool_l2_normalised"]
    return [claim("spatial.fig14.target.deepfool", "StdCNN's mean DeepFool distance ≈ 5 (normalised) for natural "
                  f"training (within {DEEPFOOL_NORMALISED:g}) and below 4 for θ_train = 180°",
                  abs(d_nat - nat["paper"]["deepfool_l2_normalised"]) <= DEEPFOOL_NORMALISED
                  and d_top < top["paper"]["deepfool_l2_normalised"], f"{d_nat:.2f} → {d_top:.2f}"),
            claim("spatial.fig14.target.pgd", "StdCNN's PGD accuracy at 0.3 (normalised) ≈ 65% for natural training "
                  f"and ≈ 20% for θ_train = 180° (each within {100 * PGD_POINTS:g} points)",
                  all(abs(r["pgd_acc_0.3_normalised"] - r["paper"]["pgd_acc_0.3_normalised"]) <= PGD_POINTS
                      for r in (nat, top)),
                  f"{nat['pgd_acc_0.3_normalised']:.1%} → {top['pgd_acc_0.3_normalised']:.1%}")]


def summary_frame(rows: list[dict]) -> pd.DataFrame:
    """Fig. 6's key values per (architecture, family, training range), in percent."""
    out = []
    for arch in dict.fromkeys(r["arch"] for r in rows):
        for family in FAMILIES:
            summary = family_summary(rows, arch, family)
            for v, s in (summary.items() if len(summary) > 1 else ()):
                out.append({"arch": arch, "family": family, "train range": v, "clean accuracy": 100 * s["clean"],
                            "invariance at the largest test range": 100 * s["invariance_max"],
                            "robustness at ε = 0.1": 100 * s["robust_0.1"],
                            "mean robustness over the ε grid": 100 * s["robust_mean"]})
    return pd.DataFrame(out).set_index(["arch", "family", "train range"]).round(1)


CHANCE_LOSS = 2.0  # a last-epoch mean training loss above this (chance: ln 10 ≈ 2.30) means: did not fit


def underfit(rows: list[dict], max_loss: float = CHANCE_LOSS) -> list[dict]:
    """The networks whose last training epoch's mean loss stayed above ``max_loss``: at the section's budget they
    did not fit their (augmented or adversarial) training data, which confounds their profiles."""
    return [{"arch": r["arch"], "method": r["method"], "test_acc": r["test_acc"], "loss": max(r["final_loss"].values())}
            for r in rows if r.get("final_loss") and max(r["final_loss"].values()) > max_loss]


def underfit_note(rows: list[dict], max_loss: float = CHANCE_LOSS) -> str:
    """The page's words on :func:`underfit` (an empty string when every network fitted)."""
    bad = underfit(rows, max_loss)
    if not bad:
        return ""
    names = "; ".join(f"{b['arch']} {b['method']} (training loss {b['loss']:.2f}, {100 * b['test_acc']:.1f}% clean "
                      "test accuracy)" for b in bad)
    return (f"**Did not fit at this budget** (last-epoch training loss above {max_loss:g}; chance is ln 10 ≈ 2.30): "
            f"{names}. A network that has barely learnt its task changes its prediction under almost any change of "
            "the input, so its invariance is understated and its fooling rate overstated; the checks that involve "
            "it say so.")


def _unfit_suffix(rows: list[dict], methods: set[str], arch: str) -> str:
    bad = [b["method"] for b in underfit(rows) if b["arch"] == arch and b["method"] in methods]
    return f" (did not fit: {', '.join(bad)})" if bad else ""


def _legend(family: str, v: float) -> str:
    return "natural" if v == 0 else (f"θ_train = {v:g}°" if family == "R" else f"i_train = {v:g}")


def profile_pair(axes, pairs: list[tuple[str, dict]], inv_name: str, inv_col: str, title: str) -> None:
    """An invariance profile and a robustness profile on two axes, one curve per (legend, row)."""
    colours = sns.color_palette(PALETTE, max(len(pairs), 3))
    for (label, r), c in zip(pairs, colours):
        prof, rob = r[inv_name], r["robustness"]
        axes[0].plot(prof[inv_col], 100 * np.asarray(prof["invariance"]), marker="o", ms=3, color=c, label=label)
        axes[1].plot(rob["eps"], 100 * np.asarray(rob["robustness"]), marker="o", ms=3, color=c, label=label)
    axes[0].set(xlabel=PROFILE_LABELS[inv_name], ylabel="rate of invariance (%)", ylim=(-2, 102), title=title)
    axes[1].set(xlabel="ε (L∞, pixels)", ylabel="1 − fooling rate (%)", ylim=(-2, 102), title=title)
    axes[1].legend(fontsize=7)


def fig6_figure(rows: list[dict]) -> plt.Figure:
    """The paper's layout: one panel pair (invariance profile, robustness profile) per (family, architecture)."""
    panels = [(arch, family) for family in FAMILIES for arch in dict.fromkeys(r["arch"] for r in rows)
              if len(curves(rows, arch, family)) > 1]
    fig, axes = plt.subplots(len(panels), 2, figsize=(10, 3.2 * len(panels)), squeeze=False)
    for ax, (arch, family) in zip(axes, panels):
        name, col = PROFILE_OF[family]
        profile_pair(ax, [(_legend(family, v), r) for v, r in curves(rows, arch, family)], name, col,
                     f"{FAMILY_NAMES[family]}, {arch}")
    fig.tight_layout()
    return fig


def fig14_figure(rows: list[dict]) -> plt.Figure:
    """Per architecture: accuracy (clean and PGD) against θ_train, and the mean DeepFool distance against θ_train."""
    archs = [a for a in dict.fromkeys(r["arch"] for r in rows) if len(curves(rows, a, "R")) > 1]
    fig, axes = plt.subplots(len(archs), 2, figsize=(10, 3.2 * len(archs)), squeeze=False)
    for ax, arch in zip(axes, archs):
        c = curves(rows, arch, "R")
        thetas = [v for v, _ in c]
        ax[0].plot(thetas, [100 * r["test_acc"] for _, r in c], marker="o", label="no attack")
        for e in c[0][1]["pgd_acc"]:
            ax[0].plot(thetas, [100 * r["pgd_acc"][e] for _, r in c], marker="o",
                       label=f"PGD ε = {e} px (= {float(e) / MNIST_SD:.2g} normalised)")
        ax[0].set(xlabel="θ_train (degrees)", ylabel="test accuracy (%)", ylim=(-2, 102), title=arch)
        ax[0].legend(fontsize=7)
        ax[1].plot(thetas, [r["deepfool_l2"] for _, r in c], marker="o", color="black")
        ax[1].set(xlabel="θ_train (degrees)", ylabel="mean L2 DeepFool distance (pixels)", title=arch)
        sec = ax[1].secondary_yaxis("right", functions=(lambda d: d / MNIST_SD, lambda d: d * MNIST_SD))
        sec.set_ylabel("normalised units")
    fig.tight_layout()
    return fig


FIG6 = SpatialGrid("spatial.fig6", METHODS, claims=fig6_claims, row_keys=ROW_KEYS, extra_keys=("gcnn",),
                   notes="MNIST, a training subset and few epochs, profiles on test subsets: see the Deviations box")
FIG14 = SpatialGrid("spatial.fig14", METHODS, claims=fig14_claims, row_keys=ROW_KEYS, extra_keys=("gcnn",),
                    runs_artifact="spatial.fig6", notes=FIG6.notes)


def merged(grid: SpatialGrid, cfg: dict, profile: str, recompute: bool, progress: bool) -> dict:
    parts = [grid.compute(c, profile, recompute=recompute, progress=progress) for c in variants(cfg, "gcnn")]
    rows = [r for p in parts for r in p["rows"]]
    return {**parts[0], "rows": rows, "claims": grid.claims(rows), "seeds": sorted({r["seed"] for r in rows})}


def _run(grid: SpatialGrid):
    def run(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
        return {grid.artifact: results.cached(grid.artifact, profile=profile, config=cfg, recompute=recompute,
                                              compute=lambda: merged(grid, cfg, profile, recompute, progress))}
    return run


run_fig6, run_fig14 = _run(FIG6), _run(FIG14)
