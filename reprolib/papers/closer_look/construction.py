"""The existence construction of closer_look Thm 4.2 / cake Thm 5.2, as a classifier on real data.

f_i(x) = dist_inf(x, X_i) / r and g(x) = argmin_i f_i(x), where X_i are the training images of class i
and 2r is the Train-Train separation. Each f_i is (1/r)-Lipschitz (a distance to a set is 1-Lipschitz),
f_y = 0 and f_j >= 2 on training points, so g is correct within radius r of every training point.
Distances are exact integers on uint8 pixels (reusing :mod:`reprolib.separation`).
"""
from __future__ import annotations

import torch

from ...errors import ConfigError
from ...separation import nearest_other_label


def class_distances(x: torch.Tensor, train_x: torch.Tensor, train_y: torch.Tensor, num_classes: int = 10,
                    progress: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``(D, idx)``: D[n, c] = exact L-inf distance (uint8 units) from x[n] to class c; idx the nearest point."""
    dist = torch.empty(len(x), num_classes, dtype=torch.int64)
    index = torch.empty(len(x), num_classes, dtype=torch.int64)
    no_label = torch.full((len(x),), -1)
    for c in range(num_classes):
        members = (train_y == c).nonzero().squeeze(1)
        if len(members) == 0:
            raise ConfigError(f"n_train: the {len(train_y)} training images hold no image of class {c}; the "
                              "construction needs every class (raise n_train)")
        d, i = nearest_other_label(x, no_label, train_x[members], train_y[members], progress=progress,
                                   desc=f"class {c}")
        dist[:, c], index[:, c] = d, members[i]
    return dist, index


def scores(dist: torch.Tensor, r_k: float) -> torch.Tensor:
    """f(x) = dist / r with r in uint8 units (r_k = 255 r)."""
    return dist.double() / r_k


def predict(dist: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """argmin over classes and whether the minimum is tied (ties broken towards the lowest class index)."""
    best = dist.min(1, keepdim=True).values
    return dist.argmin(1), (dist == best).sum(1) > 1


def margin(dist: torch.Tensor, y: torch.Tensor, r_k: float) -> torch.Tensor:
    """min_{j != y} f_j(x) - f_y(x) (>= 2 on training points by the theorem)."""
    f = scores(dist, r_k)
    own = f.gather(1, y[:, None]).squeeze(1)
    other = f.scatter(1, y[:, None], float("inf")).min(1).values
    return other - own


def certified_radius(dist: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Radius (pixels in [0,1]) within which g provably keeps its answer y: (d_other - d_own) / 2, or 0 if wrong."""
    own = dist.gather(1, y[:, None]).squeeze(1)
    other = dist.scatter(1, y[:, None], 10 ** 9).min(1).values
    return ((other - own).clamp_min(0).double() / 2) / 255


def directed_attack(x: torch.Tensor, y: torch.Tensor, dist: torch.Tensor, index: torch.Tensor,
                    train_x: torch.Tensor, eps_k: int) -> torch.Tensor:
    """Move each x by eps (uint8 units, L-inf) straight towards its nearest training image of another class.

    This is the natural worst case for g: it shrinks the distance to that class by exactly eps.
    """
    other = dist.scatter(1, y[:, None], 10 ** 9).argmin(1)
    z = train_x[index[torch.arange(len(x)), other]].to(torch.int16)
    step = (z - x.to(torch.int16)).clamp(-eps_k, eps_k)
    return (x.to(torch.int16) + step).clamp(0, 255).to(torch.uint8)


def lipschitz_pairs(x: torch.Tensor, x2: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor, r_k: float) -> dict:
    """Check |f_i(x) - f_i(x')| <= ||x - x'||_inf / r on pairs; returns the largest observed ratio times r."""
    dx = (x.reshape(len(x), -1).long() - x2.reshape(len(x2), -1).long()).abs().amax(1).double()
    df = (scores(d1, r_k) - scores(d2, r_k)).abs().amax(1)
    moved = dx > 0
    ratio = df[moved] * r_k / dx[moved]
    return {"max_ratio_times_r": float(ratio.max()) if moved.any() else 0.0,
            "holds": bool(torch.all(df <= dx / r_k + 1e-12))}
