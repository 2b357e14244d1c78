"""The TRADES and cake experiment sections' own logic, without training: the binary data and loss of Table 3,
the claims of Tables 3-5 (each must hold on the paper's own numbers, or it is mis-encoded), Spearman's ρ,
and the paper values against REPRO_SPEC."""
import re

import pytest
import torch
import torch.nn as nn

from reprolib import losses, profiles
from reprolib.errors import ConfigError
from reprolib.papers.trades import sensitivity, tightness, whitebox



def test_binary_split_is_digits_one_and_three_labelled_minus_and_plus_one():
    x, y = tightness.binary_split([1, 3], "test", None, 0)
    assert len(y) == 2145 and set(y.tolist()) == {-1.0, 1.0}  # 1,135 ones and 1,010 threes (REPRO_SPEC)
    assert int((y == -1).sum()) == 1135 and x.min() >= 0 and x.max() <= 1


class _Constant(nn.Module):
    """A scalar-score model whose score does not depend on the input (its gradient is 0): no attack changes it."""

    def __init__(self, c: float):
        super().__init__()
        self.c = nn.Parameter(torch.tensor(c))

    def forward(self, x):
        return self.c + 0 * x.flatten(1).sum(1, keepdim=True)


@pytest.mark.parametrize("c, lam", [(0.5, 2.0), (2.0, 5.0), (-0.3, 3.0)])
def test_hinge_trades_loss_of_a_constant_score_is_its_closed_form(c, lam):
    x, y = torch.rand(6, 1, 4, 4), torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, 1.0])
    loss, stats = losses.build("hinge_trades", eps=0.1, steps=3, step_size=0.05, lam=lam)(_Constant(c), x, y)
    nat = torch.relu(1 - y * c).mean()
    assert torch.isclose(loss, nat + max(0.0, 1 - c * c / lam))
    assert torch.isclose(losses.build("hinge")(_Constant(c), x, y)[0], nat)


def test_hinge_trades_rejects_a_non_positive_lambda():
    with pytest.raises(ConfigError, match=r"lam=0"):
        losses.build("hinge_trades", eps=0.1, lam=0.0)


def test_spearman_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(12, generator=g).tolist(), torch.rand(12, generator=g).tolist()
    b[3] = b[5]  # a tie
    assert sensitivity.spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)


def test_rows_on_a_stand_in_dataset_carry_no_paper_values():
    from reprolib.papers.closer_look import table2

    method = sensitivity.row(1.0)
    assert sensitivity.GRID.paper_values({"dataset": "mnist", "eps": 0.1}, "Net", method)["adv_test_acc"] == 0.9475
    # the companion: the paper's CIFAR-10 column on CIFAR-10, nothing for its Fashion-MNIST stand-in
    assert sensitivity.COMPANION.paper_values({"dataset": "cifar10", "eps": 0.031}, "ResNet18", method)
    assert sensitivity.COMPANION.paper_values({"dataset": "fashion_mnist", "eps": 0.1}, "Net", method) == {}
    # closer_look's dropout proxy runs Table 2's CNN2 on Fashion-MNIST: Table 2's MNIST values are not its paper's
    assert table2.TABLE2_GRID.paper_values({"dataset": "mnist", "eps": 0.1}, "CNN2", "AT")
    assert table2.TABLE4_GRID.paper_values({"dataset": "fashion_mnist", "eps": 0.1}, "CNN2", "AT") == {}


def test_a_rank_correlation_exactly_at_the_claims_bound_meets_it():
    # four weights, the last two swapped: ρ = 1 − 6·2/(4·15) = 0.8 exactly (numpy's corrcoef gives 0.7999…)
    rows = [{"arch": "Net", "method": sensitivity.row(b), "seed": 0, "test_acc": 0.72, "adv_test_acc": a}
            for b, a in ((0.0, 0.283), (1.0, 0.479), (3.0, 0.520), (6.0, 0.508))]
    assert sensitivity.spearman([0, 1, 3, 6], [0.283, 0.479, 0.520, 0.508]) == 0.8
    rises = next(c for c in sensitivity.table4_claims(rows, "companion") if c["id"].endswith("robust_rises"))
    assert rises["passed"] and rises["evidence"].startswith("ρ = 0.80;")


def _paper_rows(dataset: str) -> list[dict]:
    arch = sensitivity.PAPER_ARCH[dataset]
    return [{"arch": arch, "method": m, "seed": 0, **v} for m, v in sensitivity.PAPER[arch].items()]


@pytest.mark.parametrize("dataset, kind", [("mnist", "mnist"), ("cifar10", "companion")])
def test_table4_claims_hold_on_the_papers_own_columns(dataset, kind):
    checks = sensitivity.table4_claims(_paper_rows(dataset), kind)
    assert {c["id"].rsplit(".", 1)[1] for c in checks} == {"robust_rises", "clean_weakly_falls" if kind == "mnist"
                                                           else "clean_falls"}
    assert all(c["passed"] for c in checks), [(c["id"], c["evidence"]) for c in checks]


def test_table3_claims_hold_on_the_papers_own_rows():
    rows = [{"lam": lam, "kind": "TRADES", "a_rob": a / 100, "delta": d} for lam, (a, _, d) in tightness.PAPER.items()]
    checks = tightness.table3_claims(rows)
    assert len(checks) == 3 and all(c["passed"] for c in checks)


def test_table3s_slack_note_compares_the_slack_as_a_share_of_the_robust_error_with_the_papers():
    def row(lam, a_rob, delta, paper=True):
        a_paper, _, d_paper = tightness.PAPER[lam]
        return {"lam": lam, "kind": "TRADES", "a_rob": a_rob, "delta_lhs": 1 - a_rob, "delta": delta,
                "paper": {"a_rob": a_paper / 100, "delta": d_paper} if paper else None}

    natural = {"lam": None, "kind": "natural (reference)", "a_rob": 0.97}
    # twice the paper's robust error and twice its slack: as tight relative to what it bounds, less robust networks
    rows = [natural, row(2.0, 0.9886, 0.013416), row(3.0, 0.9882, 0.011828)]
    text = tightness.slack_note({"rows": rows}, 0.01)
    assert "1.18, 1.00 here for λ = 2, 3 (mean 1.09) and 1.18, 1.00 in the paper (mean 1.09)" in text
    assert "as tight here as in the paper" in text and "2.0 times the paper's 0.0057–0.0059" in text
    rows[1]["delta"] = rows[2]["delta"] = 0.03  # a slack far above the robust error: the bound is looser here
    assert "the bound is looser here than in the paper" in tightness.slack_note({"rows": rows}, 0.01)
    assert tightness.slack_note({"rows": [natural, row(2.0, 0.99, 0.009)]}, 0.01) == ""  # the target met
    assert tightness.slack_note({"rows": [natural, row(2.0, 0.99, 0.02, paper=False)]}, 0.01) == ""


def test_table3_slack_with_autoattack_robust_error_is_recomputed_only_on_the_tables_own_images():
    rows = [{"lam": 2.0, "kind": "TRADES", "method": "TRADES(λ=2)", "delta_rhs": 0.05},
            {"lam": 3.0, "kind": "TRADES", "method": "TRADES(λ=3)", "delta_rhs": 0.02}]
    audit = {"rows": [{"method": "TRADES(λ=2)", "autoattack_acc": 0.96}, {"method": "TRADES(λ=3)", "autoattack_acc": 0.95}]}
    record = {"config": {"n_audit": None, "n_test": None}, "rows": rows, "audit": audit,
              "reference": {"r_nat_star": 0.01}}
    deltas = tightness.autoattack_deltas(record)
    assert deltas == pytest.approx({2.0: 0.05 - (0.04 - 0.01), 3.0: 0.02 - (0.05 - 0.01)})
    for cfg in ({"n_audit": 500, "n_test": None}, {"n_audit": 100, "n_test": 200}):
        assert tightness.autoattack_deltas({**record, "config": cfg}) == {}
    assert tightness.autoattack_deltas({**record, "config": {"n_audit": 200, "n_test": 200}}) == deltas


def test_whitebox_suite_claims_on_a_table_that_should_pass_and_one_that_should_not():
    white = [{"method": "Natural", "clean": 0.99, "FGSM^40 (PGD)": 0.30, "FGSM": 0.6, "MI-FGSM": 0.4, "C&W (margin)": 0.3,
              "DeepFool (L∞)": 0.5}]
    white += [{"method": d, "clean": 0.985, "FGSM^40 (PGD)": 0.9, "FGSM": 0.95, "MI-FGSM": 0.93, "C&W (margin)": 0.9,
               "DeepFool (L∞)": 0.96} for d in whitebox.DEFENCES]
    transfer = [{"source": s, "target": t, "acc": 0.97} for s in ("Natural", *whitebox.DEFENCES)
                for t in whitebox.DEFENCES if s != t]
    suite = {"white_box": white, "transfer": transfer, "n": 9, "seed": 0}
    assert all(c["passed"] for c in whitebox.suite_claims(suite))
    for t in transfer:
        t["acc"] = 0.85  # transfer below white-box accuracy: gradient masking would look like this
    failed = {c["id"] for c in whitebox.suite_claims(suite) if not c["passed"]}
    assert failed == {f"trades.table6.{d}.{k}" for d in whitebox.DEFENCES for k in ("black_above_white",
                                                                                   "natural_source")}


def test_black_above_white_compares_the_transfer_with_white_box_pgd_on_the_transfers_images():
    white = [{"method": m, "clean": 0.99, "FGSM^40 (PGD)": pgd} for m, pgd in
             (("Natural", 0.05), ("Madry", 0.95), ("TRADES(1/λ=6)", 0.95))]
    transfer = [{"source": "Natural", "target": d, "acc": 0.96} for d in whitebox.DEFENCES]
    rows = [{"method": d, "seed": 0, "adv_test_acc": 0.97} for d in whitebox.DEFENCES]

    def black(suite):
        return {c["id"]: (c["passed"], c["evidence"]) for c in whitebox.suite_claims(suite, rows)
                if c["id"].endswith("black_above_white")}

    on_suite = black({"white_box": white, "transfer": transfer, "n": 2000, "n_transfer": 2000, "seed": 0})
    assert all(ok and ev.endswith("white-box 95.0%") for ok, ev in on_suite.values())
    # the transfer on all 10,000 images: the reference is the rows' PGD there, here above every cell
    on_all = black({"white_box": white, "transfer": transfer, "n": 2000, "n_transfer": 10000, "seed": 0})
    assert all(not ok and ev.endswith("white-box 97.0% (its row's, on the transfer's 10,000 test images)")
               for ok, ev in on_all.values())


def test_whitebox_run_configuration_leaves_out_the_profile_radii():
    cfg = profiles.resolve("trades/whitebox", "smoke")
    a = whitebox.GRID.run_config(cfg, "SmallCNN", "Madry", 0)
    b = whitebox.GRID.run_config({**cfg, "eps_grid": [0.0, 0.5], "n_suite": 10, "transfer_all": True}, "SmallCNN",
                                 "Madry", 0)
    assert a == b and "eps_grid" not in a and "n_suite" not in a and "transfer_all" not in a


def test_whitebox_rows_carry_the_papers_values_only_at_the_papers_radius():
    """Table 5's numbers are at ε = 0.3: the full budget's rows are compared with them, the cpu budget's (ε = 0.1)
    are not; the record's notes say which radius and budget it ran at."""
    full, cpu = profiles.resolve("trades/whitebox", "full"), profiles.resolve("trades/whitebox", "cpu")
    assert whitebox.GRID.paper_values(full, "SmallCNN", "TRADES(1/λ=6)") == {"test_acc": 0.9948,
                                                                            "adv_test_acc": 0.9607}
    assert whitebox.GRID.paper_values(full, "SmallCNN", "Natural") == {}
    assert whitebox.GRID.paper_values(cpu, "SmallCNN", "Madry") == {}
    assert "ε = 0.3" in whitebox.GRID.notes(full) and "full training set" in whitebox.GRID.notes(full)
    assert "ε = 0.1" in whitebox.GRID.notes(cpu)




def test_table4s_note_on_levels_reads_the_budget_and_at_full_the_curves_and_the_natural_network():
    def net(method, clean, pgd_tail):
        return {"arch": "Net", "method": method, "seed": 0, "test_acc": clean, "adv_test_acc": 0.9,
                "curve": [{"epoch": 26 + i, "clean": clean, "pgd": p} for i, p in enumerate(pgd_tail)]}

    rows = [net("Natural", 0.9891, [0.72, 0.71, 0.71, 0.70, 0.705]), net("TRADES(1/λ=1)", 0.9844,
                                                                         [0.891, 0.895, 0.898, 0.892, 0.894])]
    cpu = sensitivity.levels_note({"profile": "cpu", "config": {"epochs": 2}, "rows": rows})
    assert "small fraction of the paper's budget" in cpu
    full = sensitivity.levels_note({"profile": "full", "config": {"epochs": 30}, "rows": rows})
    # the span of the paper's weights only (the natural network's 72 → 70 is left out)
    assert "for 30 epochs (the paper: 50)" in full and "most 0.7 points" in full and "would not close" in full
    assert "reaches 98.91% clean accuracy, below every row of the paper (99.16–99.29%)" in full
    assert "`Net` (21,840 parameters" in full
    rows[0]["test_acc"] = 0.993  # a natural network above the paper's rows: no word about the architecture
    rows[1]["curve"][-1]["pgd"] = 0.92  # a curve still rising: longer training might help
    rising = sensitivity.levels_note({"profile": "full", "config": {"epochs": 30}, "rows": rows})
    assert "inferred" not in rising and "most 2.9 points" in rising and "might still move" in rising


def test_table4s_trend_note_says_what_a_robust_accuracy_that_does_not_rise_with_the_weight_means():
    def net(method, clean, rob):
        return {"arch": "Net", "method": method, "seed": 0, "test_acc": clean, "adv_test_acc": rob}

    rising = [net("Natural", 0.9891, 0.739), net("TRADES(1/λ=1)", 0.98, 0.90), net("TRADES(1/λ=5)", 0.97, 0.92)]
    assert sensitivity.trend_note({"rows": rising}) == ""
    assert sensitivity.trend_note({"rows": rising[:2]}) == ""  # one of the paper's weights: nothing to compare
    falling = [net("Natural", 0.9891, 0.739), net("TRADES(1/λ=1)", 0.9844, 0.9156),
               net("TRADES(1/λ=4)", 0.9622, 0.8884), net("TRADES(1/λ=6)", 0.90, 0.50)]  # 6: not a paper weight
    text = sensitivity.trend_note({"rows": falling})
    assert "from 1/λ = 1 to 4 it goes 91.56% → 88.84% (the paper: 94.75 → 95.65%)" in text
    assert "clean accuracy 98.44% → 96.22% (-2.22 points; the paper: -0.12)" in text
    assert "(1/λ = 1: 93.0%, 4: 92.3%)" in text and "fewer of their answers correct" in text
    assert "`Net`: 21,840 parameters, with dropout of 0.5" in text and "natural network stands" in text
    falling[0]["test_acc"] = 0.995  # a natural network above the paper's rows: no word about it
    assert "natural network" not in sensitivity.trend_note({"rows": falling})
    falling[2]["test_acc"] = 0.99  # clean accuracy rising with the weight: the numbers, no reading of them
    facts = sensitivity.trend_note({"rows": falling})
    assert facts.startswith("Unlike the paper's") and facts.endswith("4: 89.7%).") and "fewer" not in facts


def test_table4s_trend_note_says_when_one_seed_per_weight_cannot_resolve_the_papers_trend():
    def net(beta, clean, rob, seed=0):
        return {"arch": "Net", "method": sensitivity.row(beta), "seed": seed, "test_acc": clean, "adv_test_acc": rob}

    rows = [net(0.0, 0.9891, 0.7393), net(1.0, 0.9844, 0.9156), net(2.0, 0.9773, 0.908), net(3.0, 0.9677, 0.8898),
            net(4.0, 0.9622, 0.8884), net(5.0, 0.9708, 0.913)]
    text = sensitivity.trend_note({"rows": rows})
    assert "the largest change between neighbouring weights is +2.46 points (1/λ = 4 → 5), more than the paper's " \
        "whole change from 1/λ = 1 to 5 (+0.90 points, each row's standard deviation at most 0.19)" in text
    assert "fewer of their answers" not in text  # no reading built on two noisy end points
    # a second seed per weight: the sentence about one network per weight no longer applies
    seeded = rows + [net(b, r["test_acc"], r["adv_test_acc"], seed=1) for b, r in zip((0.0, 1, 2, 3, 4, 5), rows)]
    assert "one network per weight" not in sensitivity.trend_note({"rows": seeded})
    # one direction throughout (a steady fall): no word about noise
    steady = [net(b, 0.98 - 0.005 * b, 0.92 - 0.006 * b) for b in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)]
    assert "one network per weight" not in sensitivity.trend_note({"rows": steady})


def test_table4s_natural_note_explains_a_failed_far_above_natural_check_with_the_natural_networks_accuracy():
    rows = [{"arch": "Net", "method": m, "seed": 0, "test_acc": 0.98, "adv_test_acc": a}
            for m, a in (("Natural", 0.7393), ("TRADES(1/λ=1)", 0.9156), ("TRADES(1/λ=4)", 0.8884))]
    record = {"config": {"eps": 0.1}, "rows": rows, "claims": sensitivity.table4_claims(rows)}
    text = sensitivity.natural_note(record)
    assert "keeps 73.9% of the test images under the attack at ε = 0.1" in text and "+14.9 to +17.6 points" in text
    rows[0]["adv_test_acc"] = 0.40
    record["claims"] = sensitivity.table4_claims(rows)
    assert sensitivity.natural_note(record) == ""


def test_audit_trend_note_words_the_direction_of_the_difference_and_what_the_gap_says():
    def row(beta, pgd, aa):
        return {"method": sensitivity.row(beta), "n": 1000, "pgd_acc": pgd, "autoattack_acc": aa, "gap": pgd - aa}

    def note(*rows):
        return sensitivity.audit_trend_note(sensitivity.audit_trend({"audit": {"rows": list(rows)}}))

    up = note(row(1.0, 0.72, 0.70), row(6.0, 0.76, 0.69))
    assert "PGD puts 1/λ = 6 at 76.0%, 4.0 points above 1/λ = 1 (72.0%)" in up
    assert "AutoAttack at 69.0%, 1.0 points below (70.0%)" in up and "upper bound" in up
    down = note(row(1.0, 0.891, 0.885), row(4.0, 0.80, 0.77))
    assert "4: 9.1" not in down and "9.1 points below 1/λ = 1 (89.1%)" in down and "steeper" in down
    honest = note(row(1.0, 0.891, 0.885), row(2.0, 0.891, 0.88), row(4.0, 0.857, 0.847))
    assert "not PGD's weakness" in honest and "Over all 3 audited weights" in honest and "1,000 images" in honest


def test_table3_and_table4_values_match_the_spec(spec_text):
    t3 = spec_text[spec_text.index("### trades.table3"):spec_text.index("### trades.table4")]
    for lam, values in tightness.PAPER.items():
        line = next(l for l in t3.splitlines() if l.startswith(f"| {lam:.1f} |"))
        assert tuple(float(v) for v in re.findall(r"\d+\.\d+", line)[1:]) == values
    t4 = spec_text[spec_text.index("### trades.table4"):spec_text.index("### trades.table5")]
    for beta in sensitivity.PERCENT["mnist"]:
        line = next(l for l in t4.splitlines() if l.startswith(f"| {beta:.1f} |"))
        numbers = tuple(float(v) for v in re.findall(r"\d+\.\d+", line)[1:])
        assert numbers == sensitivity.PERCENT["mnist"][beta] + sensitivity.PERCENT["cifar10"][beta]


def test_table5_and_table6_values_match_the_spec(spec_text):
    section = spec_text[spec_text.index("### trades.table5"):spec_text.index("### trades.table7")]
    assert "| 22 | Madry et al. (2018) | robust opt. | FGSM^40 (PGD) | MNIST | 0.3 (ℓ∞) | 99.36% | 96.01% |" in section
    assert "| 23 | TRADES (1/λ = 6.0) | regularization | FGSM^40 (PGD) | MNIST | 0.3 (ℓ∞) | 99.48% | 96.07% |" in section
    assert "| 24 | TRADES (1/λ = 6.0) | regularization | C&W | MNIST | 0.005 (ℓ2) | 99.48% | 99.46% |" in section
    for (source, target), (acc, ce) in whitebox.TABLE6.items():
        assert f"{acc:.2f}% [{ce}]" in section, (source, target)


def test_cifar_rows_of_tables_5_and_7_match_the_spec(spec_text):
    section = spec_text[spec_text.index("### trades.table5"):spec_text.index("### trades.fig1")]
    for row in whitebox.TABLE5_CIFAR:
        line = f"| {row[0]} | {row[1]} | {row[2]} | {row[3]} | CIFAR10 | {row[4]} | {row[5]} | {row[6]} |"
        assert line in section, row
    for (source, target), (acc, ce) in whitebox.TABLE7.items():
        assert f"{acc:.2f}% [{ce}]" in section, (source, target)


def test_audit_trend_measures_whether_the_pgd_rise_survives_autoattack():
    def row(beta, pgd, aa):
        return {"method": sensitivity.row(beta), "n": 500, "pgd_acc": pgd, "autoattack_acc": aa, "gap": pgd - aa}

    masked = sensitivity.audit_trend({"audit": {"rows": [row(6.0, 0.76, 0.69), row(1.0, 0.72, 0.70),
                                                         row(3.0, 0.73, 0.69)]}})
    assert masked["weights"] == [1.0, 3.0, 6.0] and masked["gap_grows"] and masked["seeds"] == [1]
    assert masked["gap"] == pytest.approx([0.02, 0.04, 0.07]) and masked["autoattack"] == pytest.approx([0.70, 0.69, 0.69])
    assert masked["se"] == pytest.approx((0.5 / 500) ** 0.5)
    honest = sensitivity.audit_trend({"audit": {"rows": [row(1.0, 0.72, 0.71), row(6.0, 0.76, 0.75)]}})
    assert not honest["gap_grows"]
    assert sensitivity.audit_trend({"audit": {"rows": [row(1.0, 0.7, 0.7)]}}) is None
    # several seeds per weight: each weight's numbers are means over its seeds
    seeds = sensitivity.audit_trend({"audit": {"rows": [row(1.0, 0.72, 0.70), row(1.0, 0.74, 0.70),
                                                        row(6.0, 0.76, 0.69), row(6.0, 0.78, 0.71)]}})
    assert seeds["seeds"] == [2] and seeds["pgd"] == pytest.approx([0.73, 0.77])
    assert seeds["autoattack"] == pytest.approx([0.70, 0.70]) and seeds["gap"] == pytest.approx([0.03, 0.07])


def test_table3_on_the_grid_machinery_merges_the_committed_runs_into_the_committed_record(monkeypatch):
    """Table 3 moved onto the shared grid machinery (issue 26) without changing a stored hash: every committed run
    and audit of the cpu record is found under the grid's hashes (nothing would be trained), and the record merged
    from them is the committed one, number for number."""
    import json

    from reprolib import results
    from reprolib.paths import REPO_ROOT

    monkeypatch.setenv("REPROLIB_RESULTS", str(REPO_ROOT / "results"))
    cfg = profiles.resolve("trades/table3", "cpu")
    assert tightness.GRID.stored(tightness.as_grid(cfg), "cpu")  # else the merge below would train (and write into results/)
    committed = results.load("trades.table3", "cpu")
    assert committed["config_hash"] == results.config_hash(cfg)
    merged = tightness.compute_table3(cfg, "cpu", progress=False)
    for key in ("rows", "reference", "claims", "audit"):
        assert json.loads(json.dumps(merged[key])) == committed[key], key
    assert [p["lams"] for p in tightness.SWEEP.points(cfg)] == [[], [2.0], [3.0], [4.0], [5.0]]


def test_a_mean_cross_entropy_has_a_floor_that_table6s_brackets_lie_below():
    import math

    # one misclassified image in ten: a mean cross-entropy of at least ln 2 / 10, whatever the network
    assert whitebox.bracket_floor(0.9) == pytest.approx(math.log(2) / 10)
    logits = torch.tensor([[2.0, 1.0], [0.0, 0.0], [0.2, 0.1]])  # the last one misclassified (label 1)
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 0, 1]), reduction="none")
    assert ce[2] >= math.log(2) and ce.mean() >= whitebox.bracket_floor(2 / 3)
    b = whitebox.paper_brackets()
    assert b["cells"] == 4 and b["below_floor"] == 4 and b["bracket_max"] < b["floor_min"]


def test_table6s_transfer_runs_on_every_evaluation_image_or_on_the_suites():
    from reprolib import models, profiles

    class Nets:  # three untrained SmallCNNs in place of the grid's trained networks
        def trained(self, cfg, arch, method, seed, progress):
            torch.manual_seed(len(method))
            return models.build(arch).eval(), None

    cfg = {**profiles.resolve("trades/whitebox", "smoke"), "n_eval_test": 12, "n_suite": 5, "eval_steps": 2,
           "eps_grid": [0.0]}
    suite = whitebox.evaluate_suite(Nets(), cfg)
    assert (suite["n"], suite["n_transfer"], len(suite["transfer"])) == (5, 5, 4)
    suite = whitebox.evaluate_suite(Nets(), {**cfg, "transfer_all": True})
    assert (suite["n"], suite["n_transfer"]) == (5, 12)
