"""cake (*Are we trying to have our cake and eat it too?*, a review): how this book reproduces it.

The review restates results of the other papers and adds one experiment. This package owns what only cake
has; the rest lives with the paper that states it first, and cake's pages link there:

* :mod:`.tsipras`: **Theorem 3.1** (Tsipras et al. 2019's trade-off), section ``cake/tsipras``.
* :mod:`.table3`: **Table 3** (batch normalisation under natural training and TRADES), section ``cake/table3``,
  a :class:`reprolib.grid.MethodGrid` like closer_look's Table 2.
* :mod:`.closing`: the closing page ``cake/closing``, each paper's position with the book's numbers.
* **Table 2** (separation of Fashion-MNIST): computed by the ``closer_look/separation`` section
  (:mod:`reprolib.papers.closer_look.separation`), stored as its own record ``cake.table2``.
* **Table 1, Thms 4.1/4.2** are TRADES' Table 2 and Thms 3.1/3.2 (:mod:`reprolib.papers.trades`);
  **Thm 5.2** is closer_look's Thm 4.2 (:mod:`reprolib.papers.closer_look.existence`).

This file declares cake's sections (their settings per profile) and its scorecard rows.
"""
from __future__ import annotations

from ...models import MODELS
from ...scorecard import NOT_YET, Artifact
from ...sections import Section
from . import table3
from .closing import closing_numbers
from .table3 import beta_figure, run_table3
from .tsipras import (
    CAKE_PAPER,
    compute_tsipras,
    eta_sqrt_d_for_clean,
    fit_linear_logistic,
    g_avg_accuracies,
    linear_accuracies,
    linear_tsipras_accuracies,
    run_tsipras,
    sign_x1_accuracies,
    tsipras_claims,
    tsipras_figure,
    tsipras_monte_carlo,
    tsipras_robust_bound,
    tsipras_sample,
    tsipras_table,
)

__all__ = ["SECTIONS", "CATALOGUE", "CAKE_PAPER", "beta_figure", "closing_numbers", "compute_tsipras",
           "eta_sqrt_d_for_clean", "fit_linear_logistic", "g_avg_accuracies", "linear_accuracies",
           "linear_tsipras_accuracies", "run_table3", "run_tsipras", "sign_x1_accuracies", "table3",
           "tsipras_claims", "tsipras_figure", "tsipras_monte_carlo", "tsipras_robust_bound", "tsipras_sample",
           "tsipras_table"]

# Table 3: closer_look's MNIST protocol (cake reuses its code), CNN1 and its BN variants x natural / TRADES.
_TABLE3_BASE = {
    "dataset": "mnist", "eps": 0.1, "archs": list(table3.ARCHS), "methods": list(table3.METHODS),
    "seeds": [0], "spread_methods": ["Natural", table3.trades_row(1.0)], "spread_seeds": [1],
    "n_train": 10000, "epochs": 2, "batch_size": 64,
    "optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "milestones": [], "reduction": "mean",
    "attack_steps": 10, "attack_step_size": 0.02,
    "eval_steps": 10, "eval_step_size": 0.02, "n_eval_train": 1000, "n_eval_test": 1000,
    "lip_steps": 10, "lip_step_size": 0.02, "precision": "fp32",
    # every TRADES network is audited, the spread seed's included
    "audit_methods": [m for m in table3.METHODS if m != "Natural"], "audit_seeds": [0, 1], "audit_archs": None,
    "n_audit": 500,
    "audit_version": "standard",
}
_TABLE3_CHOICES = {"archs": MODELS, "methods": table3.METHODS, "spread_methods": table3.METHODS,
                   "audit_methods": table3.METHODS, "audit_archs": MODELS}

# ============================================================================= sections and scorecard rows

SECTIONS = (
    # cake §3, Thm 3.1 (Tsipras et al.): p = 0.95, eta = eta_sqrt_d / sqrt(d), eps = 2 eta (REPRO_SPEC Part I §3).
    Section("cake/tsipras", run=run_tsipras, profiles={
        "base": {"p": 0.95, "d": 1000, "eta_sqrt_d": 3.0, "eta_sqrt_d_grid": [1.0, 2.0, 2.3263],
                 "clean_targets": [0.96, 0.99], "n_mc": 100000, "n_fit": 10000, "fit_steps": 300, "seed": 0},
        "smoke": {"d": 200, "n_mc": 20000, "n_fit": 1000, "fit_steps": 100},
        "cpu": {"n_mc": 100000},  # the spec's Monte Carlo size
    }),
    # Table 3: batch norm under natural training and TRADES.
    Section("cake/table3", run=run_table3, choices=_TABLE3_CHOICES, sweep=table3.GRID.sweep(), profiles={
        "base": _TABLE3_BASE,
        # 1/λ = 0.5 and 2 left out at cpu (REPRO_SPEC's CPU protocol): on two cores each BN-variant TRADES run takes
        # 6-12 minutes; the paper profile runs all four weights.
        # AutoAttack with its masking checks: 20-55 min per CNN1-family network on a core (APGD-T, FAB-T and Square
        # run on the 75-90% of the images a robust network keeps).
        "cpu": {"methods": ["Natural", table3.trades_row(1.0), table3.trades_row(3.0)]},
        "smoke": {"methods": ["Natural", table3.trades_row(1.0)], "spread_seeds": [], "n_train": 600, "epochs": 1,
                  "attack_steps": 5, "attack_step_size": 0.04, "n_eval_train": 100, "n_eval_test": 100,
                  "audit_archs": ["CNN1_BN1"], "n_audit": 20},
        # the paper's protocol: 160 epochs of SGD at 1e-4 on summed batch losses (REPRO_SPEC errata 9)
        "paper": {"n_train": None, "epochs": 160, "lr": 1e-4, "reduction": "sum", "milestones": [40, 80, 120, 140],
                  "lip_step_size": 0.003, "n_eval_train": None, "n_eval_test": None, "n_audit": None},
    }),
    # The closing page: each paper's position and the book's numbers on it (reads the other sections' records).
    Section("cake/closing", profiles={"base": {}}),
)

CATALOGUE = (
    Artifact("cake.thm3_1", "Tsipras et al. trade-off and its numbers", "executed/cake/tsipras", NOT_YET),
    Artifact("cake.table1", "calibrated losses (= TRADES Table 2)", "executed/trades/surrogates", NOT_YET,
             "trades.table2"),
    Artifact("cake.thm4_1", "upper bound on the robust error (= TRADES Thm 3.1)", "executed/trades/surrogates",
             NOT_YET, "trades.thm3_1"),
    Artifact("cake.thm4_2", "tightness of the bound (= TRADES Thm 3.2)", "executed/trades/surrogates", NOT_YET,
             "trades.thm3_2"),
    Artifact("cake.alg1", "the TRADES algorithm (= TRADES Algorithm 1)", "executed/trades/algorithm", NOT_YET,
             "trades.eq3"),
    Artifact("cake.thm5_2", "r-separation ⇒ an accurate and robust classifier (= closer_look Thm 4.2)",
             "executed/closer_look/existence", NOT_YET, "closer_look.thm4_2"),
    Artifact("cake.table2", "separation of Fashion-MNIST, Chest X-Ray, GTSRB", "executed/closer_look/separation",
             NOT_YET),
    Artifact("cake.table3", "BatchNorm under natural training and TRADES (MNIST)", "executed/cake/table3", NOT_YET),
)
