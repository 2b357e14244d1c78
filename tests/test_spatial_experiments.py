"""The spatial chapter's experiments (Table 1, Figs. 6, 7, 14): augmentation as the training loop's data path,
the profile-measured grids, their claims checks, and the paper's values against REPRO_SPEC."""
import copy

import pytest
import torch

from reprolib import invariance, losses, models, profiles, results
from reprolib.errors import ConfigError
from reprolib.invariance import Augmentation
from reprolib.papers.spatial import adversarial, augmentation, networks
from reprolib.train import TrainConfig, fit


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_augmented_training_resumes_to_the_same_weights_and_its_augmentation_is_part_of_the_checkpoint(
        mnist_small, tmp_path):
    x, y, _, _ = mnist_small
    x, y = x[:256], y[:256]
    cfg, aug = TrainConfig(epochs=2, batch_size=64), Augmentation(degrees=90.0, shift=0.1)

    def run(ckpt, stop=None, augment=aug):
        torch.manual_seed(0)
        model = models.build("StdCNN")
        hist = fit(model, x, y, loss_fn=losses.build("natural"), cfg=cfg, checkpoint=ckpt, progress=False,
                   stop_after_epoch=stop, augment=augment)
        return model, hist

    whole, _ = run(tmp_path / "a.pt")
    run(tmp_path / "b.pt", stop=1)
    resumed, hist = run(tmp_path / "b.pt")
    assert hist.resumed_from == 1 and torch.equal(_weights(whole), _weights(resumed))
    plain, _ = run(tmp_path / "c.pt", augment=None)
    assert not torch.equal(_weights(whole), _weights(plain))  # the augmentation changed what was learnt
    _, hist = run(tmp_path / "a.pt", augment=Augmentation(degrees=45.0))
    assert hist.resumed_from == 0  # another augmentation's checkpoint is not reused


def test_rotation_augmentation_buys_rotation_invariance(mnist_small):
    """Fig. 6's first effect at test scale: Aug-R(180) raises the rate of invariance under ±180° rotations."""
    x, y, xt, _ = mnist_small
    rates = {}
    for degrees in (0.0, 180.0):
        torch.manual_seed(0)
        model = models.build("StdCNN")
        fit(model, x, y, loss_fn=losses.build("natural"), progress=False,
            cfg=TrainConfig(epochs=3, batch_size=32, optimizer="adam", lr=2e-3),
            augment=Augmentation(degrees=degrees) if degrees else None)
        rates[degrees] = invariance.invariance_profile(model.eval(), xt, angles=[180.0])["invariance"].iloc[0]
    assert rates[180.0] >= rates[0.0] + 0.10, rates


@pytest.mark.parametrize("kwargs, match", [({"degrees": -1.0}, "degrees=-1.0"), ({"shift": float("nan")}, "shift=nan")])
def test_augmentation_rejects_bad_ranges(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        Augmentation(**kwargs)


@pytest.mark.parametrize("key, value", [("eps_grid", [0.0, -0.1]), ("angles", [0.0, -90.0]), ("shifts", [None]),
                                        ("pgd_eps_grid", ["a"]), ("methods", ["Aug-R(33°)"]),
                                        ("archs", ["VGG16"])])
def test_spatial_sections_validate_their_parameters(key, value):
    assert profiles.resolve("spatial/fig6", "smoke", angles=[0.0, 90.0])["angles"] == [0.0, 90.0]
    with pytest.raises(ConfigError, match=key if key != "archs" else "VGG16"):
        profiles.resolve("spatial/fig6", "smoke", **{key: value})


def _row(arch, method, inv, rob_01, rob_mean, deepfool=1.0, pgd=0.5):
    """A run row whose profiles have the given invariance at the largest test range and robustness values."""
    prof = {"invariance": [1.0, inv]}
    return {"arch": arch, "method": method, "seed": 0, "test_acc": 0.99,
            "rotation": {"angle": [0.0, 180.0], **prof}, "translation": {"shift": [0.0, 0.3], **prof},
            "rotation_translation": {"level": [0.0, 0.3], **prof},
            "robustness": {"eps": [0.0, 0.1, 0.2], "robustness": [1.0, rob_01, 3 * rob_mean - 1.0 - rob_01]},
            "deepfool_l2": deepfool, "pgd_acc": {"0.0924": pgd, "0.3": pgd / 2}}


def test_fig6_claims_hold_on_the_papers_shape_and_fail_on_its_reverse():
    good = [_row("StdCNN", "Natural", 0.3, 0.9, 0.9), _row("StdCNN", "Aug-R(90°)", 0.6, 0.8, 0.8),
            _row("StdCNN", "Aug-R(180°)", 0.95, 0.5, 0.6)]
    claims = {c["id"]: c["passed"] for c in augmentation.fig6_claims(good)}
    assert claims["spatial.fig6.StdCNN.R.invariance_rises"] and claims["spatial.fig6.StdCNN.R.robustness_falls"]
    bad = [_row("StdCNN", "Natural", 0.3, 0.5, 0.6), _row("StdCNN", "Aug-R(90°)", 0.6, 0.8, 0.8),
           _row("StdCNN", "Aug-R(180°)", 0.45, 0.9, 0.9)]  # not ≥ 20 points, not monotone, more robust
    claims = {c["id"]: c["passed"] for c in augmentation.fig6_claims(bad)}
    assert not claims["spatial.fig6.StdCNN.R.invariance_rises"]
    assert not claims["spatial.fig6.StdCNN.R.robustness_falls"]
    assert "spatial.fig6.StdCNN.T.invariance_rises" not in claims  # no translation networks: nothing checked


def test_networks_that_did_not_fit_are_named_on_the_page_and_in_the_checks():
    rows = [_row("StdCNN", "Natural", 0.3, 0.9, 0.9), _row("StdCNN", "Aug-T(0.1)", 0.4, 0.8, 0.8),
            _row("StdCNN", "Aug-T(0.3)", 0.5, 0.3, 0.4)]
    for r, loss in zip(rows, (0.2, 0.5, 2.2)):
        r["final_loss"] = {"ce": loss}
    rows[2]["test_acc"] = 0.46
    assert [b["method"] for b in augmentation.underfit(rows)] == ["Aug-T(0.3)"]
    assert "Aug-T(0.3) (training loss 2.20, 46.0% clean test accuracy)" in augmentation.underfit_note(rows)
    assert augmentation.underfit_note(rows[:2]) == ""
    evidence = {c["id"]: c["evidence"] for c in augmentation.fig6_claims(rows)}
    assert evidence["spatial.fig6.StdCNN.T.invariance_rises"].endswith("(did not fit: Aug-T(0.3))")


def test_fig14_and_fig7_claims():
    rows = [_row("GCNN", "Natural", 0.3, 0.9, 0.9, deepfool=2.0, pgd=0.6),
            _row("GCNN", "Aug-R(180°)", 0.9, 0.5, 0.6, deepfool=1.5, pgd=0.7)]
    claims = {c["id"]: c["passed"] for c in augmentation.fig14_claims(rows)}
    assert claims == {"spatial.fig14.GCNN.deepfool_falls": True, "spatial.fig14.GCNN.pgd_falls": False}
    rows[0]["pgd_acc"]["0.0924"], rows[1]["pgd_acc"]["0.0924"] = 0.01, 0.0  # both near zero: not compared
    claims = {c["id"]: c for c in augmentation.fig14_claims(rows)}
    assert not claims["spatial.fig14.GCNN.pgd_falls"]["passed"]  # ε = 0.3: 35% vs 30%, the one radius compared
    assert "0.0924: 0.0% vs 1.0% (not compared: natural below 5%)" in claims["spatial.fig14.GCNN.pgd_falls"]["evidence"]
    adv = [_row("StdCNN", "Natural", 0.9, 0.1, 0.3), _row("StdCNN", "Adv-PGD(ε=0.1)", 0.8, 0.6, 0.6),
           _row("StdCNN", "Adv-PGD(ε=0.2)", 0.7, 0.8, 0.7)]
    claims = {c["id"]: c["passed"] for c in adversarial.fig7_claims(adv)}
    assert claims["spatial.fig7.robustness_ordered"] and claims["spatial.fig7.rotation_invariance_falls"]
    adv[2]["robustness"]["robustness"][1] = 0.5  # ε_train = 0.2 below 0.1 at ε = 0.1
    assert not {c["id"]: c["passed"] for c in adversarial.fig7_claims(adv)}["spatial.fig7.robustness_ordered"]


def test_fig14_measures_fig6s_networks_without_training_them_again(monkeypatch):
    cfg6 = profiles.resolve("spatial/fig6", "smoke")
    augmentation.run_fig6(cfg6, "smoke", progress=False)

    def refuse(*args, **kwargs):
        raise AssertionError("Fig. 14 trained a network")

    monkeypatch.setattr(augmentation.SpatialGrid, "_train_eval", refuse)
    rec = augmentation.run_fig14(profiles.resolve("spatial/fig14", "smoke"), "smoke", progress=False)["spatial.fig14"]
    fig6 = results.load("spatial.fig6", "smoke")
    assert [r for r in fig6["rows"] if r["method"] in augmentation.family_methods("R")] == rec["rows"]
    assert {r["arch"] for r in rec["rows"]} == {"StdCNN", "GCNN"}


def test_fig14_settings_are_fig6s_on_the_rotation_networks():
    for profile in ("smoke", "cpu", "paper"):
        a, b = profiles.resolve("spatial/fig6", profile), profiles.resolve("spatial/fig14", profile)
        assert set(b["methods"]) <= set(augmentation.family_methods("R")) and set(b["methods"]) <= set(a["methods"])
        strip = lambda c: {k: v for k, v in c.items() if k not in ("methods", "gcnn")}  # noqa: E731
        assert strip(a) == strip(b)
        assert {k: v for k, v in a["gcnn"].items() if k != "methods"} == \
            {k: v for k, v in b["gcnn"].items() if k != "methods"}


def test_networks_record_at_smoke():
    cfg = profiles.resolve("spatial/networks", "smoke")
    rec = networks.measure(copy.deepcopy(cfg))
    assert all(c["passed"] for c in rec["claims"]), rec["claims"]
    layers = {r["arch"]: r["layers"] for r in rec["rows"]}
    assert layers["StdCNN"][-1]["output"] == "10" and layers["GCNN"][1]["output"] == "10×4×26×26"


def test_spatial_paper_values_match_the_spec(spec_text):
    for arch, n in networks.PAPER_PARAMS.items():
        assert f"Params **{n:,}**" in spec_text.split(f"**{arch if arch == 'StdCNN' else 'GCNN'}")[1][:2500]
    paper = augmentation.FIG14_PAPER["StdCNN"]
    assert (f"mean DeepFool distance ≈ {paper[0.0]['deepfool_l2_normalised']:g} at θ = 0, below "
            f"{paper[180.0]['deepfool_l2_normalised']:.1f} at θ = 180") in spec_text
    assert (f"accuracy\n≈ {100 * paper[0.0]['pgd_acc_0.3_normalised']:.0f}% at θ = 0 and ≈ "
            f"{100 * paper[180.0]['pgd_acc_0.3_normalised']:.0f}% at θ = 180") in spec_text


def test_the_full_budgets_targets_read_the_last_epochs_loss_and_figure_14s_paper_reading():
    from reprolib.papers.spatial import augmentation as aug

    rows = [{"arch": "StdCNN", "method": "Natural", "final_loss": {"loss": 0.05, "ce": 0.05}},
            {"arch": "StdCNN", "method": "Aug-RT(0.3)", "final_loss": {"loss": 1.2, "ce": 1.2}}]
    t = aug.fitted_target("t", rows)
    assert not t["passed"] and t["evidence"] == "largest: 1.200 (StdCNN Aug-RT(0.3))"
    assert aug.fitted_target("t", rows[:1])["passed"]

    def fig14_row(theta, distance_px, pgd):
        eps = {"0.0924": pgd, "0.3": 0.0}
        return {"arch": "StdCNN", "method": aug.method_name("R", theta), "seed": 0, "deepfool_l2": distance_px,
                "pgd_acc": eps, "test_acc": 0.99}

    near = {"rows": [fig14_row(0, 5.2 * aug.MNIST_SD, 0.70), fig14_row(180, 3.5 * aug.MNIST_SD, 0.25)]}
    assert [c["passed"] for c in aug.fig14_targets(near)] == [True, True]
    far = {"rows": [fig14_row(0, 6.2 * aug.MNIST_SD, 0.77), fig14_row(180, 3.2 * aug.MNIST_SD, 0.42)]}
    assert [c["passed"] for c in aug.fig14_targets(far)] == [False, False]


def test_eval_work_counts_what_each_grid_evaluates():
    """The cost model's evaluation time comes from each grid's own count of its work (attack steps of one image): a
    table's PGD, Lipschitz estimate and curve; Fig. 6's invariance profiles (forward passes, a third of a step each),
    PGD at each non-zero radius of its two grids, DeepFool at its iteration limit."""
    from reprolib.papers.trades import sensitivity
    table = {"dataset": "mnist", "n_eval_test": 1000, "n_eval_train": 0, "eval_steps": 40, "lip_steps": 10,
             "curve_n": 100, "epochs": 5}
    assert sensitivity.GRID.eval_work(table) == (1000 + 500) * 40 + 1000 * 10
    assert sensitivity.GRID.eval_work({**table, "n_eval_train": None}) == (1000 + 60000 + 500) * 40 + 1000 * 10
    fig6 = {**table, "lip_steps": 0, "curve_n": 0, "angles": [0, 90, 180], "shifts": [0, 0.3], "levels": [0, 0.3],
            "n_robust": 100, "eps_grid": [0.0, 0.1, 0.2], "profile_steps": 10, "n_deepfool": 0,
            "pgd_eps_grid": [0.1, 0.3], "deepfool_max_iter": 5}
    profiles_only = 1000 * (1 + 3 + 2 + 2) / 3 + 100 * 10 * 2
    assert augmentation.FIG6.eval_work(fig6) == pytest.approx(profiles_only)
    assert augmentation.FIG6.eval_work({**fig6, "n_deepfool": 50}) == pytest.approx(
        profiles_only + 100 * 10 * 2 + 50 * 5 * 11)
    assert augmentation.FIG6.eval_work({**fig6, "n_robust": None}) == pytest.approx(
        1000 * 8 / 3 + 1000 * 10 * 2)  # at most the evaluated images
