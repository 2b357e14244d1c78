import pytest
import torch
import torch.nn as nn

from reprolib import attacks, metrics
from reprolib.errors import ConfigError


@pytest.fixture(scope="module")
def batch(mnist_small):
    _, _, xt, yt = mnist_small
    return xt[:200], yt[:200]


def test_eps_zero_leaves_accuracy_unchanged(trained_cnn, batch):
    x, y = batch
    clean = metrics.accuracy(trained_cnn, x, y)
    assert metrics.robust_accuracy(trained_cnn, x, y, eps=0.0, steps=5, step_size=0.01) == clean
    assert torch.equal(attacks.fgsm(trained_cnn, x, y, eps=0.0), x)


def test_accuracy_non_increasing_in_eps_and_steps(trained_cnn, batch):
    x, y = batch
    accs = []
    for eps in (0.0, 0.05, 0.1, 0.2, 0.3):
        torch.manual_seed(0)
        accs.append(metrics.robust_accuracy(trained_cnn, x, y, eps=eps, steps=10, step_size=eps / 4 or 0.01))
    assert accs[0] > 0.85 and accs[-1] < 0.3
    assert all(a >= b for a, b in zip(accs, accs[1:])), accs
    by_steps = []
    for steps in (1, 5, 20):
        torch.manual_seed(0)
        by_steps.append(metrics.robust_accuracy(trained_cnn, x, y, eps=0.1, steps=steps, step_size=0.025,
                                                random_start=False))
    assert all(a >= b - 0.005 for a, b in zip(by_steps, by_steps[1:])), by_steps


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_perturbation_stays_in_ball_and_range(trained_cnn, batch, norm):
    x, y = batch
    eps = 0.1 if norm == "linf" else 1.5
    x_adv = attacks.pgd(trained_cnn, x, y, eps=eps, steps=7, step_size=eps / 3, norm=norm)
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
    assert float(size.max()) <= eps + 1e-5
    assert float(x_adv.min()) >= 0 and float(x_adv.max()) <= 1
    assert not x_adv.requires_grad


def test_projections_are_exact():
    x0 = torch.full((2, 1, 2, 2), 0.5)
    linf = attacks.LinfStep(x0, 0.1, 0.01)
    x = torch.tensor([0.9, 0.3, 0.55, -1.0]).view(1, 1, 2, 2).repeat(2, 1, 1, 1)
    assert torch.allclose(linf.project(x), torch.tensor([0.6, 0.4, 0.55, 0.4]).view(1, 1, 2, 2))
    l2 = attacks.L2Step(x0, 0.5, 0.1)
    d = torch.tensor([0.3, 0.4, 0.0, 0.0]).view(1, 1, 2, 2)  # norm 0.5 -> unchanged
    assert torch.allclose(l2.project(x0 + d), x0 + d)
    d2 = 2 * d  # norm 1.0 -> halved
    assert torch.allclose(l2.project(x0 + d2)[0], (x0 + d)[0])


def test_fgsm_is_one_full_step_of_pgd(trained_cnn, batch):
    x, y = batch
    a = attacks.fgsm(trained_cnn, x, y, eps=0.1)
    b = attacks.pgd(trained_cnn, x, y, eps=0.1, steps=1, step_size=0.1, random_start=False)
    assert torch.equal(a, b)


def test_model_mode_restored_and_no_parameter_gradients(trained_cnn, batch):
    x, y = batch
    trained_cnn.train()
    attacks.pgd(trained_cnn, x[:20], y[:20], eps=0.1, steps=2, step_size=0.05)
    assert trained_cnn.training
    trained_cnn.eval()
    assert all(p.grad is None for p in trained_cnn.parameters())
    x_in = x[:20].clone()
    attacks.pgd(trained_cnn, x_in, y[:20], eps=0.1, steps=2, step_size=0.05)
    assert torch.equal(x_in, x[:20])


@pytest.mark.parametrize("kwargs, match", [({"eps": -0.1}, "eps=-0.1"), ({"steps": 0}, "steps=0"),
                                            ({"step_size": 0.0}, "step_size=0.0"), ({"norm": "l1"}, "norm='l1'")])
def test_bad_attack_settings(trained_cnn, batch, kwargs, match):
    x, y = batch
    args = {"eps": 0.1, "steps": 2, "step_size": 0.01, **kwargs}
    with pytest.raises(ConfigError, match=match):
        attacks.pgd(trained_cnn, x[:2], y[:2], **args)


def test_pgd_agrees_with_torchattacks(trained_cnn, batch):
    import torchattacks  # test-only dependency (pyproject [test])
    x, y = batch
    torch.manual_seed(0)
    ours = metrics.robust_accuracy(trained_cnn, x, y, eps=0.1, steps=20, step_size=0.01)
    atk = torchattacks.PGD(trained_cnn, eps=0.1, alpha=0.01, steps=20, random_start=True)
    torch.manual_seed(0)
    theirs = metrics.accuracy(trained_cnn, atk(x, y), y)
    assert 0.05 < ours < 0.95, "the comparison needs a regime where the attack partly succeeds"
    assert abs(ours - theirs) <= 0.01 + 1e-9, (ours, theirs)


def test_deepfool_crosses_a_linear_boundary_at_the_closed_form_distance():
    torch.manual_seed(0)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    x = torch.rand(16, 1, 2, 2)
    x_adv, r = attacks.deepfool(lin, x, overshoot=0.0, num_classes=2)
    w = lin[1].weight[1] - lin[1].weight[0]
    f = (lin(x)[:, 1] - lin(x)[:, 0]).detach()
    expected = f.abs() / w.norm()
    assert torch.allclose(r, expected, rtol=1e-3, atol=1e-3)
    assert torch.all(lin(x_adv).argmax(1) != lin(x).argmax(1))


def test_linf_deepfool_crosses_a_linear_boundary_at_the_dual_norm_distance():
    torch.manual_seed(0)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    x = torch.rand(16, 1, 2, 2)
    x_adv, r = attacks.deepfool(lin, x, overshoot=0.0, num_classes=2, norm="linf")
    w = lin[1].weight[1] - lin[1].weight[0]
    f = (lin(x)[:, 1] - lin(x)[:, 0]).detach()
    assert torch.allclose(r, f.abs() / w.abs().sum(), rtol=1e-3, atol=1e-3)  # L-inf distance = |f| / ||w||_1
    assert torch.all(lin(x_adv).argmax(1) != lin(x).argmax(1))


def test_cw_objective_is_the_margin_and_positive_exactly_when_misclassified():
    logits = torch.tensor([[3.0, 1.0, 0.0], [0.0, 2.0, 5.0]])
    y = torch.tensor([0, 1])
    assert attacks.cw_objective(logits, y, None).tolist() == [-2.0, 3.0]


def test_momentum_attack_matches_torchattacks_mifgsm(trained_cnn, batch):
    torchattacks = pytest.importorskip("torchattacks")
    x, y = batch
    ours = metrics.accuracy(trained_cnn, attacks.pgd(trained_cnn, x, y, eps=0.1, steps=10, step_size=0.01,
                                                     norm="linf-momentum", random_start=False), y)
    theirs = metrics.accuracy(trained_cnn, torchattacks.MIFGSM(trained_cnn, eps=0.1, alpha=0.01, steps=10,
                                                               decay=1.0)(x, y), y)
    assert 0.05 < ours < 0.95, "the comparison needs a regime where the attack partly succeeds"
    assert abs(ours - theirs) <= 0.01 + 1e-9, (ours, theirs)


def test_clipped_deepfool_stays_in_the_image_range_and_still_fools(trained_cnn, batch):
    x, y = batch
    x_adv, r = attacks.deepfool(trained_cnn, x[:32], norm="linf", clip=True)
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    assert torch.allclose(r, (x_adv - x[:32]).flatten(1).abs().amax(1))
    assert metrics.accuracy(trained_cnn, x_adv, y[:32]) < metrics.accuracy(trained_cnn, x[:32], y[:32])
