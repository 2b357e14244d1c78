"""Spatial transformations and the spatial paper's measurements (REPRO_SPEC Part II §2.10; P2 §2, §4, §5).

* :func:`transform` rotates and translates a batch of images with ``affine_grid``/``grid_sample`` (bilinear,
  zeros outside the image); :func:`rotate` and :func:`translate` are its special cases and :func:`augment`
  draws per-image Aug-R / Aug-T / Aug-RT transformations. Angles are in degrees, counter-clockwise as
  ``torch.rot90(x, 1, dims=(-2, -1))``; shifts are fractions of the image width (dx, to the right) and
  height (dy, downwards).
* Rate of invariance Pr[f(T(x)) = f(x)] (predicted labels, not true labels) as the range of the random T
  grows: :func:`invariance_profile` (rotations φ ~ U[-θ, θ]), :func:`translation_profile` (shifts ~ U[-i, i]
  on each axis) and :func:`rotation_translation_profile` (Aug-RT(i): U[-180·i, 180·i] and shifts U[-i, i]).
  Each image gets one uniform draw u ∈ [-1, 1] per axis from ``seed``, scaled by each grid value, so every
  grid point sees exactly uniform draws and the profile at θ does not depend on the rest of the grid.
* :func:`robustness_profile`: 1 - fooling rate of L∞ PGD (random start) labelled by the model's own
  predictions; :func:`deepfool_distances`: mean L2 DeepFool distance (Fig 14). ε is in the units of ``x``
  (REPRO_SPEC erratum 24: the paper's MNIST numbers point to normalised units; the caller states its choice).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import attacks, metrics
from .errors import ConfigError

Value = float | torch.Tensor


def _per_image(name: str, v: Value, n: int) -> torch.Tensor:
    v = torch.as_tensor(v, dtype=torch.float64).detach().cpu()
    if v.dim() == 0:
        return v.expand(n)
    if v.shape != (n,):
        raise ConfigError(f"{name} has shape {tuple(v.shape)}; expected a scalar or ({n},)")
    return v


def transform(x: torch.Tensor, degrees: Value = 0.0, dx: Value = 0.0, dy: Value = 0.0) -> torch.Tensor:
    """Rotate each image about its centre by ``degrees``, then shift it by (dx·W, dy·H) pixels.

    Each argument is a scalar or one value per image. Output pixel p samples the input at R⁻¹(p - t).
    """
    if x.dim() != 4:
        raise ConfigError(f"x has shape {tuple(x.shape)}; expected N×C×H×W")
    n, _, h, w = x.shape
    phi = torch.deg2rad(_per_image("degrees", degrees, n))
    c, s = torch.cos(phi), torch.sin(phi)
    # R⁻¹ in normalised coordinates (x right, y down), corrected for the aspect ratio.
    a = torch.stack([torch.stack([c, -s * h / w], -1), torch.stack([s * w / h, c], -1)], 1)
    t = 2 * torch.stack([_per_image("dx", dx, n), _per_image("dy", dy, n)], -1).unsqueeze(-1)
    theta = torch.cat([a, -a @ t], 2).to(x.device, x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def rotate(x: torch.Tensor, degrees: Value) -> torch.Tensor:
    """Rotate counter-clockwise by ``degrees`` (scalar or one angle per image)."""
    return transform(x, degrees=degrees)


def translate(x: torch.Tensor, dx: Value, dy: Value) -> torch.Tensor:
    """Shift right by dx·W and down by dy·H pixels (fractions of the image size; scalars or per image)."""
    return transform(x, dx=dx, dy=dy)


def _apply(x: torch.Tensor, u: torch.Tensor, degrees: float, shift: float) -> torch.Tensor:
    """The transformation of draws ``u`` ∈ [-1, 1]^(N×3) at ranges ±degrees and ±shift."""
    return transform(x, u[:, 0] * degrees, u[:, 1] * shift, u[:, 2] * shift)


def _draws(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    return torch.rand(n, 3, generator=generator, dtype=torch.float64) * 2 - 1


def augment(x: torch.Tensor, *, degrees: float = 0.0, shift: float = 0.0,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Aug-R(θ) / Aug-T(i) / Aug-RT: angle ~ U[-degrees, degrees], each shift ~ U[-shift, shift], per image."""
    _check_range("degrees", degrees)
    _check_range("shift", shift)
    return _apply(x, _draws(len(x), generator), degrees, shift)


@dataclass(frozen=True)
class Augmentation:
    """Aug-R(θ) / Aug-T(i) / Aug-RT as a training data path: ``Augmentation(degrees=θ, shift=i)(xb, generator)``
    (for :func:`reprolib.train.fit`'s ``augment``); Aug-RT(i) is ``degrees=180·i, shift=i``."""
    degrees: float = 0.0
    shift: float = 0.0

    def __post_init__(self):
        _check_range("degrees", self.degrees)
        _check_range("shift", self.shift)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return augment(x, degrees=self.degrees, shift=self.shift, generator=generator)


def _check_range(name: str, v: float) -> None:
    try:
        ok = math.isfinite(float(v)) and float(v) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"{name}={v!r} must be a finite number >= 0")


def _check_grid(name: str, grid: Sequence[float]) -> list[float]:
    grid = [float(v) for v in grid]
    if not grid:
        raise ConfigError(f"{name} is empty")
    for v in grid:
        _check_range(f"{name} entry", v)
    return grid


def _check_batch(x: torch.Tensor, batch_size: int) -> None:
    if len(x) == 0:
        raise ConfigError("x is empty")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size={batch_size!r} must be an integer >= 1")


def _profile(model: nn.Module, x: torch.Tensor, column: str, grid: Sequence[float],
             ranges: Callable[[float], tuple[float, float]], seed: int, batch_size: int) -> pd.DataFrame:
    grid = _check_grid(column, grid)
    _check_batch(x, batch_size)
    u = _draws(len(x), torch.Generator().manual_seed(seed))
    clean = metrics.predict(model, x, batch_size)
    rows = []
    for v in grid:
        degrees, shift = ranges(v)
        same = sum((metrics.predict(model, _apply(x[i:i + batch_size], u[i:i + batch_size], degrees, shift))
                    == clean[i:i + batch_size]).sum().item() for i in range(0, len(x), batch_size))
        rows.append((v, same / len(x)))
    return pd.DataFrame(rows, columns=[column, "invariance"])


def invariance_profile(model: nn.Module, x: torch.Tensor, *, angles: Sequence[float], seed: int = 0,
                       batch_size: int = 500) -> pd.DataFrame:
    """Rotation invariance profile: columns ``angle`` (θ, degrees) and ``invariance`` (φ ~ U[-θ, θ] per image)."""
    return _profile(model, x, "angle", angles, lambda a: (a, 0.0), seed, batch_size)


def translation_profile(model: nn.Module, x: torch.Tensor, *, shifts: Sequence[float], seed: int = 0,
                        batch_size: int = 500) -> pd.DataFrame:
    """Translation invariance profile: columns ``shift`` (i, fraction of the side) and ``invariance``."""
    return _profile(model, x, "shift", shifts, lambda i: (0.0, i), seed, batch_size)


def rotation_translation_profile(model: nn.Module, x: torch.Tensor, *, levels: Sequence[float], seed: int = 0,
                                 batch_size: int = 500) -> pd.DataFrame:
    """Aug-RT profile: columns ``level`` (i: angle ~ U[-180·i, 180·i], shifts ~ U[-i, i]) and ``invariance``."""
    return _profile(model, x, "level", levels, lambda i: (180.0 * i, i), seed, batch_size)


def robustness_profile(model: nn.Module, x: torch.Tensor, *, eps_grid: Sequence[float], steps: int = 40,
                       step_size: float = 0.01, seed: int = 0, batch_size: int = 500) -> pd.DataFrame:
    """Columns ``eps`` and ``robustness`` = Pr[f(PGD(x)) = f(x)], PGD labelled by the model's predictions.

    ε = 0 is 1.0 by definition (no attack run). The random start is seeded afresh with ``seed`` for every ε.
    """
    eps_grid = _check_grid("eps_grid", eps_grid)
    _check_batch(x, batch_size)
    attacks.check_threat(max(eps_grid), steps, step_size)
    clean = metrics.predict(model, x, batch_size)
    rows = []
    for eps in eps_grid:
        kept = len(x)
        if eps > 0:
            with torch.random.fork_rng(devices=[x.device] if x.is_cuda else []):
                torch.manual_seed(seed)
                kept = 0
                for i in range(0, len(x), batch_size):
                    xb, yb = x[i:i + batch_size], clean[i:i + batch_size]
                    x_adv = attacks.pgd(model, xb, yb, eps=eps, steps=steps, step_size=step_size)
                    kept += (metrics.predict(model, x_adv) == yb).sum().item()
        rows.append((eps, kept / len(x)))
    return pd.DataFrame(rows, columns=["eps", "robustness"])


def deepfool_distances(model: nn.Module, x: torch.Tensor, *, overshoot: float = 0.02, max_iter: int = 50,
                       num_classes: int = 10, batch_size: int = 500) -> float:
    """Mean L2 norm of the DeepFool perturbation over all of ``x`` (unfooled points count as they end)."""
    _check_batch(x, batch_size)
    total = 0.0
    for i in range(0, len(x), batch_size):
        _, r = attacks.deepfool(model, x[i:i + batch_size], overshoot=overshoot, max_iter=max_iter,
                                num_classes=num_classes)
        total += r.sum().item()
    return total / len(x)
