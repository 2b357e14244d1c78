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

from dataclasses import dataclass

from ... import settings
from ...errors import ConfigError
from ...scorecard import NOT_YET, Artifact
from ...sections import Section
from ...settings import Settings
from .. import closer_look
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

# cake §3, Thm 3.1 (Tsipras et al.): p = 0.95, eta = eta_sqrt_d / sqrt(d), eps = 2 eta (REPRO_SPEC Part I §3).
@dataclass(frozen=True)
class TsiprasSettings(Settings):
    p: float = settings.param(0.95, "probability that x1 equals the label (the robust feature), in [0.5, 1)",
                              ge=0.5, le=1.0)
    d: int = settings.param(1000, "number of weak Gaussian features x2..x(d+1), each N(ηy, 1)", ge=1)
    eta_sqrt_d: float = settings.positive(3.0, "η·√d, where η is the mean of the weak features; the adversary's "
                                               "ℓ∞ radius is 2η")
    eta_sqrt_d_grid: tuple[float, ...] = settings.param([1.0, 2.0, 2.3263], "further η·√d values for the averaging "
                                                        "classifier g_avg", gt=0.0)
    clean_targets: tuple[float, ...] = settings.param([0.96, 0.99], "clean accuracies whose robust-accuracy "
                                                      "ceiling is reported", ge=0.0, le=1.0)
    n_mc: int = settings.param(100000, "Monte Carlo draws (the spec's size)", ge=1)
    n_fit: int = settings.param(10000, "training examples for the two logistic regressions", ge=1)
    fit_steps: int = settings.steps(300, "full-batch Adam steps of each logistic fit")
    seed: int = settings.seed(0, "random seed (the fits' sample; the Monte Carlo draws use seed + 1)")

    def check(self) -> None:
        super().check()
        if self.p >= 1.0:  # the ceiling p/(1-p)·δ needs p < 1
            raise ConfigError(f"p={self.p!r} must be < 1")


# Table 3: closer_look's MNIST protocol (cake reuses its code; settings.GridSettings' defaults), CNN1 and its BN
# variants x natural / TRADES.
Table3Grid = settings.with_methods(settings.GridSettings, table3.METHODS, "CakeTable3Grid")

_TABLE3_BASE = {
    "archs": list(table3.ARCHS), "methods": list(table3.METHODS),
    "spread_methods": ["Natural", table3.trades_row(1.0)], "spread_seeds": [1], "epochs": 2,
    # every TRADES network is audited, the spread seed's included
    "audit_methods": [m for m in table3.METHODS if m != "Natural"], "audit_seeds": [0, 1],
}

# ============================================================================= sections and scorecard rows

SECTIONS = (
    Section("cake/tsipras", TsiprasSettings, run=run_tsipras, profiles={
        "smoke": {"d": 200, "n_mc": 20000, "n_fit": 1000, "fit_steps": 100},
    }),
    # Table 3: batch norm under natural training and TRADES.
    Section("cake/table3", Table3Grid, run=run_table3, sweep=table3.GRID.sweep(), profiles={
        "base": _TABLE3_BASE,
        # 1/λ = 0.5 and 2 left out at cpu (REPRO_SPEC's CPU protocol): on two cores each BN-variant TRADES run takes
        # 6-12 minutes; the paper profile runs all four weights.
        # AutoAttack with its masking checks: 20-55 min per CNN1-family network on a core (APGD-T, FAB-T and Square
        # run on the 75-90% of the images a robust network keeps).
        "cpu": {"methods": ["Natural", table3.trades_row(1.0), table3.trades_row(3.0)]},
        "smoke": {"methods": ["Natural", table3.trades_row(1.0)], "spread_seeds": [], "n_train": 600, "epochs": 1,
                  "attack_steps": 5, "attack_step_size": 0.04, "n_eval_train": 100, "n_eval_test": 100,
                  "audit_archs": ["CNN1_BN1"], "n_audit": 10, "audit_version": "apgd"},
        # full: closer_look Table 2's full budget (8 epochs of all of MNIST, lr x0.1 for the last two, the curve,
        # PGD-10 and the Lipschitz estimate on all 10,000 test images, the gaps on 10,000 training images rather
        # than the paper's 60,000), so that the CNN1 rows it shares with that table are the same networks, trained
        # once; every TRADES network audited (`apgd`); seed 0 of natural, 1/λ = 1 and 3 kept in float16.
        "full": {**closer_look.FULL_GRID, "methods": list(table3.METHODS),
                 "keep_methods": ["Natural", table3.trades_row(1.0), table3.trades_row(3.0)]},
        # the paper's protocol: 160 epochs of SGD at 1e-4 on summed batch losses (REPRO_SPEC errata 9)
        "paper": {"n_train": None, "epochs": 160, "lr": 1e-4, "reduction": "sum", "milestones": [40, 80, 120, 140],
                  "lip_step_size": 0.003, "n_eval_train": None, "n_eval_test": None, "n_audit": None},
    }),
    # The closing page: each paper's position and the book's numbers on it (reads the other sections' records).
    Section("cake/closing"),
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
    Artifact("cake.table3", "BatchNorm under natural training and TRADES (MNIST)", "executed/cake/table3", NOT_YET,
             targets=table3.full_targets),
)
