"""Spatial transformations and profiles (REPRO_SPEC Part II §2.10).

The profile tests use models whose answer is known in closed form:
* ``MassModel`` predicts from the total pixel mass, which rotations and small shifts of a centred disc
  barely change; with the two classes' masses far from the threshold, every profile is exactly 1.0.
* ``SideModel`` predicts whether the centre of mass lies right of the image centre. For a blob at a uniform
  angle on a circle, a rotation φ ~ U[-θ, θ] flips the side with probability θ/360 (θ <= 180), so the
  rotation profile is 1 - θ/360; for a blob at x0 ~ U[-a, a] px and a shift ~ U[-a, a] px, invariance is 3/4.
"""
import math

import pytest
import torch
import torch.nn as nn

from reprolib.errors import ConfigError
from reprolib.invariance import (augment, deepfool_distances, invariance_profile, robustness_profile, rotate,
                                 rotation_translation_profile, translate, translation_profile)

SIDE = 28


def _coords():
    i = torch.arange(SIDE, dtype=torch.float32) - (SIDE - 1) / 2
    return i.view(1, 1, 1, -1), i.view(1, 1, -1, 1)            # columns (x, right), rows (y, down)


def blobs(cx, cy, sigma=1.5):
    """Gaussian blobs centred (cx, cy) pixels from the image centre."""
    col, row = _coords()
    return torch.exp(-((col - cx.view(-1, 1, 1, 1)) ** 2 + (row - cy.view(-1, 1, 1, 1)) ** 2) / (2 * sigma ** 2))


class MassModel(nn.Module):
    def forward(self, x):
        m = x.flatten(1).sum(1) - 100.0
        return torch.stack([m, -m], 1)


class SideModel(nn.Module):
    def forward(self, x):
        col, _ = _coords()
        s = (x * col).flatten(1).sum(1)
        return torch.stack([s, -s], 1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize("side", [5, 6])
def test_rotation_by_multiples_of_90_is_rot90(side):
    x = torch.rand(3, 2, side, side)
    torch.testing.assert_close(rotate(x, 0), x, atol=1e-6, rtol=0)
    torch.testing.assert_close(rotate(x, 90), torch.rot90(x, 1, (-2, -1)), atol=1e-5, rtol=0)
    per_image = rotate(x, torch.tensor([90.0, 180.0, -90.0]))
    for k, (got, img) in zip([1, 2, -1], zip(per_image, x)):
        torch.testing.assert_close(got, torch.rot90(img, k, (-2, -1)), atol=1e-5, rtol=0)


def test_translation_moves_right_and_down_with_zero_fill():
    x = torch.rand(2, 1, 8, 8)
    torch.testing.assert_close(translate(x, 0, 0), x, atol=1e-6, rtol=0)
    y = translate(x, 2 / 8, 1 / 8)
    torch.testing.assert_close(y[..., 1:, 2:], x[..., :-1, :-2], atol=1e-5, rtol=0)
    assert y[..., :1, :].abs().max() < 1e-5 and y[..., :, :2].abs().max() < 1e-5


def test_augment_identity_and_reproducible():
    x = torch.rand(4, 1, 8, 8)
    torch.testing.assert_close(augment(x), x, atol=1e-6, rtol=0)
    a = augment(x, degrees=30, shift=0.1, generator=torch.Generator().manual_seed(1))
    b = augment(x, degrees=30, shift=0.1, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.allclose(a, x)


def test_profiles_flat_for_an_invariant_model():
    n = 200
    col, row = _coords()
    radius = torch.where(torch.arange(n) % 2 == 0, 5.0, 11.0).view(-1, 1, 1, 1)
    x = torch.rand(n, 1, SIDE, SIDE) * ((col ** 2 + row ** 2) <= radius ** 2)   # masses ≈ 40 and ≈ 190
    model = MassModel()
    assert invariance_profile(model, x, angles=[0, 45, 90, 180]).invariance.eq(1.0).all()
    assert translation_profile(model, x, shifts=[0, 0.05, 0.1]).invariance.eq(1.0).all()
    assert rotation_translation_profile(model, x, levels=[0, 0.1], batch_size=64).invariance.eq(1.0).all()


def test_rotation_profile_matches_closed_form():
    n = 2000
    alpha = torch.rand(n) * 2 * math.pi
    x = blobs(8 * torch.cos(alpha), 8 * torch.sin(alpha))
    prof = invariance_profile(SideModel(), x, angles=[0, 90, 180])
    assert list(prof.columns) == ["angle", "invariance"]
    assert prof.invariance.tolist() == pytest.approx([1.0, 0.75, 0.5], abs=0.04)


def test_translation_profile_matches_closed_form():
    n = 2000
    x = blobs((torch.rand(n) * 2 - 1) * 6, torch.zeros(n))
    prof = translation_profile(SideModel(), x, shifts=[0, 6 / SIDE])
    assert prof.invariance.tolist() == pytest.approx([1.0, 0.75], abs=0.04)


def test_robustness_profile():
    """PGD is not an exact maximiser, so monotonicity in eps is only approximate: allow one image (1/32).

    A random MLP on noise has small margins, so the profile actually falls over this grid.
    """
    model = nn.Sequential(nn.Flatten(), nn.Linear(SIDE * SIDE, 32), nn.ReLU(), nn.Linear(32, 10))
    x = torch.rand(32, 1, SIDE, SIDE)
    prof = robustness_profile(model, x, eps_grid=[0, 0.003, 0.01, 0.03, 0.1], steps=5, step_size=0.03)
    r = prof.robustness.tolist()
    assert list(prof.columns) == ["eps", "robustness"] and r[0] == 1.0
    assert all(b <= a + 1 / 32 for a, b in zip(r, r[1:]))
    assert r[-1] < 0.5
    constant = nn.Sequential(nn.Flatten(), nn.Linear(SIDE * SIDE, 2))
    nn.init.zeros_(constant[1].weight)
    assert robustness_profile(constant, x, eps_grid=[0, 0.3], steps=2).robustness.eq(1.0).all()


def test_deepfool_distance_of_a_linear_model():
    """For logits (w·x + b, 0) DeepFool stops after one step: ||r|| = 1.02 (|w·x + b| / ||w|| + 1e-4)."""
    lin = nn.Linear(16, 1)
    model = nn.Sequential(nn.Flatten(), lin, nn.ConstantPad1d((0, 1), 0.0))
    x = torch.rand(10, 1, 4, 4)
    with torch.no_grad():
        expected = 1.02 * ((lin(x.flatten(1)).abs() / lin.weight.norm()).squeeze(1) + 1e-4)
    assert deepfool_distances(model, x, num_classes=2, batch_size=4) == pytest.approx(expected.mean().item(), rel=1e-4)


@pytest.mark.parametrize("call, match", [
    (lambda m, x: robustness_profile(m, x, eps_grid=[0, -0.1]), "eps_grid"),
    (lambda m, x: robustness_profile(m, x, eps_grid=[]), "eps_grid"),
    (lambda m, x: invariance_profile(m, x, angles=[]), "angle"),
    (lambda m, x: invariance_profile(m, x, angles=[-10]), "angle"),
    (lambda m, x: translation_profile(m, x, shifts=[0.1], batch_size=0), "batch_size"),
    (lambda m, x: rotate(x, torch.zeros(3)), "degrees"),
    (lambda m, x: rotate(x[0], 10), "x"),
    (lambda m, x: augment(x, shift=-0.1), "shift"),
])
def test_bad_inputs_raise_config_error(call, match):
    with pytest.raises(ConfigError, match=match):
        call(MassModel(), torch.rand(2, 1, SIDE, SIDE))
