"""closer_look (Yang et al. 2020, *A Closer Look at Accuracy vs. Robustness*): how this book reproduces it.

* :mod:`.separation`: §3, Table 1 and Fig 3 (and cake Table 2), exact ℓ∞ separation of real datasets.
* :mod:`.existence` and :mod:`.construction`: §4, Thm 4.2 (= cake Thm 5.2) and the spiral of Fig 4, the
  distance-to-class construction checked on real data.
* :mod:`.table2`: §5, Tables 2–4, ten training methods (:data:`METHODS`) through the one training loop.
* :mod:`.values`: the paper's numbers, copied from REPRO_SPEC.

This file declares the chapter's sections (their settings per profile) and its scorecard rows.
"""
from __future__ import annotations

from dataclasses import dataclass

from ... import settings
from ...scorecard import MISSING_APPENDIX, OFFLINE, Artifact
from ...sections import Section
from ...settings import Settings
from .existence import (
    binary_construction,
    construction_vs_trained,
    run_existence,
    spiral,
)
from .separation import histogram_frame, run_separation, separation_histogram
from .table2 import (
    METHODS,
    TABLE2_GRID,
    TABLE3_GRID,
    TABLE4_GRID,
    lipschitz_scatter,
    run_table2,
    run_table3,
    run_table4,
    table2_summary,
)

__all__ = ["METHODS", "SECTIONS", "CATALOGUE", "binary_construction", "construction_vs_trained", "run_existence",
           "spiral", "histogram_frame", "run_separation", "separation_histogram", "TABLE2_GRID",
           "lipschitz_scatter", "run_table2", "run_table3", "run_table4", "table2_summary"]

@dataclass(frozen=True)
class SeparationSettings(Settings):
    datasets: tuple[str, ...] = settings.datasets(["mnist", "fashion_mnist"])
    n_train: int | None = settings.count(None, "training images (a fixed subset)")
    n_test: int | None = settings.count(None, "test images (a fixed subset)")
    seed: int = settings.seed()


@dataclass(frozen=True)
class ExistenceSettings(SeparationSettings):
    n_test: int | None = settings.count(1000, "test images classified (a fixed subset)")
    n_pairs: int = settings.count(2000, "sampled pairs for the Lipschitz check")
    spiral_points: int = settings.count(200, "points of the spiral example")
    grid: int = settings.count(300, "grid points per axis of the spiral figure")


# Tables 2-4: ten training methods through the one loop (settings.GridSettings' defaults are Table 2's protocol)
GridSettings = settings.with_methods(settings.GridSettings, METHODS, "CloserLookGrid")


@dataclass(frozen=True)
class Table3Settings(GridSettings):
    rerun: bool = settings.param(True, "train the grid (False: the page shows the paper's numbers only)")


_TABLE2_BASE = {"methods": list(METHODS), "spread_methods": ["Natural", "AT", "TRADES(β=6)"], "spread_seeds": [1],
                # AutoAttack beside PGD and the gradient-masking checks, for these runs
                "audit_methods": ["Natural", "AT", "TRADES(β=6)"]}
# audit every network a grid trains, every seed included (Table 2 at cpu; every paper profile)
_AUDIT_ALL = {"audit_methods": list(METHODS), "audit_seeds": [0, 1]}

# full: the whole training set at the paper's threat model, training attacks and PGD-10 evaluation. The paper's 160
# epochs (≈ 150k steps of batch 64) are out of CPU reach: 8 epochs of SGD 0.01 with momentum 0.9 (the cpu
# profile's), lr x0.1 for the last two (about 7.5k steps, ≈ 80 min per CNN1 TRADES network on a core), the same
# for every network; each network's curve on 1,000 test images shows whether it had plateaued. Clean and PGD
# accuracy on all 10,000 test images and on 10,000 training images (the gaps), the Lipschitz estimate on the test
# images; AutoAttack's `apgd` version on 1,000 test images of every robust network (the audit policy for grids,
# benchmarks/audit_policy.py). Weights kept in float16 (the networks are measured so rounded), seed 0 of the
# natural, AT and TRADES rows (the repository's weights budget, reprolib.zoo). cake Table 3's full profile
# (reprolib.papers.cake) trains its CNN1 rows with exactly these settings, so they are these networks.
FULL_GRID = {"n_train": None, "epochs": 8, "milestones": [6], "n_eval_train": 10000, "n_eval_test": None,
             "curve_n": 1000, "n_audit": 1000, "audit_version": "apgd", "audit_seeds": [0, 1],
             "weights_dtype": "float16", "keep_seeds": [0]}


SECTIONS = (
    # Table 1 / Fig 3 and cake Table 2: exact L-inf separation.
    Section("closer_look/separation", SeparationSettings, run=run_separation, profiles={
        "smoke": {"n_train": 3000, "n_test": 300},
        "paper": {"datasets": ["mnist", "fashion_mnist", "cifar10", "svhn"]},
    }),
    # Thm 4.2: the distance-to-class construction as a classifier.
    Section("closer_look/existence", ExistenceSettings, run=run_existence, reads=("closer_look/table2",), profiles={
        "smoke": {"datasets": ["mnist"], "n_train": 2000, "n_test": 100, "n_pairs": 200, "grid": 60},
        "paper": {"n_test": None},
    }),
    Section("closer_look/table2", GridSettings, run=run_table2, sweep=TABLE2_GRID.sweep(), profiles={
        "base": _TABLE2_BASE,
        # AutoAttack at cpu on every network and seed, as at paper (one network 16-40 min on a core)
        "cpu": {"archs": ["CNN1", "CNN2"], **_AUDIT_ALL},
        "smoke": {"methods": ["Natural", "AT", "TRADES(β=1)"], "spread_seeds": [], "n_train": 600, "epochs": 1,
                  "n_eval_train": 100, "n_eval_test": 100, "audit_methods": ["Natural", "AT"], "n_audit": 10,
                  "audit_version": "apgd"},
        "paper": {"archs": ["CNN1", "CNN2"], "n_train": None,
                  "epochs": 160, "lr": 1e-4, "reduction": "sum", "milestones": [40, 80, 120, 140],
                  "n_eval_train": None, "n_eval_test": None, "n_audit": None, **_AUDIT_ALL},
        "full": {"archs": ["CNN1", "CNN2"], **FULL_GRID, "audit_methods": [m for m in METHODS if m != "Natural"],
                 "keep_methods": ["Natural", "AT", "TRADES(β=1)", "TRADES(β=3)", "TRADES(β=6)"]},
    }),
    # Table 4's protocol (dropout vs none) on Fashion-MNIST, a stand-in for SVHN / CIFAR-10.
    Section("closer_look/dropout", GridSettings, run=run_table4, sweep=TABLE4_GRID.sweep(), profiles={
        "base": _TABLE2_BASE,
        # AutoAttack on the four robust networks only (the natural ones are not robust models; auditing the
        # natural CNN2 took 25 min on one core, a third of its images surviving APGD).
        "cpu": {"dataset": "fashion_mnist", "archs": ["CNN2", "CNN2-nodropout"],
                "methods": ["Natural", "AT", "TRADES(β=6)"], "spread_seeds": [], "n_train": 5000, "epochs": 4,
                "audit_methods": ["AT", "TRADES(β=6)"]},
        "smoke": {"dataset": "fashion_mnist", "archs": ["CNN2", "CNN2-nodropout"], "methods": ["Natural", "AT"],
                  "spread_seeds": [], "n_train": 300, "epochs": 1, "n_eval_train": 50, "n_eval_test": 50,
                  "audit_methods": ["AT"], "n_audit": 10, "audit_version": "apgd"},
        # full: all of Fashion-MNIST with Table 2's full schedule and evaluation, every network kept
        "full": {"dataset": "fashion_mnist", "archs": ["CNN2", "CNN2-nodropout"],
                 "methods": ["Natural", "AT", "TRADES(β=6)"], "spread_seeds": [], **FULL_GRID,
                 "audit_methods": ["AT", "TRADES(β=6)"]},
        "paper": {"dataset": "svhn", "archs": ["WRN-40-10-drop50", "WRN-40-10"],
                  "methods": ["Natural", "AT", "RST(λ=2)", "TRADES(β=3)", "TRADES(β=6)"], "spread_seeds": [],
                  "eps": 0.031, "attack_step_size": 0.0062, "eval_step_size": 0.0062, "lip_step_size": 0.0062,
                  "n_train": None, "epochs": 60, "lr": 1e-2, "momentum": 0.0, "reduction": "sum",
                  "milestones": [30, 50], "n_eval_train": None, "n_eval_test": None, "n_audit": 1000,
                  **_AUDIT_ALL},
    }),
    # Table 3 (CIFAR-10 rows): rerun only in the paper profile (online data and a GPU).
    Section("closer_look/table3", Table3Settings, run=run_table3, sweep=TABLE3_GRID.sweep(), profiles={
        "base": {**_TABLE2_BASE, "rerun": False},
        "paper": {"rerun": True, "dataset": "cifar10", "archs": ["WRN-40-10"], "eps": 0.031,
                  "attack_step_size": 0.0062, "eval_step_size": 0.0062, "lip_step_size": 0.0062, "spread_seeds": [],
                  "n_train": None, "epochs": 120, "lr": 1e-2, "momentum": 0.0, "reduction": "sum",
                  "milestones": [40, 80, 100], "n_eval_train": None, "n_eval_test": None, "n_audit": 1000,
                  **_AUDIT_ALL},
    }),
)

_NONE = "no record yet: run this section"
CATALOGUE = (
    Artifact("closer_look.table1", "real image datasets are r-separated", "executed/closer_look/separation", _NONE),
    Artifact("closer_look.fig3", "histograms of per-point separation", "executed/closer_look/separation", _NONE,
             "closer_look.table1"),
    Artifact("closer_look.lemma4_1", "margin + local Lipschitzness ⇒ astuteness", "closer_look/index", _NONE,
             "closer_look.thm4_2"),
    Artifact("closer_look.thm4_2", "r-separated ⇒ a 1/r-Lipschitz astute classifier exists",
             "executed/closer_look/existence", _NONE),
    Artifact("closer_look.fig4", "the spiral example", "executed/closer_look/existence", _NONE, "closer_look.thm4_2"),
    Artifact("closer_look.table2", "MNIST: smoothness, robustness, generalisation of 10 methods",
             "executed/closer_look/table2", _NONE, targets=table2.full_targets),
    Artifact("closer_look.table3", "CIFAR-10 and Restricted ImageNet rows", "executed/closer_look/table3",
             "paper profile only (CIFAR-10 online and a GPU; Restricted ImageNet has no loader): the page shows the "
             "paper's numbers"),
    Artifact("closer_look.table4", "dropout narrows generalisation gaps (SVHN, CIFAR-10)",
             "executed/closer_look/dropout", OFFLINE + " (SVHN, CIFAR-10) and a GPU"),
    Artifact("closer_look.appC", "proof-of-concept robust and accurate networks", None, MISSING_APPENDIX),
    Artifact("closer_look.appE_staircase", "staircase example with splines", None, MISSING_APPENDIX),
    Artifact("closer_look.appE1_multitarget", "multi-targeted attack", None, MISSING_APPENDIX),
)
