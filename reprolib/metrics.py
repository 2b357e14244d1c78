"""Measurements: clean and robust accuracy, generalisation gaps, empirical local Lipschitz constant.

The Lipschitz estimate is closer_look's Eq. (3): the mean over points of the largest ratio
||f(x) - f(x')||_1 / ||x - x'||_inf over x' in the eps-ball, f = logits, found by signed-gradient
ascent (paper: 10 steps of eps/5). ``c1_compat=True`` mimics the authors' released code instead
(step 0.003, descent, final iterate; REPRO_SPEC Part II §2.6).
All accuracies are fractions in [0, 1].
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn
from tqdm import tqdm

from . import attacks


def _batches(n: int, batch_size: int, progress: bool, desc: str):
    return tqdm(range(0, n, batch_size), desc=desc, disable=not progress, leave=False, mininterval=5)


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    with attacks.eval_mode(model):
        return torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    return int((predict(model, x, batch_size) == y).sum()) / len(y)


def robust_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, attack: Callable = attacks.pgd,
                    batch_size: int = 200, progress: bool = False, **attack_kwargs) -> float:
    """Accuracy on ``attack(model, x, y, **attack_kwargs)`` (final iterate, as the papers' code counts it)."""
    correct = 0
    for i in _batches(len(x), batch_size, progress, "attack"):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        x_adv = attack(model, xb, yb, **attack_kwargs)
        correct += (predict(model, x_adv) == yb).sum().item()
    return correct / len(x)


def lipschitz(model: nn.Module, x: torch.Tensor, *, eps: float, steps: int = 10, step_size: float | None = None,
              c1_compat: bool = False, batch_size: int = 200, progress: bool = False) -> float:
    """Empirical local Lipschitz constant (closer_look Eq. 3), averaged over ``x``."""
    if c1_compat:
        step_size, descend, keep_best = 0.003, True, False
    else:
        step_size, descend, keep_best = (step_size or eps / 5), False, True
    total = 0.0
    for i in _batches(len(x), batch_size, progress, "lipschitz"):
        xb = x[i:i + batch_size]
        with torch.no_grad(), attacks.eval_mode(model):
            f0 = model(xb)

        def ratio(logits, f0, delta):
            den = (delta + 1e-6).flatten(1).abs().amax(1) if c1_compat else delta.flatten(1).abs().amax(1)
            return (logits - f0).flatten(1).abs().sum(1) / den.clamp_min(1e-12)

        _, value = attacks.maximize(model, xb, f0, objective=ratio, eps=eps, steps=steps, step_size=step_size,
                                    start="normal", keep_best=keep_best, descend=descend, final_value=True)
        total += value.sum().item()
    return total / len(x)


def evaluate(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor] | None,
             test: tuple[torch.Tensor, torch.Tensor], *, eps: float, steps: int, step_size: float, lip_steps: int,
             lip_step_size: float, progress: bool = False) -> dict[str, float | None]:
    """closer_look's row: train/test accuracy, PGD accuracy on both, Lipschitz on test, and the gaps.
    ``train=None`` leaves out the training-set columns and ``lip_steps=0`` the Lipschitz ones (``None``)."""
    atk = {"eps": eps, "steps": steps, "step_size": step_size}
    out = dict.fromkeys(("train_acc", "test_acc", "adv_train_acc", "adv_test_acc", "lipschitz", "lipschitz_c1",
                         "gap", "adv_gap"))
    # the order of the attacks is that of the stored records (each draws its random start from the global RNG)
    if train is not None:
        out["train_acc"] = accuracy(model, *train)
    out["test_acc"] = accuracy(model, *test)
    if train is not None:
        out["adv_train_acc"] = robust_accuracy(model, *train, progress=progress, **atk)
    out["adv_test_acc"] = robust_accuracy(model, *test, progress=progress, **atk)
    if lip_steps:
        out["lipschitz"] = lipschitz(model, test[0], eps=eps, steps=lip_steps, step_size=lip_step_size,
                                     progress=progress)
        out["lipschitz_c1"] = lipschitz(model, test[0], eps=eps, steps=lip_steps, c1_compat=True,
                                        progress=progress)
    if train is not None:
        out["gap"] = out["train_acc"] - out["test_acc"]
        out["adv_gap"] = out["adv_train_acc"] - out["adv_test_acc"]
    return out
