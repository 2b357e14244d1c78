"""Architectures of the four papers, built by name (REPRO_SPEC Part I §1.5, Part II §2.2, §2.9).

All models take images in [0, 1] and return raw logits (scores for the binary nets); any
normalisation lives inside the model so that eps stays in pixel units.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import ConfigError
from .gcnn import GCNN


class Normalize(nn.Module):
    """(x - mean) / sd with fixed constants (MNIST's by default): a pixel-space model input, a normalised network."""

    def __init__(self, mean: float = 0.1307, sd: float = 0.3081):
        super().__init__()
        self.mean, self.sd = mean, sd

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.sd

    def extra_repr(self) -> str:
        return f"mean={self.mean}, sd={self.sd}"


class CNN1(nn.Module):
    """closer_look ``CNN001``: 2 conv + 2 FC, no ReLU after conv2 (a fact of the authors' code)."""

    def __init__(self, num_classes: int = 10, bn: int = 0):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        # cake's CNN1_BN1 / CNN1_BN2: BatchNorm after conv1 (and conv2); placement per REPRO_SPEC E.
        self.bn1 = nn.BatchNorm2d(32) if bn >= 1 else nn.Identity()
        self.bn2 = nn.BatchNorm2d(64) if bn >= 2 else nn.Identity()
        self.drop1, self.drop2 = nn.Dropout2d(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        x = self.drop1(F.max_pool2d(x, 2)).flatten(1)
        return self.fc2(self.drop2(F.relu(self.fc1(x))))


class SmallCNN(nn.Module):
    """TRADES ``SmallCNN`` (= closer_look ``CNN002``): 4 conv + 3 FC, zero-initialised last layer."""

    def __init__(self, num_classes: int = 10, drop: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Linear(1024, 200), nn.ReLU(), nn.Dropout(drop), nn.Linear(200, 200), nn.ReLU(),
            nn.Linear(200, num_classes))
        for m in self.features:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self.classifier[-1].weight)
        nn.init.zeros_(self.classifier[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class Net(nn.Module):
    """TRADES ``Net`` (MNIST 2 conv + 2 FC); ``num_classes=1`` gives ``Net_binary`` (a scalar score)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 10, 5), nn.Conv2d(10, 20, 5)
        self.drop2d, self.drop = nn.Dropout2d(0.5), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(320, 50), nn.Linear(50, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.drop2d(self.conv2(x)), 2)).flatten(1)
        out = self.fc2(self.drop(F.relu(self.fc1(x))))
        return out.squeeze(1) if out.shape[1] == 1 else out


class ScoreLogits(nn.Module):
    """A scalar-score classifier (``Net_binary``: sign f(x) is the class) as two logits ``[0, f(x)]``, so that
    multi-class tools (PGD's cross-entropy, AutoAttack, accuracy by argmax) apply to it: class 1 is f > 0.
    Cross-entropy on these logits is log(1 + exp(−y f(x))) with y = ±1 for classes 1 / 0, the binary logistic
    loss. A score of exactly 0 is class 0 here (a measure-zero tie)."""

    def __init__(self, score: nn.Module):
        super().__init__()
        self.score = score

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.score(x).reshape(len(x), 1)
        return torch.cat([torch.zeros_like(s), s], dim=1)


class StdCNN(nn.Module):
    """spatial Table 1 MNIST StdCNN: conv(10, 10) pool conv(20, 20) pool FC(50) dropout FC(10), on inputs normalised
    as the authors' code does (MNIST mean 0.1307, sd 0.3081), inside the model (ε stays in pixel units)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            Normalize(), nn.Conv2d(1, 10, 3), nn.ReLU(), nn.Conv2d(10, 10, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(10, 20, 3), nn.ReLU(), nn.Conv2d(20, 20, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(320, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class MadryLeNet(nn.Module):
    """Madry et al.'s MNIST model (spatial Fig. 7 a–d): conv 5×5 32 SAME, pool, conv 5×5 64 SAME, pool, FC 1024, FC 10;
    3,274,634 parameters, initialised as their code (truncated normal σ = 0.1, biases 0.1)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(3136, 1024), nn.ReLU(), nn.Linear(1024, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.1, a=-0.2, b=0.2)
                nn.init.constant_(m.bias, 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class MLP(nn.Module):
    """Small fully connected net for 2-D toy problems (closer_look Fig 4 comparison)."""

    def __init__(self, in_features: int = 2, num_classes: int = 2, width: int = 64, depth: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(in_features if i == 0 else width, width), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Linear(width, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))


class _BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet18(nn.Module):
    """CIFAR ResNet-18 of the TRADES repository (``paper`` profile only)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        blocks, cin = [], 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks += [_BasicBlock(cin, cout, stride), _BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.fc(F.avg_pool2d(self.layers(self.stem(x)), 4).flatten(1))


class _WideBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, drop: float):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(cin), nn.BatchNorm2d(cout)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.drop = nn.Dropout(drop)
        self.shortcut = None if cin == cout else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        out = self.conv2(self.drop(F.relu(self.bn2(self.conv1(a)))))
        return out + (x if self.shortcut is None else self.shortcut(a))


class WideResNet(nn.Module):
    """Pre-activation WideResNet (TRADES WRN-34-10; closer_look WRN-40-10 with in-block dropout)."""

    def __init__(self, depth: int = 34, widen: int = 10, num_classes: int = 10, drop: float = 0.0):
        super().__init__()
        n = (depth - 4) // 6
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        blocks = []
        for g, stride in zip(range(3), (1, 2, 2)):
            for i in range(n):
                blocks.append(_WideBlock(widths[g] if i == 0 else widths[g + 1], widths[g + 1],
                                         stride if i == 0 else 1, drop))
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(widths[3])
        self.fc = nn.Linear(widths[3], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, (2.0 / (m.kernel_size[0] * m.kernel_size[1] * m.out_channels)) ** 0.5)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x):
        out = F.relu(self.bn(self.blocks(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


MODELS: dict[str, Callable[..., nn.Module]] = {
    "CNN1": CNN1,
    "CNN1_BN1": lambda **kw: CNN1(bn=1, **kw),
    "CNN1_BN2": lambda **kw: CNN1(bn=2, **kw),
    "CNN2": SmallCNN,
    "SmallCNN": SmallCNN,
    "CNN2-nodropout": lambda **kw: SmallCNN(drop=0.0, **kw),  # closer_look Table 4 protocol, without dropout
    "Net": Net,
    "Net_binary": lambda **kw: Net(num_classes=1, **kw),
    "StdCNN": StdCNN,
    "GCNN": lambda **kw: GCNN(pre=Normalize(), **kw),  # spatial Table 1's p4 twin of StdCNN (reprolib.gcnn)
    "MadryLeNet": MadryLeNet,
    "MLP": MLP,
    "ResNet18": ResNet18,
    "WRN-34-10": lambda **kw: WideResNet(34, 10, **kw),
    "WRN-40-10": lambda **kw: WideResNet(40, 10, **kw),
    "WRN-40-10-drop50": lambda **kw: WideResNet(40, 10, drop=0.5, **kw),
}


def check_name(name: str) -> None:
    if name not in MODELS:
        raise ConfigError(f"unknown model '{name}'; known: {', '.join(MODELS)}")


def build(name: str, **kwargs) -> nn.Module:
    """An architecture by name; unknown names raise a ConfigError listing the known ones."""
    check_name(name)
    return MODELS[name](**kwargs)


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def to_channels_last(model: nn.Module) -> bool:
    """Put ``model``'s 4-D parameters in NHWC layout, in place (values unchanged; convolutions and pooling run
    faster on the CPU, see ``benchmarks/training.py``); False, and nothing changed, for a model with 5-D
    parameters (the p4 GCNN's filters), which this layout does not cover."""
    if any(p.dim() == 5 for p in model.parameters()):
        return False
    model.to(memory_format=torch.channels_last)
    return True
