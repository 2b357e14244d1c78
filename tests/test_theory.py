"""The theory pages' formulas (reprolib.papers.spatial.theory, reprolib.papers.cake): spatial Prop 1 / Thm 2 and cake Thm 3.1 against REPRO_SPEC's closed-form tables.

Exact checks to 6 decimals; Monte Carlo at small n (seconds) within 0.005 of the closed forms; bad
parameters raise ConfigError naming the parameter.
"""
import math

import numpy as np
import pytest

from reprolib import numerics as N, profiles, sections
from reprolib.papers import cake
from reprolib.papers.spatial import runs as spatial_runs, theory as T
from reprolib.errors import ConfigError

# ----------------------------------------------------------------------------- spatial Prop 1, exact

# REPRO_SPEC Part II §4 spatial.prop1: p -> acc(f*, X), then acc(f*, r_j X) at a = 1/4, 0, -1/7.
PROP1_TABLE = {
    0.50: (0.977250, 0.691462, 0.500000, 0.387548),
    0.55: (0.977385, 0.693007, 0.502001, 0.389607),
    0.60: (0.977795, 0.697689, 0.508074, 0.395861),
    0.70: (0.979495, 0.717217, 0.533551, 0.422206),
    0.90: (0.987800, 0.815717, 0.666882, 0.563743),
}


@pytest.mark.parametrize("p", PROP1_TABLE)
def test_prop1_closed_forms_match_the_spec_table(p):
    clean, *shifted = PROP1_TABLE[p]
    assert round(T.prop1_clean_accuracy(p), 6) == clean
    for a, value in zip((0.25, 0.0, -1 / 7), shifted):
        assert round(T.prop1_shifted_accuracy(p, a), 6) == value
    assert np.allclose(T.prop1_shifted_accuracy(p, np.array([0.25, 0.0])), shifted[:2], atol=5e-7)


def test_normal_constants_and_quantile():
    assert round(N.normal_cdf(2.0), 6) == 0.977250
    assert round(N.normal_cdf(1.0), 6) == 0.841345
    assert round(N.normal_cdf(0.5), 6) == 0.691462
    assert round(N.normal_quantile(0.99), 4) == 2.3263
    assert round(T.prop1_paper_ceiling(3 / 8), 6) == 0.841345 and round(T.prop1_ceiling(3 / 8), 6) == 0.691462


@pytest.mark.parametrize("generator, m, expected", [
    ("d16-flat", 4, 0.762909), ("d8", 2, 0.533976), ("d16", 4, 0.715044)])
def test_random_shift_accuracy_at_p_one_half(generator, m, expected):
    assert round(T.prop1_random_shift_accuracy(generator, m, 0.5), 6) == expected


def test_generators_have_the_stated_distances():
    assert T.relative_distance("d7") == pytest.approx(4 / 7)
    assert T.relative_distance("d8") == 0.5
    assert T.relative_distance("d16") == 3 / 8
    assert T.shift_distances("d16", 4).tolist() == [6, 8, 6, 0]
    assert T.shift_distances("d16-flat", 4).tolist() == [6, 6, 6, 0]
    assert T.relative_distance("d16-flat") == 1 / 8
    assert T.relative_distance("d64") >= 3 / 8
    for d in T.DEFAULT_GENERATOR:
        assert len(T.codeword(d)) == d and T.relative_distance(d) >= 3 / 8
    # a_j <= 1 - 2δ <= 1/4 for every non-identity shift
    assert max(T.shift_alignments("d16", 4)[:-1]) <= 0.25 and T.shift_alignments("d16", 4)[-1] == 1


def test_cyclic_shift_follows_the_definition():
    x = np.arange(9.0)[None, :]          # x0 = 0, x1..x8 = 1..8
    assert T.cyclic_shift(x, 2, 1)[0].tolist() == [0, 3, 4, 5, 6, 7, 8, 1, 2]
    assert np.array_equal(T.cyclic_shift(x, 2, 4), x)   # j = d/m is the identity


def test_bayes_classifier_is_the_family_member_beta_L_over_4():
    rng = np.random.default_rng(0)
    x, _ = T.sample_cyclic_code("d16", 0.7, 50, rng)
    c, beta = T.codeword("d16"), T.log_odds(0.7) / 4
    assert np.allclose(T.bayes_score(x, c, 0.7), beta * 4 * x[:, 0] + x[:, 1:] @ c)


# ----------------------------------------------------------------------------- spatial, Monte Carlo


def test_prop1_monte_carlo_matches_closed_forms():
    p, n = 0.55, 100_000
    mc = T.prop1_monte_carlo("d8", m=2, p=p, n=n, seed=1)
    a = T.shift_alignments("d8", 2)
    assert abs(mc["clean"] - T.prop1_clean_accuracy(p)) <= 0.005
    assert np.all(np.abs(np.array(mc["shifted"]) - T.prop1_shifted_accuracy(p, a[:-1])) <= 0.005)
    assert np.all(np.abs(np.array(mc["bayes_shifted"]) - T.prop1_clean_accuracy(p)) <= 0.005)
    assert abs(mc["random"] - T.prop1_random_shift_accuracy("d8", 2, p)) <= 0.005


def test_thm2_monte_carlo_matches_closed_forms_and_sign_x0():
    p, d, n = 0.6, 64, 60_000
    mc = T.thm2_monte_carlo(d, ms=[16], p=p, betas=[0.0, 2.0, 8.0], n=n, seed=2)
    for beta in (0.0, 2.0, 8.0):
        got = mc[f"beta={beta:g}"]
        assert abs(got["clean"] - T.linear_family_accuracy(p, beta, 1.0)) <= 0.005
        assert abs(got["robust"] - T.linear_family_robust_accuracy(p, beta, d)) <= 0.005
        assert abs(got["spatial"][16] - T.linear_family_spatial_accuracy(d, 16, p, beta)) <= 0.005
    s = mc["sign(x0)"]
    assert s["clean"] == s["robust"] == s["spatial"][16] and abs(s["clean"] - p) <= 0.005


def test_mc_tolerance_is_the_spec_value_at_the_spec_n():
    assert N.mc_tolerance(200_000) == 0.005 and N.mc_tolerance(100_000, reference_n=100_000) == 0.005
    assert N.mc_tolerance(20_000) > 0.005


# ----------------------------------------------------------------------------- spatial Thm 2

# REPRO_SPEC Part II §4 spatial.thm2: (m/d, p) -> lower / upper at eta = 0, 0.01, 0.05, 0.1.
ETAS = (0.0, 0.01, 0.05, 0.1)
THM2_TABLE = {
    (1, 8, 0.5): ((0.875, 0.86625, 0.83125, 0.7875), (0.875, 0.87625, 0.88125, 0.8875)),
    (1, 4, 0.5): ((0.75, 0.7425, 0.7125, 0.675), (0.75, 0.7525, 0.7625, 0.775)),
    (1, 4, 0.6): ((0.75, 0.7425, 0.7125, 0.675), (0.75, 0.75375, 0.76875, 0.7875)),
    (1, 2, 0.5): ((0.5, 0.495, 0.475, 0.45), (0.5, 0.505, 0.525, 0.55)),
    (1, 2, 0.6): ((0.5, 0.495, 0.475, 0.45), (0.5, 0.5075, 0.5375, 0.575)),
}


@pytest.mark.parametrize("m, d, p", THM2_TABLE)
def test_thm2_bounds_match_the_spec_table(m, d, p):
    lowers, uppers = THM2_TABLE[(m, d, p)]
    for eta, lo, up in zip(ETAS, lowers, uppers):
        lower, upper = T.thm2_bounds(m=m * 8, d=d * 8, p=p, eta=eta)   # only m/d matters
        assert (round(lower, 6), round(upper, 6)) == (lo, up)


def test_thm2_bounds_are_ordered_and_capped():
    rng = np.random.default_rng(0)
    for _ in range(500):
        k = int(rng.choice([2, 4, 8, 16]))
        p, eta = float(rng.uniform(0.5, 0.99)), float(rng.uniform(0, 1))
        lower, upper = T.thm2_bounds(m=1, d=k, p=p, eta=eta)
        assert 0 <= lower <= upper <= 1


def test_thm2_worked_example_sign_x0():
    ex = T.sign_x0_accuracies(0.6, 64)
    assert ex == {"clean": 0.6, "robust": 0.6, "spatial": 0.6}
    eta = 1 - ex["robust"]
    assert T.thm2_clean_cap(0.6, eta) == pytest.approx(0.6)
    lower, upper = T.thm2_bounds(m=16, d=64, p=0.6, eta=eta)
    assert (round(lower, 6), round(upper, 6)) == (0.45, 0.9) and lower <= ex["spatial"] <= upper
    assert T.sign_x0_accuracies(0.6, 16)["robust"] == 0.0    # 4/√16 = 1 can zero x0


def test_linear_family_stays_inside_thm2_and_below_p():
    c, p, d = T.codeword(64), 0.6, 64
    for beta in np.linspace(0, 30, 31):
        robust = T.linear_family_robust_accuracy(p, beta, d)
        assert robust <= p
        for m in (8, 16, 32):
            lower, upper = T.thm2_bounds(m=m, d=d, p=p, eta=1 - robust)
            assert lower <= T.linear_family_spatial_accuracy(c, m, p, beta) <= upper


# ----------------------------------------------------------------------------- cake Thm 3.1


def test_tsipras_numbers():
    assert round(cake.tsipras_robust_bound(0.96, 0.95), 6) == 0.76
    assert round(cake.tsipras_robust_bound(0.99, 0.95), 6) == 0.19
    assert cake.tsipras_robust_bound(0.95, 0.95) == pytest.approx(0.95)       # attained by sign(x1)
    assert cake.sign_x1_accuracies(0.95, 0.19) == (0.95, 0.95)
    # spec: η√d = 1, 2, 3 (Φ to 6 decimals); 2.3263 is given as 99.00% / 1.00% (4 decimals)
    for t, clean, robust, digits in [(1, 0.841345, 0.158655, 6), (2, 0.977250, 0.022750, 6),
                                     (3, 0.998650, 0.001350, 6), (2.3263, 0.99, 0.01, 4)]:
        c, r = cake.g_avg_accuracies(t)
        assert (round(c, digits), round(r, digits)) == (clean, robust)
    assert round(cake.eta_sqrt_d_for_clean(0.99), 4) == 2.3263


def test_linear_closed_form_reduces_to_g_avg_and_sign_x1():
    d, t = 400, 2.0
    eta = t / math.sqrt(d)
    clean, robust = cake.linear_tsipras_accuracies(np.r_[0.0, np.full(d, 1 / d)], 0.95, eta, 2 * eta)
    assert (clean, robust) == pytest.approx(cake.g_avg_accuracies(t), abs=1e-12)
    assert cake.linear_tsipras_accuracies(np.r_[1.0, np.zeros(d)], 0.95, eta, 2 * eta) == (0.95, 0.95)


def test_tsipras_monte_carlo_matches_closed_forms():
    p, d, n = 0.95, 100, 100_000
    mc = cake.tsipras_monte_carlo(p=p, d=d, eta_sqrt_d=3.0, grid=[1.0, 2.0], n=n, seed=3,
                               weights={"avg": np.r_[0.0, np.full(d, 1 / d)]})
    for t in (1.0, 2.0, 3.0):
        clean, robust = cake.g_avg_accuracies(t)
        assert abs(mc[f"g_avg@{t:g}"]["clean"] - clean) <= 0.005
        assert abs(mc[f"g_avg@{t:g}"]["robust"] - robust) <= 0.005
    assert abs(mc["sign(x1)"]["clean"] - p) <= 0.005 and mc["sign(x1)"]["robust"] == mc["sign(x1)"]["clean"]
    # the generic linear evaluator agrees with the g_avg shortcut and with the exact linear formula
    assert abs(mc["avg"]["clean"] - mc["g_avg@3"]["clean"]) <= 0.005
    assert abs(mc["avg"]["robust"] - mc["g_avg@3"]["robust"]) <= 0.005
    w = np.r_[0.5, np.linspace(-0.02, 0.05, d)]
    mc = cake.tsipras_monte_carlo(p=p, d=d, eta_sqrt_d=3.0, n=n, seed=4, weights={"w": w})
    exact = cake.linear_tsipras_accuracies(w, p, 3.0 / math.sqrt(d), 2 * 3.0 / math.sqrt(d))
    assert abs(mc["w"]["clean"] - exact[0]) <= 0.005 and abs(mc["w"]["robust"] - exact[1]) <= 0.005


def test_adversarial_logistic_regression_moves_weight_to_x1():
    p, d, t = 0.95, 50, 3.0
    eta = t / math.sqrt(d)
    x, y = cake.tsipras_sample(p, d, eta, 2000, np.random.default_rng(0))
    w_nat = cake.fit_linear_logistic(x, y, eps=0.0, steps=100)
    w_adv = cake.fit_linear_logistic(x, y, eps=2 * eta, steps=100)
    share = [abs(w[0]) / np.abs(w).sum() for w in (w_nat, w_adv)]
    assert share[0] < 0.1 < 0.5 < share[1]


# ----------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize("call, match", [
    (lambda: T.prop1_clean_accuracy(1.2), r"p=1\.2"),
    (lambda: T.prop1_clean_accuracy(0.0), r"p=0\.0"),
    (lambda: T.prop1_clean_accuracy(0.3), r"p=0\.3 must be a number in \[0\.5, 1\)"),
    (lambda: T.prop1_clean_accuracy(1.0), r"p=1\.0"),
    (lambda: T.thm2_bounds(m=1, d=4, p=0.6, eta=-0.1), r"eta=-0\.1"),
    (lambda: T.thm2_bounds(m=1, d=4, p=0.6, eta=1.5), r"eta=1\.5"),
    (lambda: T.thm2_bounds(m=3, d=8, p=0.6, eta=0.1), r"m=3 must divide d=8"),
    (lambda: T.thm2_bounds(m=0, d=8, p=0.6, eta=0.1), r"m=0"),
    (lambda: T.prop1_monte_carlo("d8", m=3, p=0.5, n=10, seed=0), r"m=3 must divide d=8"),
    (lambda: T.prop1_monte_carlo("d8", m=2, p=0.5, n=0, seed=0), r"n=0"),
    (lambda: T.codeword("++x-"), r"generator='\+\+x-'"),
    (lambda: T.codeword(12), r"d=12 has no stored generator"),
    (lambda: cake.tsipras_robust_bound(1.5, 0.95), r"clean_accuracy=1\.5"),
    (lambda: cake.tsipras_robust_bound(0.9, 1.0), r"p=1\.0"),
    (lambda: cake.tsipras_sample(0.95, 10, -1.0, 5, np.random.default_rng(0)), r"eta=-1\.0"),
    (lambda: T.linear_family_accuracy(0.6, -1.0), r"beta=-1\.0"),
    (lambda: N.normal_quantile(1.0), r"q=1\.0"),
])
def test_bad_parameters_raise_config_error_naming_them(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


# ----------------------------------------------------------------------------- sections and records


def test_sections_resolve_and_reject_bad_values():
    assert profiles.resolve("spatial/theory", "cpu")["n_mc"] == 200_000
    assert profiles.resolve("spatial/theory", "smoke")["n_mc"] < 200_000
    assert profiles.resolve("cake/tsipras", "cpu")["p"] == 0.95
    with pytest.raises(ConfigError, match="n_mc=0"):
        profiles.resolve("cake/tsipras", "smoke", n_mc=0)
    with pytest.raises(ConfigError, match="shift_fraction=0.3"):  # checked when the settings are made
        profiles.resolve("spatial/theory", "smoke", shift_fraction=0.3)


def test_runners_produce_reproduced_records_with_passing_claims():
    cfg = profiles.resolve("spatial/theory", "smoke", ds=[8], ps=[0.5], betas=[0.0, 8.0], n_mc=5000)
    recs = sections.get("spatial/theory").run(cfg, "smoke", recompute=True)
    cfg = profiles.resolve("cake/tsipras", "smoke", d=50, n_mc=5000, n_fit=500, fit_steps=60)
    recs.update(sections.get("cake/tsipras").run(cfg, "smoke", recompute=True))
    assert set(recs) == {"spatial.prop1", "spatial.thm2", "cake.thm3_1"}
    for artifact, rec in recs.items():
        assert rec["status"] == "reproduced" and rec["rows"] and rec["claims"], artifact
        assert all(c["passed"] for c in rec["claims"]), [c for c in rec["claims"] if not c["passed"]]
        assert all("paper" in r for r in rec["rows"]), artifact
    prop1 = recs["spatial.prop1"]["rows"]
    assert {r["paper"]["accuracy"] for r in prop1} == {0.97, 0.85}
    bound_rows = [r for r in recs["cake.thm3_1"]["rows"] if r["kind"] == "bound"]
    assert [r["paper"]["robust"] for r in bound_rows] == [0.76, 0.19]
