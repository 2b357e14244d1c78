"""TRADES (Zhang et al. 2019): how this book reproduces it.

Not built yet beyond its landing page (``book/trades/index.md``); this module declares the paper's artifacts for
the scorecard. TRADES' Table 2 and Thms 3.1/3.2 are also cake's Table 1 and Thms 4.1/4.2: they belong here, and
cake's scorecard rows point to these. The TRADES loss itself is shared machinery (``reprolib.losses``), used by
every chapter that trains with it.
"""
from __future__ import annotations

from ..scorecard import GPU, NO_NUMBERS, NOT_YET, Artifact

SECTIONS = ()

CATALOGUE = (
    Artifact("trades.eq1", "robust = natural + boundary error", "trades/index", NOT_YET),
    Artifact("trades.toy", "toy example: Table 1, Eq. 2, Fig. 2", "trades/index", NOT_YET),
    Artifact("trades.table2", "calibrated losses and their ψ-transforms", "trades/index", NOT_YET),
    Artifact("trades.thm3_1", "upper bound on the robust error (theorem)", "trades/index", NOT_YET),
    Artifact("trades.thm3_2", "tightness of the bound (theorem)", "trades/index", NOT_YET),
    Artifact("trades.table3", "tightness on binary MNIST", "trades/index", NOT_YET),
    Artifact("trades.table4", "sensitivity to λ, MNIST and CIFAR-10", "trades/index",
             NOT_YET + "; CIFAR columns: " + GPU),
    Artifact("trades.table5", "white-box comparison with other defences", "trades/index", GPU),
    Artifact("trades.table6", "black-box transfer, MNIST", "trades/index", NOT_YET),
    Artifact("trades.table7", "black-box transfer, CIFAR-10", "trades/index", GPU),
    Artifact("trades.fig1", "decision-boundary illustration", None, NO_NUMBERS),
    Artifact("trades.fig3", "NeurIPS 2018 Adversarial Vision Challenge", None, "a past competition's leaderboard"),
)
