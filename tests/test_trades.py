"""The TRADES chapter's exact results (reprolib.papers.trades): the toy example's risks against REPRO_SPEC's closed
forms, every ψ within 1e-6 of Table 2's closed form, Thm 3.1's two inequalities on exact finite distributions, the
tightness construction of Thm 3.2, the paper values against the spec, and bad input raising ConfigError naming
the parameter. Seconds in all (no training beyond a tiny 2-D model)."""
import re
from fractions import Fraction

import numpy as np
import pytest
import torch

from reprolib import models, profiles
from reprolib.errors import ConfigError
from reprolib.papers.trades import decomposition as D
from reprolib.papers.trades import fig1 as F1
from reprolib.papers.trades import surrogates as S
from reprolib.papers.trades import toy, values

EPS = (0.05, 0.1, 0.2, 0.25, 0.3)

# ----------------------------------------------------------------------------- the toy example, exact


@pytest.mark.parametrize("eps", EPS)
def test_toy_risks_are_the_spec_closed_forms(eps):
    labels = toy.toy_labels(eps)
    clf = toy.toy_classifiers(eps)
    bayes = toy.exact_risks(labels, clf["Bayes"], eps)
    assert bayes == {"nat": 0, "bdy": 1, "rob": 1}
    one = toy.exact_risks(labels, clf["all-one"], eps)
    assert one["bdy"] == 0 and one["nat"] == one["rob"] == values.TOY_ALL_ONE_NAT[eps] == toy.minus_one_length(eps)
    minus = toy.exact_risks(labels, clf["all-minus-one"], eps)
    assert minus["rob"] == 1 - one["rob"] and minus["bdy"] == 0
    for r in (bayes, one, minus):
        assert r["rob"] == r["nat"] + r["bdy"]  # Eq. (1), computed independently
    assert (one["rob"] == Fraction(1, 2)) == ((1 / (2 * Fraction(str(eps)))).denominator == 1)


def test_toy_erratum_at_0_2():
    labels, clf = toy.toy_labels(0.2), toy.toy_classifiers(0.2)
    assert toy.exact_risks(labels, clf["all-one"], 0.2)["rob"] == Fraction(3, 5)
    assert toy.exact_risks(labels, clf["all-minus-one"], 0.2)["rob"] == Fraction(2, 5)


def test_toy_labels_tile_the_unit_interval_and_alternate():
    for eps in EPS:
        ivs = toy.toy_labels(eps)
        assert ivs[0][0] == 0 and ivs[-1][1] == 1 and ivs[0][2] == -1
        assert all(a[1] == b[0] and a[2] == -b[2] for a, b in zip(ivs, ivs[1:]))


def test_a_classifier_with_one_boundary_has_the_expected_risks():
    """+1 on [0, 1/2), −1 on [1/2, 1]; labels −, +, −, + on quarters. At ε = 1/4 the two outer quarters are
    misclassified and the two inner ones lie within ε of the switch at 1/2; at ε = 1/8 only half of each inner one."""
    clf = [(Fraction(0), Fraction(1, 2), 1), (Fraction(1, 2), Fraction(1), -1)]
    r = toy.exact_risks(toy.toy_labels(0.25), clf, 0.25)
    assert r == {"nat": Fraction(1, 2), "bdy": Fraction(1, 2), "rob": Fraction(1)}
    labels = toy.toy_labels(0.25)
    assert toy.exact_risks(labels, clf, 0.125) == {"nat": Fraction(1, 2), "bdy": Fraction(1, 4), "rob": Fraction(3, 4)}


def test_monte_carlo_agrees_with_the_exact_risks():
    labels = toy.toy_labels(0.2)
    for clf in toy.toy_classifiers(0.2).values():
        exact = toy.exact_risks(labels, clf, 0.2)
        mc = toy.monte_carlo_risks(labels, clf, 0.2, n=40_000, rng=np.random.default_rng(0))
        assert mc["identity_per_draw"]
        for k in ("nat", "bdy", "rob"):
            lo, hi = mc[k]["ci"]
            assert abs(mc[k]["estimate"] - float(exact[k])) < 0.015 and lo <= mc[k]["estimate"] <= hi


def test_sign_intervals_and_wilson():
    ivs = toy.sign_intervals(np.array([1, 1, -1, -1, -1, 1, 1, 1]))
    assert ivs == [(0, Fraction(1, 4), 1), (Fraction(1, 4), Fraction(5, 8), -1), (Fraction(5, 8), 1, 1)]
    lo, hi = toy.wilson_interval(0, 100)
    assert lo == pytest.approx(0, abs=1e-12) and 0 < hi < 0.05


def test_toy_claims_on_the_exact_rows():
    rows = D.toy_table1_rows(EPS, n_mc=20_000, seed=0)
    claims = {c["id"]: c["passed"] for c in D.toy_claims(rows, tol=0.02)}
    assert claims == {"trades.toy.bayes": True, "trades.toy.all_one": False, "trades.toy.integer_condition": True,
                      "trades.toy.all_one_optimal": False, "trades.toy.identity": True,
                      "trades.toy.monte_carlo": True}


# ----------------------------------------------------------------------------- ψ-transforms (Table 2)


@pytest.mark.parametrize("loss", list(S.PHI))
def test_numeric_psi_is_within_1e_6_of_the_closed_form(loss):
    thetas = np.array(values.PSI_THETAS)
    num = S.psi_numeric(loss, thetas, n_grid=201)
    assert np.max(np.abs(num["psi"] - S.psi_closed(loss, thetas))) <= 1e-6
    assert np.max(np.abs(num["psi"] - np.array(values.PSI_TABLE[loss]))) <= 5e-8 + 1e-6
    assert num["max_above_hull"] <= 1e-9                                 # ψ̃ already convex
    assert np.allclose(S.H_minus(loss, (1 + thetas) / 2), 1.0, atol=1e-9)  # H⁻ = φ(0) = 1
    dense = np.linspace(0, 1, 51)
    assert np.max(np.abs(S.psi_numeric(loss, dense, n_grid=101)["psi"] - S.psi_closed(loss, dense))) <= 1e-6


def test_psi_inverse_inverts():
    v = np.linspace(0, 0.99, 12)
    for loss in S.PHI:
        assert np.allclose(S.psi_closed(loss, S.psi_inverse(loss, v)), v, atol=1e-10)
        assert S.psi_inverse(loss, 5.0) == 1.0


def test_convex_minorant_of_a_non_convex_function():
    x = np.linspace(0, 1, 11)
    y = np.where(x < 0.5, x, 0.5)            # concave kink: the minorant is the chord from (0, 0) to (1, 0.5)
    hx, hy = S.lower_convex_hull(x, y)
    assert np.allclose(np.interp(x, hx, hy), x / 2)


# ----------------------------------------------------------------------------- Thm 3.1 and Thm 3.2


def test_thm31_both_inequalities_on_exact_finite_distributions():
    cfg = {"m_points": 6, "ball_eps": 1.5, "score_scales": [0.001, 10.0], "lams": [0.5, 2.0], "n_instances": 40,
           "seed": 1}
    rows, _, _ = S.thm31_rows(cfg)
    s = rows[-1]
    assert s["cases"] == 40 * 4 * 2
    assert s["min_first_slack"] >= -1e-12 and s["min_second_slack"] >= -1e-12 and s["max_identity_gap"] < 1e-12
    assert all(c["passed"] for c in S.thm31_claims(rows))


def test_thm31_terms_by_hand():
    """Two points 1 apart (one ball), hinge loss: every term can be written down."""
    inst = {"p": np.array([0.5, 0.5]), "eta": np.array([1.0, 0.0]), "f": np.array([0.5, 2.0]),
            "ball": np.ones((2, 2), bool)}
    r = S.thm31_terms("hinge", inst, lam=1.0)
    assert r["nat"] == pytest.approx(0.5) and r["nat_star"] == pytest.approx(0.0)
    assert r["rob"] == pytest.approx(0.5) and r["bdy"] == pytest.approx(0.0)
    assert r["phi_risk"] == pytest.approx(0.5 * 0.5 + 0.5 * 3.0) and r["phi_star"] == pytest.approx(0.0)
    assert r["psi_inv"] == 1.0                                           # excess 1.75 ≥ ψ(1)
    assert r["reg"] == pytest.approx(0.5 * max(0.75, 0.0) + 0.5 * max(0.0, 0.0))


@pytest.mark.parametrize("loss", list(S.PHI))
def test_tightness_construction_closes_the_gap(loss):
    gaps = [S.tightness_terms(loss, 0.5, d)["gap"] for d in (0.1, 1e-3, 1e-5)]
    assert all(g >= -1e-12 for g in gaps) and gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-4


# ----------------------------------------------------------------------------- Eq. (1) per example, Fig. 1 data


def test_identity_row_on_a_tiny_model():
    torch.manual_seed(0)
    net = models.build("MLP", in_features=2, num_classes=2, width=8, depth=1).eval()
    x, y = torch.rand(64, 2), torch.randint(0, 2, (64,))
    cfg = {"eps": 0.1, "eval_steps": 5, "eval_step_size": 0.03, "seed": 0}
    r = D.identity_row(net, x, y, cfg, "tiny")
    assert r["identity_per_example"] and r["rob"] == pytest.approx(r["nat"] + r["bdy"]) and r["rob"] >= r["nat"]


def test_moons_are_separated():
    x, y = F1.moons(30, 0.12, 0.11, seed=0)
    assert x.min() >= 0 and x.max() <= 1 and set(y.tolist()) == {0, 1}
    assert np.abs(x[y == 1][:, None] - x[y == 0][None]).max(2).min() >= 0.11


# ----------------------------------------------------------------------------- bad input, profiles


@pytest.mark.parametrize("call, name", [
    (lambda: toy.toy_labels(0.7), "eps"),
    (lambda: toy.toy_labels(-0.1), "eps"),
    (lambda: toy.exact_risks(toy.toy_labels(0.1), [(0, Fraction(1, 2), 1)], 0.1), "classifier"),
    (lambda: toy.monte_carlo_risks(toy.toy_labels(0.1), toy.toy_labels(0.1), 0.1, n=0,
                                   rng=np.random.default_rng(0)), "n"),
    (lambda: S.psi_numeric("square", [0.5]), "loss"),
    (lambda: S.psi_numeric("hinge", [1.5]), "theta"),
    (lambda: S.H("hinge", [-0.1]), "eta"),
    (lambda: S.thm31_terms("hinge", S.random_instance(np.random.default_rng(0), 3, 1.5, [1, 1]), lam=0), "lam"),
    (lambda: S.tightness_terms("hinge", 0.0, 0.1), "theta"),
    (lambda: S.tightness_terms("hinge", 0.5, -1.0), "delta"),
    (lambda: D.compute_toy({**profiles.resolve("trades/decomposition", "smoke"), "beta_eps": 0.9}), "beta_eps"),
    (lambda: D.compute_toy({**profiles.resolve("trades/decomposition", "smoke"), "betas": [-1.0]}), "betas"),
    (lambda: S.run_surrogates({**profiles.resolve("trades/surrogates", "smoke"), "lams": [0.0]}, "smoke"), "lams"),
    (lambda: F1.moons(1, 0.1, 0.1, 0), "n_points"),
])
def test_bad_input_raises_config_error_naming_the_parameter(call, name):
    with pytest.raises(ConfigError, match=rf"\b{name}\b"):
        call()


@pytest.mark.parametrize("section", ["trades/decomposition", "trades/surrogates", "trades/algorithm", "trades/fig1"])
def test_profiles_resolve_and_reject_unknown_parameters(section):
    for profile in ("smoke", "cpu", "paper"):
        profiles.resolve(section, profile)
    with pytest.raises(ConfigError, match="unknown parameter 'nothing'"):
        profiles.resolve(section, "smoke", nothing=1)


def test_algorithm_needs_trajectory_at_least_k():
    from reprolib.papers.trades import algorithm as A

    cfg = {**profiles.resolve("trades/algorithm", "smoke"), "trajectory_steps": 1}
    with pytest.raises(ConfigError, match="trajectory_steps"):
        A.compute_algorithm({k: cfg[k] for k in A.KEYS})


# ----------------------------------------------------------------------------- paper values vs the spec




def test_psi_table_matches_the_spec(spec_text):
    section = spec_text[spec_text.index("### trades.table2"):spec_text.index("### trades.thm3_1")]
    for theta, hs, ex, lg in zip(values.PSI_THETAS, values.PSI_TABLE["hinge"], values.PSI_TABLE["exponential"],
                                 values.PSI_TABLE["logistic"]):
        line = next(l for l in section.splitlines() if re.match(rf"\| {theta} \|", l))
        numbers = [float(v) for v in re.findall(r"\d+(?:\.\d+)?", line)]
        assert numbers == [theta, hs, ex, lg] and values.PSI_TABLE["sigmoid"] == values.PSI_TABLE["hinge"]


def test_table1_matches_the_spec(spec_text):
    section = spec_text[spec_text.index("### trades.toy"):spec_text.index("### trades.table2")]
    assert "| R_nat | 0 (optimal) | 1/2 |" in section and "| R_bdy | 1 | 0 |" in section
    assert "| R_rob | 1 | 1/2 (optimal) |" in section
    assert values.TABLE1["Bayes"] == {"nat": 0, "bdy": 1, "rob": 1}
    assert values.TABLE1["all-one"] == {"nat": Fraction(1, 2), "bdy": 0, "rob": Fraction(1, 2)}
    assert "ε = 0.2 → 0.6, ε = 0.3 → 0.6" in section
    assert values.TOY_ALL_ONE_NAT[0.2] == values.TOY_ALL_ONE_NAT[0.3] == Fraction(3, 5)


def test_released_network_values_match_the_spec(spec_text):
    from reprolib.papers.trades import whitebox

    r = whitebox.RELEASED
    assert (f"MNIST SmallCNN: natural {r['clean']:.2f}%, FGSM-40 {r['FGSM^40']:.2f}%, FGSM-1,000 {r['FGSM^1000']:.2f}%, "
            f"best listed {r['strongest']:.2f}%") in spec_text


def _full_table5(clean_trades=0.992, aa_n=1000):
    defences = ("Madry", "TRADES(1/λ=6)")
    curve = [{"epoch": e, "clean": c, "pgd": p} for e, c, p in ((28, 0.991, 0.95), (29, 0.993, 0.954),
                                                                (30, 0.992, 0.956))]
    return {"profile": "full", "config": {"eps": 0.3},
            "rows": [{"method": m, "seed": 0, "test_acc": c, "adv_test_acc": a, "curve": curve}
                     for m, c, a in (("Natural", 0.995, 0.0), ("Madry", 0.991, 0.95), ("TRADES(1/λ=6)", clean_trades,
                                                                                       0.955))],
            "audit": {"rows": [{"method": d, "seed": 0, "n": aa_n, "autoattack_acc": 0.92} for d in defences]},
            "suite": {"transfer": [{"source": "Natural", "target": "Madry", "acc": 0.97, "paper": {"acc": 0.9743}}],
                      "n": 2000, "white_box": [{"method": "Madry", "FGSM^40 (PGD)": 0.94}]},
            "claims": [{"id": f"trades.table5.{d}.far_above_natural", "passed": True} for d in defences]}


def test_table5s_clean_note_explains_a_missed_clean_target_with_the_flat_end_of_the_curve():
    from reprolib.papers.trades import targets

    record = _full_table5(clean_trades=0.9892)
    record["config"] = {"dataset": "mnist", "eps": 0.3, "n_eval_test": None, "milestones": [27], "epochs": 30,
                        "attack_steps": 10,
                        "attack_step_size": 0.04}
    text = targets.clean_note(record)
    assert text.startswith("**Why TRADES(1/λ=6) misses 99% clean.** It reaches 98.92% on the 10,000 test images, "
                           "0.08 points short of the target and 0.56 below the paper's 99.48%")
    assert "where Madry from the same budget reaches 99.10% (the paper: 99.36%)" in text
    assert "final rate (28–30) its clean accuracy on the curve's images stayed within 99.1–99.3%" in text
    assert "30 epochs, 27 of them at the initial rate (the paper: 100 and 55)" in text and "K = 10 steps of 0.04" in text and "Madry misses" not in text
    record["config"]["milestones"] = [29]  # one epoch at the final rate: no range to read
    assert "final rate" not in targets.clean_note(record)
    assert targets.clean_note(_full_table5()) == ""  # both defences ≥ 99%


def test_table5s_released_note_sets_the_pgd_autoattack_gap_beside_the_authors_own_networks():
    from reprolib.papers.trades import whitebox

    row = {"method": "TRADES(1/λ=6)", "n": 1000, "pgd_acc": 0.954, "autoattack_acc": 0.923, "gap": 0.031,
           "pgd_more_steps_acc": 0.944, "pgd_restarts_acc": 0.947}
    record = {"config": {"eps": 0.3}, "audit": {"rows": [row]}}
    text = whitebox.released_note(record)
    assert text.startswith("**The authors' own network shows the same gap.**") and "3.6 points below FGSM^40" in text
    assert "95.4% under this page's PGD and 92.3% under AutoAttack, both on the audit's 1,000 test images (3.1 " \
        "points); PGD with 5× the steps 94.4%, with 5 restarts 94.7%" in text
    row.update(autoattack_acc=0.85, gap=0.104)  # far below what the recipe gives: no excuse offered
    text = whitebox.released_note(record)
    assert text.startswith("**Our gap is larger") and "what the paper's recipe gives" not in text
    assert whitebox.released_note({**record, "config": {"eps": 0.1}}) == ""  # not the paper's radius
    assert whitebox.released_note({"config": {"eps": 0.3}, "audit": None}) == ""


def test_the_full_budgets_targets_are_judged_on_the_records_numbers():
    from reprolib import report
    from reprolib.papers.trades import targets

    assert [c["passed"] for c in targets.table5(_full_table5())] == [True] * 5
    missed = {c["id"]: c for c in targets.table5(_full_table5(clean_trades=0.9886, aa_n=500))}
    evidence = missed["trades.table5.target.clean"]["evidence"]
    assert not missed["trades.table5.target.clean"]["passed"] and "TRADES(1/λ=6) 98.86% (its curve over epochs " \
        "28–30: clean 99.1–99.3%, PGD 95.0–95.6% on the curve's images)" in evidence
    assert "Madry 99.10%;" in evidence  # a met target names no curve
    # Table 6's cells on the suite's subset: how far the white-box accuracy there is from the rows' (all images)
    assert "first 2,000 test images, where the defences' white-box FGSM^40 accuracy differs from their rows' (on " \
        "all test images) by Madry -1.00 points" in missed["trades.table6.target.cells"]["evidence"]
    assert "not audited on ≥ 1,000 yet" in missed["trades.table5.target.autoattack"]["evidence"]
    assert "**3 of 5 targets met**" in report.targets_box(list(missed.values()), {"profile": "full"}).data
    assert "this page shows the `cpu` one" in report.targets_box(list(missed.values()), {"profile": "cpu"}).data
    curve = [{"epoch": e, "clean": 0.999, "pgd": p} for e, p in ((29, 0.977), (30, 0.991))]
    rows = [{"lam": 2.0, "method": "TRADES(λ=2)", "delta": 0.004, "curve": curve},
            {"lam": 3.0, "method": "TRADES(λ=3)", "delta": 0.012, "curve": curve}]
    t3 = targets.table3({"rows": rows, "config": {"n_test": None, "n_audit": None},
                         "audit": {"rows": [{"method": r["method"], "n": 2145} for r in rows]}})
    assert [c["passed"] for c in t3] == [False, True]
    # a missed Δ says how far the robust accuracy still wandered at the end of training; a met one names no curve
    assert t3[0]["evidence"] == ("λ = 2: 0.0040; λ = 3: 0.0120 (its curve over epochs 29–30: clean 99.9–99.9%, PGD "
                                 "97.7–99.1% on the curve's images)")
    # Table 4: a row outside its tolerance says how its curve ended; one within it names none
    t4_rows = [{"method": m, "seed": 0, "test_acc": 0.992, "adv_test_acc": a, "curve": curve,
                "paper": {"test_acc": 0.992, "adv_test_acc": 0.95}} for m, a in (("TRADES(1/λ=1)", 0.94),
                                                                                ("TRADES(1/λ=2)", 0.93))]
    t4_cfg = profiles.resolve("trades/table4", "full")
    t4 = {c["id"]: c for c in targets.table4({"rows": t4_rows, "config": t4_cfg, "audit": {"rows": []}})}
    assert t4["trades.table4.target.adv_test_acc"]["evidence"] == (
        "TRADES(1/λ=1) -1.00; TRADES(1/λ=2) -2.00 (its curve over epochs 29–30: clean 99.9–99.9%, "
        "PGD 97.7–99.1% on the curve's images)")
    clean = t4["trades.table4.target.test_acc"]
    assert clean["passed"] and "curve" not in clean["evidence"]
    assert not t4["trades.table4.target.audited"]["passed"]


def test_the_scorecard_counts_the_targets_met_on_a_full_record(tmp_path):
    from reprolib import results, scorecard

    full = _full_table5(clean_trades=0.9886)
    results.cached("trades.table5", profile="full", root=tmp_path, config=full["config"],
                   compute=lambda: {k: v for k, v in full.items() if k not in ("profile", "config")})
    card = scorecard.scorecard(root=tmp_path).set_index("artifact")
    assert (card.loc["trades.table5", "targets"], card.loc["trades.table6", "targets"]) == ("3/4", "1/1")
    assert card.loc["trades.table4", "targets"] == ""  # no full record: nothing judged
