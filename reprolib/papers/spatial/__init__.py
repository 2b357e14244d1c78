"""spatial (Kamath et al., *Invariance vs. Robustness*): how this book reproduces it.

* :mod:`.theory`: §3's cyclic-code distribution, its Bayes classifier, the closed forms of Prop 1 and Thm 2.
* :mod:`.runs`: the records of the theory page (Prop 1, Thm 2) and their claims checks.
* :mod:`.report`: that page's tables and figures.

The MNIST experiments use shared machinery: StdCNN and its p4 GCNN twin (``reprolib.models``), the invariance
and robustness profilers (``reprolib.invariance``), DeepFool (``reprolib.attacks``). This file declares the
chapter's sections and its scorecard rows.
"""
from __future__ import annotations

from ...scorecard import GPU, NOT_YET, OFFLINE, Artifact
from ...sections import Section
from . import report, runs, theory
from .runs import run_theory

__all__ = ["SECTIONS", "CATALOGUE", "report", "runs", "theory", "run_theory"]

SECTIONS = (
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
)

CATALOGUE = (
    Artifact("spatial.prop1", "Bayes classifier accurate but not shift-robust", "executed/spatial/theory", NOT_YET),
    Artifact("spatial.thm2", "adversarial robustness ⇒ low spatial accuracy", "executed/spatial/theory", NOT_YET),
    Artifact("spatial.table1", "MNIST StdCNN and p4 GCNN architectures", "spatial/index",
             "architectures only: built and unit-tested in reprolib, no chapter page yet"),
    Artifact("spatial.fig6", "augmentation: invariance up, robustness down (MNIST)", "spatial/index", NOT_YET),
    Artifact("spatial.fig7", "adversarial training: robustness up, invariance down (MNIST)", "spatial/index",
             NOT_YET),
    Artifact("spatial.fig14", "rotation range vs DeepFool distance and PGD accuracy", "spatial/index", NOT_YET),
    Artifact("spatial.cifar", "CIFAR-10/100 and Tiny ImageNet figures (figs 1–5, 8–12)", None,
             GPU + " (" + OFFLINE + ")"),
)
