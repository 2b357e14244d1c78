"""TRADES' published numbers for the light sections, copied from ``shared/REPRO_SPEC.md`` (Part I §2) with their
source; ``tests/test_trades.py`` checks them against the spec.

Errors and ψ values are fractions / plain numbers (no percent).
"""
from __future__ import annotations

from fractions import Fraction

# trades.toy, Table 1 [P §2.4]: {classifier: {risk: value}} ("optimal" marks: Bayes for R_nat, all-one for R_rob).
TABLE1 = {
    "Bayes": {"nat": Fraction(0), "bdy": Fraction(1), "rob": Fraction(1)},
    "all-one": {"nat": Fraction(1, 2), "bdy": Fraction(0), "rob": Fraction(1, 2)},
}
TABLE1_SOURCE = "TRADES Table 1 (§2.4), REPRO_SPEC Part I §2 trades.toy"

# The spec's ε grid for the toy example and its all-one natural error there [derived, verified-here].
TOY_EPS = (0.05, 0.1, 0.2, 0.25, 0.3)
TOY_ALL_ONE_NAT = {0.05: Fraction(1, 2), 0.1: Fraction(1, 2), 0.2: Fraction(3, 5), 0.25: Fraction(1, 2),
                   0.3: Fraction(3, 5)}
TOY_SOURCE = "REPRO_SPEC Part I §2 trades.toy (closed forms) and §5 erratum 14"

# trades.table2 (= cake.table1): ψ(θ) at the spec's θ grid, 7 decimals [derived; verified-here at θ = 0.5].
# Hinge and sigmoid share ψ(θ) = θ.
PSI_THETAS = (0.1, 0.25, 0.5, 0.9, 1.0)
PSI_TABLE = {
    "hinge": (0.1, 0.25, 0.5, 0.9, 1.0),
    "sigmoid": (0.1, 0.25, 0.5, 0.9, 1.0),
    "exponential": (0.0050126, 0.0317542, 0.1339746, 0.5641101, 1.0),
    "logistic": (0.0072255, 0.0455660, 0.1887219, 0.7136030, 1.0),
}
PSI_DIGITS = 7
TABLE2_SOURCE = "TRADES Table 2 (§2.5) = cake Table 1; θ grid values: REPRO_SPEC Part I §2 trades.table2"
