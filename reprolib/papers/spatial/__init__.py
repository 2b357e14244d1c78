"""spatial (Kamath et al., *Invariance vs. Robustness*): how this book reproduces it.

* :mod:`.theory`: §3's cyclic-code distribution, its Bayes classifier, the closed forms of Prop 1 and Thm 2.
* :mod:`.runs`: the records of the theory page (Prop 1, Thm 2) and their claims checks.
* :mod:`.report`: that page's tables and figures.

* :mod:`.networks`: Table 1, StdCNN and its p4 GCNN twin (layers, parameters, cost, equivariance).
* :mod:`.augmentation`: Fig. 6 (augmentation: invariance up, robustness down) and Fig. 14 (DeepFool distance and
  PGD accuracy against the training rotation range), one grid of networks measured by the paper's profiles.
* :mod:`.adversarial`: Fig. 7 (adversarial training: robustness up, invariance down), AutoAttack-audited.

The experiments use shared machinery: the architectures (``reprolib.models``, ``reprolib.gcnn``), the one
training loop with augmentation as its data path, the profilers (``reprolib.invariance``), the method grid
(``reprolib.grid``). This file declares the chapter's sections and its scorecard rows.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from ... import settings
from ...errors import ConfigError
from ...grid import variant_sweep
from ...scorecard import GPU, NOT_YET, OFFLINE, Artifact
from ...sections import Section
from ...settings import Settings
from . import adversarial, augmentation, networks, report, runs, theory
from .runs import run_theory

__all__ = ["SECTIONS", "CATALOGUE", "adversarial", "augmentation", "networks", "report", "runs", "theory",
           "run_theory"]

R_METHODS = augmentation.family_methods("R")


# Table 1: the two MNIST networks (cost timed on `threads` torch threads, extrapolated to 60k images).
@dataclass(frozen=True)
class NetworksSettings(Settings):
    archs: tuple[str, ...] = settings.archs(["StdCNN", "GCNN"], "the networks described, timed and checked "
                                            "(reprolib.models)")
    seed: int = settings.seed(0, "seed of the networks' initialisation")
    batch_size: int = settings.param(64, "batch size of the timed training", ge=1)
    n_time: int = settings.param(30, "batches timed per network (one warm-up batch, then n_time − 1 timed, on "
                                 "the first n_time·batch_size training images)", ge=2)
    threads: int = settings.param(1, "torch threads while timing", ge=1)
    n_equivariance: int = settings.param(16, "training images of the 90° equivariance check", ge=1)


# §3 Prop 1 and Thm 2 on the cyclic-code distribution (REPRO_SPEC Part II §4): closed forms + numpy
# Monte Carlo. ds pick the stored generators (theory.DEFAULT_GENERATOR); shifts by m = shift_fraction·d.
@dataclass(frozen=True)
class TheorySettings(Settings):
    ds: tuple[int, ...] = settings.param([8, 16, 64], "code lengths d of Proposition 1 (those with a stored "
                                         "generator, theory.DEFAULT_GENERATOR)",
                                         choices=tuple(theory.DEFAULT_GENERATOR))
    ps: tuple[float, ...] = settings.param([0.5, 0.55, 0.6, 0.7, 0.9], "values of p, the probability that x0 "
                                           "equals the label (in [0.5, 1))", ge=0.5, le=1.0)
    shift_fraction: float = settings.param(0.25, "m/d of Proposition 1's shifts (m must divide every d; 0.25: "
                                           "quarter turns)", gt=0.0, le=1.0)
    m_fractions: tuple[float, ...] = settings.param([0.125, 0.25, 0.5], "m/d values of Theorem 2 (m must divide "
                                                    "family_d)", gt=0.0, le=1.0)
    etas: tuple[float, ...] = settings.param([0.0, 0.01, 0.05, 0.1], "adversarial errors η of Theorem 2's bound "
                                             "table", ge=0.0, le=1.0)
    family_d: int = settings.param(64, "d of the linear classifiers checked against Theorem 2",
                                   choices=tuple(theory.DEFAULT_GENERATOR))
    family_p: float = settings.param(0.6, "p of those classifiers (in [0.5, 1))", ge=0.5, le=1.0)
    betas: tuple[float, ...] = settings.param([0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0],
                                              "weights β on x0 of the linear classifiers f_β (the Bayes β* is "
                                              "added)", ge=0.0)
    n_mc: int = settings.param(200000, "Monte Carlo draws per cell (200000: the spec's n)", ge=1)
    seed: int = settings.seed(0, "seed of the Monte Carlo draws")

    def check(self) -> None:
        super().check()
        if any(p >= 1.0 for p in self.ps):
            raise ConfigError(f"ps={list(self.ps)!r} must be < 1 (each item)")
        if self.family_p >= 1.0:
            raise ConfigError(f"family_p={self.family_p!r} must be < 1")
        for d in self.ds:
            runs._fraction_to_m(self.shift_fraction, d, "shift_fraction")
        for f in self.m_fractions:
            runs._fraction_to_m(f, self.family_d, "m_fractions")


# What Figs. 6, 7 and 14 measure on each network (augmentation.SpatialGrid.evaluate, in place of the table
# metrics of settings.Evaluation). Profiles on the first 2,000 test images of a fixed permutation (robustness on
# 500, 250 for the GCNN), PGD-40 of 0.01 with a random start, labelled by the network's predictions; ε in pixels.
@dataclass(frozen=True)
class SpatialProfiles(Settings):
    """The paper's profiles of a trained network (reprolib.invariance), and the audit's PGD."""
    n_eval_test: int | None = settings.count(2000, "test images evaluated (a fixed subset): the invariance profiles "
                                             "use all of them; robustness, PGD, DeepFool and the audit its head")
    eval_steps: int = settings.steps(40, "PGD steps of the audit (PGD beside AutoAttack, at eps)")
    eval_step_size: float = settings.positive(0.01, "PGD step of the audit")
    angles: tuple[float, ...] = settings.param([float(a) for a in range(0, 181, 15)],
                                               "test ranges θ of the rotation profile (degrees: φ ~ U[−θ, θ])",
                                               ge=0.0, le=180.0)
    shifts: tuple[float, ...] = settings.param([0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
                                               "test ranges i of the translation profile (fraction of the side: "
                                               "shifts ~ U[−i, i])", ge=0.0, le=1.0)
    levels: tuple[float, ...] = settings.param([0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
                                               "test ranges i of the rotation-translation profile (angle ~ "
                                               "U[−180·i, 180·i], shifts ~ U[−i, i])", ge=0.0, le=1.0)
    n_robust: int | None = settings.count(500, "test images of the robustness profile and of Fig. 14's PGD "
                                          "accuracy (the head of the evaluated ones)")
    eps_grid: tuple[float, ...] = settings.param([0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3],
                                                 "L∞ radii of the robustness profile (pixels; 0: 1.0 by definition)",
                                                 ge=0.0, le=1.0)
    profile_steps: int = settings.steps(40, "PGD steps of the robustness profile and of Fig. 14's PGD accuracy")
    profile_step_size: float = settings.positive(0.01, "PGD step of the robustness profile and of Fig. 14's PGD "
                                                 "accuracy")
    # Fig. 14: PGD with true labels at 0.3 in normalised units (= 0.0924 pixels) and at 0.3 pixels; DeepFool L2
    pgd_eps_grid: tuple[float, ...] = settings.param([0.0924, 0.3], "L∞ radii of Fig. 14's PGD accuracy with true "
                                                     "labels (pixels; 0.0924 = 0.3 in the paper's normalised units)",
                                                     ge=0.0, le=1.0)
    n_deepfool: int | None = settings.count(500, "test images of Fig. 14's mean L2 DeepFool distance",
                                            zero="neither DeepFool nor Fig. 14's PGD accuracy is measured")
    deepfool_overshoot: float = settings.param(0.02, "DeepFool's overshoot", ge=0.0)
    deepfool_max_iter: int = settings.steps(50, "DeepFool's iterations at most")
    curve_n: int = settings.param(0, "test images of the training curve (clean and PGD accuracy at eps after every "
                                  "epoch, stored beside the epoch's mean training loss); 0: no curve", ge=0,
                                  since=True, kind="count")


# Fig. 6 (and Fig. 14, on the same networks). The paper states no training recipe: the authors' GCNN code's (SGD
# 0.01, momentum 0.5, batch 64), on a 20k subset for 5 epochs (StdCNN) and 10k for 3 epochs (GCNN, ~5× StdCNN's
# cost per image here). Fig. 7 changes the recipe (its section's "base").
@dataclass(frozen=True)
class SpatialGridSettings(settings.Kept, settings.Audit, SpatialProfiles, settings.Schedule, settings.Threat, settings.Rows,
                          settings.Data):
    """A grid of MNIST networks measured by the paper's profiles (augmentation.SpatialGrid): the shared parts
    but settings.Evaluation, whose place :class:`SpatialProfiles` takes."""
    n_train: int | None = settings.count(20000, "training images (a fixed subset per seed)")
    attack_step_size: float = settings.positive(0.025, "step of the training attack")
    archs: tuple[str, ...] = settings.archs(["StdCNN"])
    momentum: float = settings.param(0.5, "SGD momentum", ge=0.0, le=1.0)


# Figs. 6 and 14: Aug-R / Aug-T / Aug-RT, and a second grid of p4 GCNNs
AugmentationGrid = settings.with_methods(SpatialGridSettings, augmentation.METHODS, "AugmentationGrid")


@dataclass(frozen=True)
class AugmentationSettings(AugmentationGrid):
    gcnn: dict | None = settings.overrides("a second grid, of p4 GCNNs: its settings that differ from these (archs, "
                                           "methods, n_train, ...)")


# Fig. 7: PGD adversarial training over ε_train
AdversarialGrid = settings.with_methods(SpatialGridSettings, adversarial.METHODS, "AdversarialGrid")


_AUG_PROFILES = {
    "base": {"methods": list(augmentation.METHODS),
             "gcnn": {"archs": ["GCNN"], "methods": ["Natural", "Aug-R(90°)", "Aug-R(180°)"], "n_train": 10000,
                      "epochs": 3, "n_robust": 250, "n_deepfool": 250}},
    "smoke": {"methods": ["Natural", "Aug-R(180°)", "Aug-T(0.3)"], "n_train": 2000, "epochs": 1, "n_eval_test": 200,
              "angles": [0.0, 90.0, 180.0], "shifts": [0.0, 0.3], "levels": [0.0, 0.3], "n_robust": 50,
              "eps_grid": [0.0, 0.1], "profile_steps": 5, "profile_step_size": 0.03, "n_deepfool": 20,
              "deepfool_max_iter": 10,
              "gcnn": {"archs": ["GCNN"], "methods": ["Natural", "Aug-R(180°)"], "n_train": 300, "epochs": 1,
                       "n_robust": 20, "n_deepfool": 10}},
    # full: the authors' recipe on all of MNIST for 20 epochs (StdCNN; the pilot of 2026-12-07: Aug-T(0.3) and
    # Aug-RT(0.3), the slowest to fit, ended at a training loss of 0.24 and 0.44, below augmentation.FIT_LOSS, in
    # 11.5-14.5 min, their profiles 18 min more) and 10 (the GCNN, ~5x the cost per image); the invariance
    # and robustness profiles on all 10,000 test images (the GCNN's robustness on the first 2,000), Fig. 14's
    # DeepFool distance on 2,000; every network's curve (training loss, clean and PGD accuracy on 1,000 test
    # images) after every epoch; every network kept (StdCNN 92 kB, GCNN 360 kB)
    "full": {"methods": list(augmentation.METHODS), "n_train": None, "epochs": 20, "n_eval_test": None,
             "n_robust": None, "n_deepfool": 2000, "curve_n": 1000,
             "gcnn": {"archs": ["GCNN"], "methods": list(R_METHODS), "n_train": None, "epochs": 10, "n_robust": 2000}},
    # the authors' GCNN recipe over all of MNIST (10 epochs), profiles on the whole test set, ε up to 1 (P2 §4)
    "paper": {"n_train": None, "epochs": 10, "n_eval_test": None, "n_robust": 1000, "n_deepfool": 1000,
              "angles": [float(a) for a in range(0, 181, 10)], "eps_grid": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0],
              "gcnn": {"archs": ["GCNN"], "methods": list(R_METHODS), "n_train": None, "epochs": 10}},
}


def _fig14_profiles() -> dict:
    """Fig. 6's settings (so that Fig. 14's networks are Fig. 6's stored runs), rotation ranges only."""
    out = copy.deepcopy(_AUG_PROFILES)
    for prof in out.values():
        if "methods" in prof:
            prof["methods"] = [m for m in prof["methods"] if m in R_METHODS]
        if prof.get("gcnn"):
            prof["gcnn"] = {**prof["gcnn"], "methods": [m for m in prof["gcnn"]["methods"] if m in R_METHODS]}
    return out


# Fig. 7: StdCNN (Fig. 6's network) in place of Madry's LeNet (PGD-10 training of the LeNet is ~6× StdCNN's cost
# here), ε_train ∈ {0, 0.05, 0.1, 0.2} (REPRO_SPEC: StdCNN may be too small for 0.3), PGD-10 of 2.5·ε/10 with a
# random start and no ε warm-up, 10k images, 5 epochs of Adam 1e-3 (the paper: 100k steps of Adam 1e-4).
_ADV = {"methods": ["Natural"] + [adversarial.method_name(e) for e in (0.05, 0.1, 0.2)], "n_train": 10000,
        "optimizer": "adam", "lr": 0.001, "n_deepfool": 0,
        "audit_methods": [adversarial.method_name(e) for e in (0.05, 0.1, 0.2)]}

SECTIONS = (
    Section("spatial/networks", NetworksSettings, run=networks.run_networks, profiles={
        "smoke": {"n_time": 3},
    }),
    Section("spatial/theory", TheorySettings, run=run_theory, profiles={
        "smoke": {"ds": [8, 16], "ps": [0.5, 0.6], "betas": [0.0, 2.0, 8.0], "n_mc": 20000},
    }),
    # Fig. 6: Aug-R / Aug-T / Aug-RT over training ranges, invariance and robustness profiles.
    Section("spatial/fig6", AugmentationSettings, run=augmentation.run_fig6,
            sweep=variant_sweep("gcnn", augmentation.FIG6), profiles=_AUG_PROFILES),
    # Fig. 7: PGD adversarial training over ε_train, the four profiles, AutoAttack on the trained defences.
    Section("spatial/fig7", AdversarialGrid, run=adversarial.run_fig7, sweep=adversarial.FIG7.sweep(), profiles={
        "base": _ADV,
        "smoke": {**{k: v for k, v in _AUG_PROFILES["smoke"].items() if k not in ("gcnn", "methods")},
                  "methods": ["Natural", adversarial.method_name(0.1)], "n_deepfool": 0,
                  "audit_methods": [adversarial.method_name(0.1)], "n_audit": 10, "audit_version": "apgd"},
        # Madry et al.'s LeNet and recipe: all of MNIST, PGD-40 of 0.01 at ε_train up to 0.3, Adam 1e-4, batch 50,
        # 100k steps (≈ 91 epochs of 55k images)
        "paper": {"archs": ["MadryLeNet"],
                  "methods": ["Natural"] + [adversarial.method_name(e) for e in (0.1, 0.2, 0.3)],
                  "n_train": None, "epochs": 91, "batch_size": 50, "lr": 0.0001, "n_eval_test": None,
                  "n_robust": 1000, "n_audit": 1000, "eps_grid": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0],
                  "audit_methods": [adversarial.method_name(e) for e in (0.1, 0.2, 0.3)]},
        # full (a plan until the pilot's curve checks it): Madry's LeNet at ε_train up to 0.3 on all of MNIST,
        # batch 50, PGD-10 of 2.5·ε/10 with a random start (the paper: 40 of 0.01), Adam 1e-3 for 6 epochs then 1e-4
        # for 2 (the paper: 1e-4 for ≈ 91 epochs). Eight epochs, not ten, because a network must finish within one
        # sitting (benchmarks/cost_model.py, 2026-12-07: PGD-10 training 80.5 images/s on one thread, so 10 epochs
        # ≈ 124 min + 15 min of profiles + the audit, at the edge of a 180-min sitting; 8 epochs ≈ 100 min);
        # profiles on all 10,000 test images (robustness on the first 2,000), AutoAttack's `apgd` version on 1,000
        # (the book's policy for a grid: benchmarks/audit_policy.py); the adversarially trained networks kept in half
        # precision (6.5 MB each; the natural one, the cheapest to retrain, stays in the cache)
        "full": {"archs": ["MadryLeNet"],
                 "methods": ["Natural"] + [adversarial.method_name(e) for e in (0.1, 0.2, 0.3)],
                 "n_train": None, "epochs": 8, "milestones": [6], "batch_size": 50, "n_eval_test": None,
                 "n_robust": 2000, "n_audit": 1000, "audit_version": "apgd", "curve_n": 1000,
                 "audit_methods": [adversarial.method_name(e) for e in (0.1, 0.2, 0.3)],
                 "keep_methods": [adversarial.method_name(e) for e in (0.1, 0.2, 0.3)], "weights_dtype": "float16"},
    }),
    # Fig. 14: clean and PGD accuracy and DeepFool distance against θ_train (Fig. 6's rotation networks).
    Section("spatial/fig14", AugmentationSettings, run=augmentation.run_fig14, reads=("spatial/fig6",),
            profiles=_fig14_profiles()),
)

CATALOGUE = (
    Artifact("spatial.prop1", "Bayes classifier accurate but not shift-robust", "executed/spatial/theory", NOT_YET),
    Artifact("spatial.thm2", "adversarial robustness ⇒ low spatial accuracy", "executed/spatial/theory", NOT_YET),
    Artifact("spatial.table1", "MNIST StdCNN and p4 GCNN architectures", "executed/spatial/networks", NOT_YET),
    Artifact("spatial.fig6", "augmentation: invariance up, robustness down (MNIST)", "executed/spatial/fig6", NOT_YET,
             targets=augmentation.full_targets),
    Artifact("spatial.fig7", "adversarial training: robustness up, invariance down (MNIST)", "executed/spatial/fig7",
             NOT_YET, targets=adversarial.full_targets),
    Artifact("spatial.fig14", "rotation range vs DeepFool distance and PGD accuracy (MNIST)",
             "executed/spatial/fig14", NOT_YET, targets=augmentation.fig14_targets),
    Artifact("spatial.cifar", "CIFAR-10/100 and Tiny ImageNet figures (figs 1–5, 8–12)", None,
             GPU + " (" + OFFLINE + ")"),
)
