"""AutoAttack evaluator and gradient-masking checks (issue 12), at smoke scale.

A StdCNN fine-tuned for a few seconds with adversarial training must not look more robust to AutoAttack
than to PGD; a network behind an input quantisation (``round``: zero gradient everywhere) looks robust to
PGD, and the transfer check, AutoAttack's Square and its own flags must expose it.
"""
import copy
import json

import pytest
import torch
import torch.nn as nn

from reprolib import audit, losses, models
from reprolib.autoattack import TWO_CLASS_ATTACKS, autoattack_accuracy, robust_accuracy_pair
from reprolib.errors import ConfigError
from reprolib.masking import check_masking, masking_checks, noise_tolerance
from reprolib.train import TrainConfig, fit

EPS = 0.1


@pytest.fixture(scope="module")
def at_model(trained_cnn, mnist_small):
    """The natural StdCNN of conftest, fine-tuned with PGD adversarial training (eps 0.1, 3 epochs on 2,000
    images, a few seconds): ~90% clean, ~75% PGD-20 accuracy at eps 0.1."""
    x, y, _, _ = mnist_small
    model = copy.deepcopy(trained_cnn)
    fit(model, x, y, loss_fn=losses.build("at", eps=EPS, steps=3, step_size=0.05),
        cfg=TrainConfig(epochs=3, batch_size=32, lr=2e-3, optimizer="adam"), progress=False)
    return model.eval()


def test_the_nhwc_copy_finds_what_the_default_layout_finds_and_leaves_the_model_alone(at_model, mnist_small):
    """On the CPU AutoAttack attacks an NHWC copy (faster): the same images fall, and the caller's model keeps its
    layout; the record says which layout ran."""
    _, _, xt, yt = mnist_small
    model = copy.deepcopy(at_model).to(memory_format=torch.contiguous_format)
    runs = {cl: autoattack_accuracy(model, xt, yt, eps=EPS, n=16, version="custom", attacks=["apgd-ce", "apgd-t"],
                                    channels_last=cl, progress=False) for cl in (None, False)}
    assert runs[None]["memory_format"] == "channels_last" and runs[False]["memory_format"] == "default"
    assert runs[None]["robust_acc_after"] == runs[False]["robust_acc_after"]
    assert runs[None]["clean_acc"] > runs[None]["robust_acc"]  # some images fell: the comparison is not vacuous
    assert all(p.is_contiguous() for p in model.parameters())


class Quantized(nn.Module):
    """8-bit input quantisation: the same function as ``net`` up to 1/255, but a zero input gradient."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(torch.round(x * 255) / 255)


def test_autoattack_is_not_above_pgd_on_an_adversarially_trained_model(at_model, mnist_small):
    _, _, xt, yt = mnist_small
    state = torch.get_rng_state()
    pair = robust_accuracy_pair(at_model, xt, yt, eps=EPS, pgd_steps=20, pgd_step_size=0.01, n=40, seed=0,
                                progress=False)
    assert torch.equal(torch.get_rng_state(), state) and not at_model.training
    aa = pair["autoattack"]
    assert (aa["n"], aa["seed"], aa["version"], aa["eps"], aa["norm"]) == (40, 0, "standard", EPS, "Linf")
    assert aa["attacks"] == ["apgd-ce", "apgd-t", "fab-t", "square"] and aa["package"] == "pyautoattack"
    assert aa["package_version"] == "0.2.0" and aa["max_perturbation"] <= EPS + 1e-6
    assert pair["autoattack_acc"] <= pair["pgd_acc"] <= pair["clean_acc"]
    assert pair["pgd_acc"] >= 0.4  # the fine-tuning made it robust-ish: the comparison is not vacuous
    after = list(aa["robust_acc_after"].values())
    assert after == sorted(after, reverse=True) and after[-1] == aa["robust_acc"] <= aa["clean_acc"]
    assert pair["gap"] == pytest.approx(pair["pgd_acc"] - pair["autoattack_acc"])
    assert pair["worst_case_acc"] <= pair["autoattack_acc"]

    checks = masking_checks(at_model, xt, yt, eps=EPS, steps=10, step_size=0.025, n=40, autoattack=pair,
                            step_factor=2, restarts=2, id_prefix="test.at", progress=False)
    passed = {c["id"].rsplit(".", 1)[1]: c["passed"] for c in checks["claims"]}
    for key in ("eps0_clean", "monotone_eps", "more_steps", "restarts", "autoattack_le_pgd"):
        assert passed[key], checks
    assert checks["values"]["autoattack_acc"] == pair["autoattack_acc"]
    json.dumps({"pair": pair, "masking": checks}, allow_nan=False)  # storable as a results record


class OneVsThree(nn.Module):
    """A scalar score for digit 3 against digit 1 (``Net_binary``'s shape): the difference of two logits of a
    ten-class network."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        z = self.net(x)
        return z[:, 3] - z[:, 1]


def test_score_logits_give_the_logistic_loss_and_the_sign_as_class():
    f = torch.tensor([-2.0, -0.1, 0.3, 4.0])
    z = models.ScoreLogits(nn.Identity())(f)
    y = torch.tensor([-1.0, 1.0, 1.0, -1.0])  # ±1 labels; class 1 is +1
    ce = nn.functional.cross_entropy(z, (y > 0).long(), reduction="none")
    assert torch.allclose(ce, nn.functional.softplus(-y * f))
    assert torch.equal(z.argmax(1), (f > 0).long())


def test_a_two_class_model_is_audited_with_the_attacks_defined_for_two_classes(at_model, mnist_small):
    """The standard version is refused on two classes with a clear error; the two-class attacks run, find at
    least what PGD finds, and raise no flag of AutoAttack's own class-count check."""
    _, _, xt, yt = mnist_small
    keep = (yt == 1) | (yt == 3)
    x, y = xt[keep], (yt[keep] == 3).long()
    model = models.ScoreLogits(OneVsThree(at_model)).eval()
    with pytest.raises(ConfigError, match=r"version='standard' needs 10 classes.*'apgd-ce', 'fab', 'square'"):
        autoattack_accuracy(model, x, y, eps=EPS, n=4, progress=False)
    out = audit.audit_model(model, x, y, eps=EPS, steps=10, step_size=0.025, id_prefix="test.binary", n=30,
                            version="custom", attacks=list(TWO_CLASS_ATTACKS), progress=False)
    assert out["autoattack"]["attacks"] == ["apgd-ce", "fab", "square"] and not out["autoattack"]["flags"]
    assert out["autoattack_acc"] <= out["pgd_acc"] <= out["clean_acc"] and out["pgd_acc"] >= 0.5  # not vacuous
    passed = {c["id"].rsplit(".", 1)[1]: c["passed"] for c in out["claims"]}
    assert passed["eps0_clean"] and passed["autoattack_le_pgd"] and passed["autoattack_flags"]


def test_masked_gradients_fire_the_checks(trained_cnn, mnist_small):
    _, _, xt, yt = mnist_small
    masked = Quantized(trained_cnn).eval()
    eps, n = 0.3, 50
    # APGD-CE (white-box, gets zero gradients) and Square (black-box): the two halves of the standard version
    # that matter here, without the targeted passes that would cost most of the time on an unbroken model.
    # (The package's zero-gradient flag comes from its DLR attacks, APGD-T and APGD-DLR, not run here.)
    aa = autoattack_accuracy(masked, xt, yt, eps=eps, version="custom", attacks=["apgd-ce", "square"], n=n,
                             progress=False)
    out = masking_checks(masked, xt, yt, eps=eps, steps=10, step_size=eps / 4, n=n, source_model=trained_cnn,
                         source_name="the same net without quantisation", autoattack=aa, step_factor=2, restarts=2,
                         id_prefix="test.masked", progress=False)
    v, claims = out["values"], {c["id"].rsplit(".", 1)[1]: c for c in out["claims"]}
    assert v["pgd_acc"] >= v["clean_acc"] - 0.1                       # PGD sees nothing
    assert aa["robust_acc_after"]["apgd-ce"] >= v["clean_acc"] - 0.1   # nor does APGD
    assert aa["robust_acc"] <= v["pgd_acc"] - 0.3                     # Square breaks it
    assert v["transfer_acc"] <= v["pgd_acc"] - 0.3                    # so does transfer
    assert claims["eps0_clean"]["passed"]
    assert not claims["transfer"]["passed"] and claims["transfer"]["warning"]
    assert claims["autoattack_le_pgd"]["warning"] and "overstates" in claims["autoattack_le_pgd"]["warning_text"]
    assert not claims["autoattack_flags"]["passed"]
    assert any("Square Attack has decreased the robust accuracy" in f for f in aa["flags"])


def _values(**kw):
    v = {"n": 1000, "eps": 0.1, "steps": 10, "clean_acc": 0.95, "eps_grid": [0.0, 0.05, 0.1, 0.2],
         "pgd_acc_grid": [0.95, 0.85, 0.70, 0.30], "pgd_acc": 0.70, "more_steps": 50, "pgd_more_steps_acc": 0.69,
         "restarts": 5, "pgd_restarts_acc": 0.695, "transfer_acc": 0.88, "transfer_source": "a natural net",
         "autoattack_acc": 0.685, "autoattack_flags": []}
    v.update(kw)
    return v


def _outcome(noise_tol=None, **kw):
    claims = check_masking(_values(**kw), id_prefix="t", noise_tol=noise_tol)
    return {c["id"].split(".", 1)[1]: (c["passed"], c["warning"]) for c in claims}


def test_check_logic_on_synthetic_numbers():
    ok = _outcome()
    assert ok == {k: (True, False) for k in ("eps0_clean", "monotone_eps", "more_steps", "restarts", "transfer",
                                              "autoattack_le_pgd", "autoattack_flags")}
    assert _outcome(pgd_acc_grid=[0.94, 0.85, 0.70, 0.30])["eps0_clean"] == (False, False)
    assert _outcome(pgd_acc_grid=[0.95, 0.70, 0.75, 0.30])["monotone_eps"] == (False, False)   # +5 points
    assert _outcome(pgd_acc_grid=[0.95, 0.70, 0.71, 0.30])["monotone_eps"] == (True, False)    # within noise
    assert _outcome(pgd_more_steps_acc=0.75)["more_steps"] == (False, False)
    assert _outcome(pgd_more_steps_acc=0.60)["more_steps"] == (True, True)                    # not converged
    assert _outcome(pgd_restarts_acc=0.76)["restarts"] == (False, False)
    assert _outcome(transfer_acc=0.60)["transfer"] == (False, True)
    assert _outcome(transfer_acc=0.69)["transfer"] == (True, False)
    assert _outcome(autoattack_acc=0.75)["autoattack_le_pgd"] == (False, False)
    assert _outcome(autoattack_acc=0.67)["autoattack_le_pgd"] == (True, True)                 # gap 3 points
    assert _outcome(autoattack_acc=0.68)["autoattack_le_pgd"] == (True, False)                # gap 2: not above
    assert _outcome(autoattack_flags=["there are 3 points with zero gradient!"])["autoattack_flags"] == (False, True)
    skipped = _outcome(transfer_acc=None, autoattack_acc=None, pgd_restarts_acc=None)
    assert set(skipped) == {"eps0_clean", "monotone_eps", "more_steps"}
    assert _outcome(pgd_more_steps_acc=0.75, noise_tol=0.1)["more_steps"] == (True, False)
    assert noise_tolerance(0.5, 0.5, 100) == pytest.approx(0.1) and noise_tolerance(1.0, 1.0, 50) == 1 / 50
    c = check_masking(_values(autoattack_acc=0.60), id_prefix="table2.AT")[-2]
    assert c["id"] == "table2.AT.autoattack_le_pgd" and "+10.0 points" in c["evidence"]


@pytest.mark.parametrize("kwargs, match", [
    ({"eps": -0.1}, "eps=-0.1"), ({"norm": "Lfoo"}, "norm='Lfoo'"), ({"version": "fast"}, "version='fast'"),
    ({"version": "custom"}, "attacks=None"), ({"version": "custom", "attacks": ["pgd"]}, "attacks="),
    ({"attacks": ["square"]}, "attacks="), ({"seed": 1.5}, "seed=1.5"), ({"chunk": 0}, "chunk=0"),
    ({"n": 0}, "n=0"), ({"threads": 0}, "threads=0"),
])
def test_bad_autoattack_input_names_the_parameter(kwargs, match):
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x, y = torch.rand(6, 1, 2, 2), torch.zeros(6, dtype=torch.long)
    with pytest.raises(ConfigError, match=match.replace("[", r"\[")):
        autoattack_accuracy(model, x, y, **{"eps": 0.1, **kwargs})


@pytest.mark.parametrize("kwargs, match", [
    ({"eps": -1.0}, "eps=-1.0"), ({"steps": 0}, "steps=0"), ({"step_factor": 1}, "step_factor=1"),
    ({"restarts": 0}, "restarts=0"), ({"eps_grid": [0.1, -0.2]}, "eps_grid="), ({"id_prefix": ""}, "id_prefix="),
    ({"noise_tol": 2.0}, "noise_tol=2.0"), ({"norm": "L1"}, "norm='L1'"), ({"autoattack": "yes"}, "autoattack="),
])
def test_bad_masking_input_names_the_parameter(kwargs, match):
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x, y = torch.rand(6, 1, 2, 2), torch.zeros(6, dtype=torch.long)
    args = {"eps": 0.1, "steps": 2, "step_size": 0.05, "id_prefix": "t", **kwargs}
    with pytest.raises(ConfigError, match=match):
        masking_checks(model, x, y, progress=False, **args)


def test_autoattack_record_of_other_images_is_refused(mnist_small):
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    _, _, xt, yt = mnist_small
    record = {"n": 10, "eps": 0.1, "norm": "Linf", "clean_acc": 1.0, "robust_acc": 0.5}
    with pytest.raises(ConfigError, match="clean_acc="):
        masking_checks(model, xt, yt, eps=0.1, steps=1, step_size=0.1, n=10, autoattack=record, id_prefix="t",
                       step_factor=2, restarts=2, progress=False)


def test_the_apgd_version_is_the_standard_versions_first_two_attacks(at_model, mnist_small):
    """The cheaper audit ("apgd") runs the standard version's APGD-CE and APGD-T with that version's parameters: the
    images it finds robust are those the standard version leaves after its first two attacks (here also after all
    four: FAB-T and Square find nothing more, as in 67 of the 68 committed audits)."""
    _, _, xt, yt = mnist_small
    full = autoattack_accuracy(at_model, xt, yt, eps=EPS, n=16, progress=False)
    cheap = autoattack_accuracy(at_model, xt, yt, eps=EPS, n=16, version="apgd", progress=False)
    assert cheap["attacks"] == ["apgd-ce", "apgd-t"] and full["attacks"] == ["apgd-ce", "apgd-t", "fab-t", "square"]
    assert cheap["robust_acc_after"] == {a: full["robust_acc_after"][a] for a in ("apgd-ce", "apgd-t")}
    assert cheap["clean_acc"] > cheap["robust_acc"] > 0  # some images fell and some held: not vacuous
    assert cheap["robust_acc"] == full["robust_acc"]


def test_chunks_shared_out_over_processes_find_the_same_images(at_model, mnist_small):
    """On the CPU AutoAttack's chunks can go to forked single-threaded workers (both cores): each chunk is one
    AutoAttack batch whichever process attacks it, so the images found robust after every attack are the same."""
    from reprolib.autoattack import _evaluate

    _, _, xt, yt = mnist_small
    kw = dict(eps=EPS, norm="Linf", version="custom", attacks_list=["apgd-ce", "apgd-t"], n=8, seed=0, chunk=4,
              progress=False, threads=1, channels_last=None)
    (one, mask_one), (two, mask_two) = (_evaluate(at_model, xt, yt, processes=p, **kw) for p in (1, 2))
    assert "processes" not in one and two["processes"] == 2  # two chunks, one on each worker
    assert torch.equal(mask_one, mask_two) and one["robust_acc_after"] == two["robust_acc_after"]
    assert one["clean_acc"] > one["robust_acc"] > 0  # some images fell and some held: not vacuous
    assert one["flags"] == two["flags"]


def test_a_killed_run_resumes_from_its_finished_chunks_to_the_same_result(at_model, mnist_small, monkeypatch):
    """Each finished chunk is kept in the cache until the run completes; a run killed after its first chunk
    continues from it and ends with an uninterrupted run's images and counts."""
    import reprolib.autoattack as aa_mod
    from reprolib.autoattack import _evaluate

    _, _, xt, yt = mnist_small
    kw = dict(eps=EPS, norm="Linf", version="custom", attacks_list=["apgd-ce"], n=8, seed=0, chunk=4,
              progress=False, threads=1, channels_last=None, processes=1)
    straight, mask = _evaluate(at_model, xt, yt, **kw)
    real, calls = aa_mod._attack_chunk, []

    def killed_at_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(aa_mod, "_attack_chunk", killed_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        _evaluate(at_model, xt, yt, **kw)
    left = list((aa_mod.artifacts_dir() / "autoattack").glob("*.json"))
    assert len(left) == 1 and list(json.loads(left[0].read_text())["chunks"]) == ["0"]
    monkeypatch.setattr(aa_mod, "_attack_chunk", real)
    resumed, mask_resumed = _evaluate(at_model, xt, yt, **kw)
    assert resumed["resumed_chunks"] == 1 and not left[0].exists()
    assert torch.equal(mask, mask_resumed) and resumed["robust_acc_after"] == straight["robust_acc_after"]
    assert straight["clean_acc"] > straight["robust_acc"] > 0  # some images fell and some held: not vacuous
