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

from ...grid import variant_sweep
from ...scorecard import GPU, NOT_YET, OFFLINE, Artifact
from ...sections import Section
from . import adversarial, augmentation, networks, report, runs, theory
from .runs import run_theory

__all__ = ["SECTIONS", "CATALOGUE", "adversarial", "augmentation", "networks", "report", "runs", "theory",
           "run_theory"]

MODELS = ("StdCNN", "GCNN", "MadryLeNet", "SmallCNN", "ResNet18")
R_METHODS = augmentation.family_methods("R")

# Fig. 6 (and Fig. 14, on the same networks). The paper states no training recipe: the authors' GCNN code's (SGD
# 0.01, momentum 0.5, batch 64), on a 20k subset for 5 epochs (StdCNN) and 10k for 3 epochs (GCNN, ~5× StdCNN's
# cost per image here). Profiles on the first 2,000 test images of a fixed permutation (robustness on 500, 250
# for the GCNN), PGD-40 of 0.01 with a random start, labelled by the network's predictions; ε in pixels.
_AUG = {
    "dataset": "mnist", "eps": 0.1, "archs": ["StdCNN"], "methods": list(augmentation.METHODS), "seeds": [0],
    "spread_methods": [], "spread_seeds": [], "n_train": 20000, "epochs": 5, "batch_size": 64, "optimizer": "sgd",
    "lr": 0.01, "momentum": 0.5, "milestones": [], "reduction": "mean", "attack_steps": 10,
    "attack_step_size": 0.025, "precision": "fp32", "n_eval_test": 2000,
    "angles": [float(a) for a in range(0, 181, 15)], "shifts": [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
    "levels": [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3], "n_robust": 500,
    "eps_grid": [0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3], "profile_steps": 40, "profile_step_size": 0.01,
    # Fig. 14: PGD with true labels at 0.3 in normalised units (= 0.0924 pixels) and at 0.3 pixels; DeepFool L2
    "pgd_eps_grid": [0.0924, 0.3], "n_deepfool": 500, "deepfool_overshoot": 0.02, "deepfool_max_iter": 50,
    "eval_steps": 40, "eval_step_size": 0.01, "audit_methods": [], "audit_seeds": [0], "audit_archs": None,
    "n_audit": 500, "audit_version": "standard",
    "gcnn": {"archs": ["GCNN"], "methods": ["Natural", "Aug-R(90°)", "Aug-R(180°)"], "n_train": 10000, "epochs": 3,
             "n_robust": 250, "n_deepfool": 250},
}
_AUG_PROFILES = {
    "base": _AUG,
    "smoke": {"methods": ["Natural", "Aug-R(180°)", "Aug-T(0.3)"], "n_train": 2000, "epochs": 1, "n_eval_test": 200,
              "angles": [0.0, 90.0, 180.0], "shifts": [0.0, 0.3], "levels": [0.0, 0.3], "n_robust": 50,
              "eps_grid": [0.0, 0.1], "profile_steps": 5, "profile_step_size": 0.03, "n_deepfool": 20,
              "deepfool_max_iter": 10,
              "gcnn": {"archs": ["GCNN"], "methods": ["Natural", "Aug-R(180°)"], "n_train": 300, "epochs": 1,
                       "n_robust": 20, "n_deepfool": 10}},
    # the authors' GCNN recipe over all of MNIST (10 epochs), profiles on the whole test set, ε up to 1 (P2 §4)
    "paper": {"n_train": None, "epochs": 10, "n_eval_test": None, "n_robust": 1000, "n_deepfool": 1000,
              "angles": [float(a) for a in range(0, 181, 10)], "eps_grid": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0],
              "gcnn": {"archs": ["GCNN"], "methods": list(R_METHODS), "n_train": None, "epochs": 10}},
}


def _fig14_profiles() -> dict:
    """Fig. 6's settings (so that Fig. 14's networks are Fig. 6's stored runs), rotation ranges only."""
    out = copy.deepcopy(_AUG_PROFILES)
    for name, prof in out.items():
        methods = (_AUG if name == "base" else prof).get("methods", _AUG["methods"])
        prof["methods"] = [m for m in methods if m in R_METHODS]
        gcnn = prof.get("gcnn") or (_AUG["gcnn"] if name == "base" else None)
        if gcnn:
            prof["gcnn"] = {**gcnn, "methods": [m for m in gcnn["methods"] if m in R_METHODS]}
    return out


_AUG_CHOICES = {"archs": MODELS, "methods": augmentation.METHODS, "audit_methods": augmentation.METHODS,
                "audit_archs": MODELS}

# Fig. 7: StdCNN (Fig. 6's network) in place of Madry's LeNet (PGD-10 training of the LeNet is ~6× StdCNN's cost
# here), ε_train ∈ {0, 0.05, 0.1, 0.2} (REPRO_SPEC: StdCNN may be too small for 0.3), PGD-10 of 2.5·ε/10 with a
# random start and no ε warm-up, 10k images, 5 epochs of Adam 1e-3 (the paper: 100k steps of Adam 1e-4).
_ADV = {**{k: v for k, v in _AUG.items() if k != "gcnn"}, "methods": ["Natural"] + [
            adversarial.method_name(e) for e in (0.05, 0.1, 0.2)], "n_train": 10000, "epochs": 5,
        "optimizer": "adam", "lr": 0.001, "n_deepfool": 0,
        "audit_methods": [adversarial.method_name(e) for e in (0.05, 0.1, 0.2)]}
_ADV_CHOICES = {"archs": MODELS, "methods": adversarial.METHODS, "audit_methods": adversarial.METHODS,
                "audit_archs": MODELS}

SECTIONS = (
    # Table 1: the two MNIST networks (cost timed on `threads` torch threads, extrapolated to 60k images).
    Section("spatial/networks", run=networks.run_networks, choices={"archs": MODELS}, profiles={
        "base": {"archs": ["StdCNN", "GCNN"], "seed": 0, "batch_size": 64, "n_time": 30, "threads": 1,
                 "n_equivariance": 16},
        "smoke": {"n_time": 3},
    }),
    # §3 Prop 1 and Thm 2 on the cyclic-code distribution (REPRO_SPEC Part II §4): closed forms + numpy
    # Monte Carlo. ds pick the stored generators (theory.DEFAULT_GENERATOR); shifts by m = shift_fraction·d.
    Section("spatial/theory", run=run_theory, profiles={
        "base": {"ds": [8, 16, 64], "ps": [0.5, 0.55, 0.6, 0.7, 0.9], "shift_fraction": 0.25,
                 "m_fractions": [0.125, 0.25, 0.5], "etas": [0.0, 0.01, 0.05, 0.1],
                 "family_d": 64, "family_p": 0.6, "betas": [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0],
                 "n_mc": 200000, "seed": 0},
        "smoke": {"ds": [8, 16], "ps": [0.5, 0.6], "betas": [0.0, 2.0, 8.0], "n_mc": 20000},
        "cpu": {"n_mc": 200000},  # the spec's n per Monte Carlo cell
    }),
    # Fig. 6: Aug-R / Aug-T / Aug-RT over training ranges, invariance and robustness profiles.
    Section("spatial/fig6", run=augmentation.run_fig6, choices=_AUG_CHOICES,
            sweep=variant_sweep("gcnn", augmentation.FIG6), profiles=_AUG_PROFILES),
    # Fig. 7: PGD adversarial training over ε_train, the four profiles, AutoAttack on the trained defences.
    Section("spatial/fig7", run=adversarial.run_fig7, choices=_ADV_CHOICES, sweep=adversarial.FIG7.sweep(), profiles={
        "base": _ADV,
        "smoke": {**{k: v for k, v in _AUG_PROFILES["smoke"].items() if k not in ("gcnn", "methods")},
                  "methods": ["Natural", adversarial.method_name(0.1)], "n_deepfool": 0,
                  "audit_methods": [adversarial.method_name(0.1)], "n_audit": 20},
        # Madry et al.'s LeNet and recipe: all of MNIST, PGD-40 of 0.01 at ε_train up to 0.3, Adam 1e-4, batch 50,
        # 100k steps (≈ 91 epochs of 55k images)
        "paper": {"archs": ["MadryLeNet"],
                  "methods": ["Natural"] + [adversarial.method_name(e) for e in (0.1, 0.2, 0.3)],
                  "n_train": None, "epochs": 91, "batch_size": 50, "lr": 0.0001, "n_eval_test": None,
                  "n_robust": 1000, "n_audit": 1000, "eps_grid": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0],
                  "audit_methods": [adversarial.method_name(e) for e in (0.1, 0.2, 0.3)]},
    }),
    # Fig. 14: clean and PGD accuracy and DeepFool distance against θ_train (Fig. 6's rotation networks).
    Section("spatial/fig14", run=augmentation.run_fig14, choices=_AUG_CHOICES, reads=("spatial/fig6",),
            profiles=_fig14_profiles()),
)

CATALOGUE = (
    Artifact("spatial.prop1", "Bayes classifier accurate but not shift-robust", "executed/spatial/theory", NOT_YET),
    Artifact("spatial.thm2", "adversarial robustness ⇒ low spatial accuracy", "executed/spatial/theory", NOT_YET),
    Artifact("spatial.table1", "MNIST StdCNN and p4 GCNN architectures", "executed/spatial/networks", NOT_YET),
    Artifact("spatial.fig6", "augmentation: invariance up, robustness down (MNIST)", "executed/spatial/fig6", NOT_YET),
    Artifact("spatial.fig7", "adversarial training: robustness up, invariance down (MNIST)", "executed/spatial/fig7",
             NOT_YET),
    Artifact("spatial.fig14", "rotation range vs DeepFool distance and PGD accuracy (MNIST)",
             "executed/spatial/fig14", NOT_YET),
    Artifact("spatial.cifar", "CIFAR-10/100 and Tiny ImageNet figures (figs 1–5, 8–12)", None,
             GPU + " (" + OFFLINE + ")"),
)
