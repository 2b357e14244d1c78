"""p4 group convolutions (Cohen & Welling 2016) and spatial's MNIST GCNN (REPRO_SPEC Part II §2.9, P2 Table 1).

A p4 feature field has shape N × C × 4 × H × W: one H × W map per channel and per rotation r ∈ {0, 1, 2, 3}
(multiples of 90°, counter-clockwise as ``torch.rot90(·, 1, dims=(-2, -1))``). Rotating the input by 90° acts on
a field y as ``g·y = roll(rot90(y), 1, dim=2)``: every map is rotated and the rotation axis shifts by one. Both
layers below commute with this action (equivariance). Each layer stacks its rotated filters into one ordinary
weight tensor and makes a single ``conv2d`` call.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import ConfigError


def _rot(w: torch.Tensor, r: int) -> torch.Tensor:
    return torch.rot90(w, r, dims=(-2, -1))


class _P4Conv(nn.Module):
    """Shared parts: weight of shape (C_out, C_in, *in_rotations, k, k), bias shared by the 4 rotations.

    Init as in the reference GrouPy layers: U(-1/sqrt(n), 1/sqrt(n)) with n = C_in·k·k.
    """

    in_rotations: tuple[int, ...] = ()

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int = 0):
        super().__init__()
        for name, v, low in (("in_channels", in_channels, 1), ("out_channels", out_channels, 1),
                             ("kernel_size", kernel_size, 1), ("padding", padding, 0)):
            if not isinstance(v, int) or v < low:
                raise ConfigError(f"{name}={v!r} must be an integer >= {low}")
        self.in_channels, self.out_channels, self.kernel_size, self.padding = (
            in_channels, out_channels, kernel_size, padding)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, *self.in_rotations, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels))
        bound = 1 / math.sqrt(in_channels * kernel_size ** 2)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def filter(self, r: int) -> torch.Tensor:
        """The filter bank of output rotation r."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = 4 + len(self.in_rotations)
        if x.dim() != expected:
            raise ConfigError(f"x has {x.dim()} dims; {type(self).__name__} expects {expected}")
        k = self.kernel_size
        w = torch.stack([self.filter(r) for r in range(4)], 1)           # (C_out, 4, C_in, [4,] k, k)
        w = w.reshape(self.out_channels * 4, -1, k, k)                   # output index o·4 + r
        y = F.conv2d(x.flatten(1, x.dim() - 3), w, self.bias.repeat_interleave(4), padding=self.padding)
        return y.unflatten(1, (self.out_channels, 4))

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, padding={self.padding}"


class P4ConvZ2(_P4Conv):
    """Lifting convolution: image N×C×H×W → p4 field, y[:, o, r] = conv2d(x, rot(W[o], r)) + b[o]."""

    def filter(self, r: int) -> torch.Tensor:
        return _rot(self.weight, r)


class P4ConvP4(_P4Conv):
    """p4 → p4 convolution: y[:, o, r] = Σ_{i,s} conv2d(x[:, i, s], rot(W[o, i, (s - r) mod 4], r)) + b[o]."""

    in_rotations = (4,)

    def filter(self, r: int) -> torch.Tensor:
        return _rot(torch.roll(self.weight, r, dims=2), r)


def p4_max_pool2d(x: torch.Tensor, kernel_size: int = 2, stride: int | None = None) -> torch.Tensor:
    """Spatial max pooling of a p4 field, separately for every channel and rotation."""
    return F.max_pool2d(x.flatten(1, 2), kernel_size, stride).unflatten(1, x.shape[1:3])


def rot90_field(y: torch.Tensor, r: int = 1) -> torch.Tensor:
    """The action of a rotation by r·90° on a p4 field N×C×4×H×W: rotate every map, shift the rotation axis."""
    return torch.roll(torch.rot90(y, r, dims=(-2, -1)), r, dims=2)


def equivariance_error(features: nn.Module, x: torch.Tensor) -> float:
    """max |F(rot90 x) - rot90·F(x)| over the batch: 0 up to float rounding for a p4-equivariant ``features``."""
    with torch.no_grad():
        return float((features(torch.rot90(x, 1, dims=(-2, -1))) - rot90_field(features(x))).abs().max())


def p4_pool(x: torch.Tensor) -> torch.Tensor:
    """Max over the rotation axis: p4 field N×C×4×H×W → N×C×H×W (rotation-equivariant planar maps)."""
    return x.amax(2)


class GCNN(nn.Module):
    """spatial Table 1 MNIST GCNN: StdCNN with p4 layers, channels 10, 10, 20, 20; 89,910 parameters.

    Like the reference code it keeps all 4 orientations into the FC layer (no rotation pooling), so
    :meth:`features` is 90°-equivariant but the logits are not rotation-invariant (REPRO_SPEC erratum 28).
    """

    def __init__(self, num_classes: int = 10, pre: nn.Module | None = None):
        super().__init__()
        self.pre = pre or nn.Identity()  # the input map (the registry's GCNN normalises as StdCNN does)
        self.conv1, self.conv2 = P4ConvZ2(1, 10, 3), P4ConvP4(10, 10, 3)
        self.conv3, self.conv4 = P4ConvP4(10, 20, 3), P4ConvP4(20, 20, 3)
        self.fc1, self.drop, self.fc2 = nn.Linear(1280, 50), nn.Dropout(0.5), nn.Linear(50, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """N×1×28×28 → p4 field N×20×4×4×4 (layers 1-6 of the table, before flattening)."""
        x = p4_max_pool2d(F.relu(self.conv2(F.relu(self.conv1(self.pre(x))))))
        return p4_max_pool2d(F.relu(self.conv4(F.relu(self.conv3(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(F.relu(self.fc1(self.features(x).flatten(1)))))
