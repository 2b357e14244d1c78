"""Attacks: one projected-ascent core, threat models as step classes (Madry et al. 2018 style).

* :func:`maximize` is the only iterative loop: start, then repeat {objective, gradient w.r.t. the
  input, step, project}. It optionally keeps each example's best iterate.
* A threat model is a step class with ``random_start``, ``step`` and ``project``:
  ``LinfStep`` (S = {x : ||x - x0||_inf <= eps, 0 <= x <= 1}) and ``L2Step`` (same with ||.||_2).
* :func:`pgd` (Madry; closer_look's evaluation; TRADES' "FGSM^k"; with ``norm="linf-momentum"`` MI-FGSM and with
  ``objective=cw_objective`` the C&W margin attack), :func:`fgsm` (one full step),
  :func:`trades_attack` (KL objective, TRADES Algorithm 1) and :func:`deepfool` (L2, Moosavi-Dezfooli
  et al., used by spatial Fig 14) are thin wrappers. The Lipschitz estimator in ``metrics`` reuses
  :func:`maximize` with its own objective.

Attacks run the model in eval mode and restore its mode; inputs are never modified; outputs are
detached; gradients never reach the model's parameters (``torch.autograd.grad`` w.r.t. the input).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import parallel
from .errors import ConfigError

Objective = Callable[[torch.Tensor, Any, torch.Tensor], torch.Tensor]


def check_threat(eps: float, steps: int | None = None, step_size: float | None = None) -> None:
    """Reject impossible attack settings with an error naming the parameter."""
    if not eps >= 0:
        raise ConfigError(f"eps={eps!r} must be >= 0")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise ConfigError(f"steps={steps!r} must be an integer >= 1")
    if step_size is not None and not step_size > 0:
        raise ConfigError(f"step_size={step_size!r} must be > 0")


@contextmanager
def eval_mode(model: nn.Module):
    """Put ``model`` in eval mode for the block and restore its previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


class LinfStep:
    """S = {x : ||x - x0||_inf <= eps, 0 <= x <= 1}; ascent by signed gradient steps."""

    def __init__(self, x0: torch.Tensor, eps: float, step_size: float):
        self.x0, self.eps, self.step_size = x0, eps, step_size

    def project(self, x: torch.Tensor) -> torch.Tensor:
        return torch.minimum(torch.maximum(x, self.x0 - self.eps), self.x0 + self.eps).clamp_(0, 1)

    def step(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return x + self.step_size * g.sign()

    def random_start(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.empty_like(x).uniform_(-self.eps, self.eps)


def _norms(v: torch.Tensor) -> torch.Tensor:
    return v.flatten(1).norm(dim=1).view(-1, *([1] * (v.dim() - 1)))


class L2Step:
    """S = {x : ||x - x0||_2 <= eps, 0 <= x <= 1}; ascent along the per-example normalised gradient."""

    def __init__(self, x0: torch.Tensor, eps: float, step_size: float):
        self.x0, self.eps, self.step_size = x0, eps, step_size

    def project(self, x: torch.Tensor) -> torch.Tensor:
        delta = x - self.x0
        scale = (self.eps / _norms(delta).clamp_min(1e-12)).clamp(max=1.0)
        return (self.x0 + delta * scale).clamp_(0, 1)

    def step(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return x + self.step_size * g / _norms(g).clamp_min(1e-12)

    def random_start(self, x: torch.Tensor) -> torch.Tensor:
        d = torch.randn_like(x)
        r = torch.rand(len(x), *([1] * (x.dim() - 1)), device=x.device) * self.eps
        return x + d / _norms(d).clamp_min(1e-12) * r


class LinfMomentumStep(LinfStep):
    """MI-FGSM's rule (Dong et al. 2018) in the L-inf ball: a velocity v ← μ·v + g/‖g‖₁ accumulated over the
    steps of one attack (one rule per chunk of examples), the step along sign(v); μ = 1 as in the paper."""

    mu = 1.0

    def __init__(self, x0: torch.Tensor, eps: float, step_size: float):
        super().__init__(x0, eps, step_size)
        self.v = torch.zeros_like(x0)

    def step(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        l1 = g.flatten(1).abs().sum(1).clamp_min(1e-12).view(-1, *([1] * (g.dim() - 1)))
        self.v = self.mu * self.v + g / l1
        return x + self.step_size * self.v.sign()


STEPS = {"linf": LinfStep, "l2": L2Step, "linf-momentum": LinfMomentumStep}


def ce_objective(logits: torch.Tensor, y: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Per-example cross-entropy w.r.t. labels ``y`` (untargeted PGD)."""
    return F.cross_entropy(logits, y, reduction="none")


def kl_objective(logits: torch.Tensor, p_clean: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Per-example KL(p_clean || softmax(logits)) (TRADES' inner maximisation)."""
    return F.kl_div(F.log_softmax(logits, 1), p_clean, reduction="none").sum(1)


def cw_objective(logits: torch.Tensor, y: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Per-example Carlini & Wagner margin, max_{j≠y} z_j − z_y (positive once misclassified)."""
    z_y = logits.gather(1, y.view(-1, 1)).squeeze(1)
    other = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), -float("inf")).amax(1)
    return other - z_y


def hinge_agreement_objective(scores: torch.Tensor, t: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Per-example hinge(f(x')·t), t = f(x)/λ, for a scalar-score model (TRADES' binary inner maximisation,
    Eq. 3 with the hinge surrogate)."""
    return F.relu(1 - scores.view(-1) * t)


def logistic_objective(scores: torch.Tensor, y: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Per-example 1 + exp(−y·f(x')), labels ±1, for a scalar-score model (the attack of TRADES' binary
    evaluation script)."""
    return 1 + torch.exp(-y * scores.view(-1))


def maximize(model: nn.Module, x: torch.Tensor, target: Any, *, objective: Objective, eps: float,
             steps: int, step_size: float, norm: str = "linf", start: str | None = "uniform",
             init_std: float = 0.001, keep_best: bool = False, descend: bool = False,
             final_value: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Projected (sign) gradient ascent of ``objective`` over the eps-ball around ``x``.

    ``objective(logits, target, delta)`` returns one value per example; ``target`` is a tensor or a tuple of
    tensors with one row per example (labels, clean probabilities, ...), sliced along with ``x``.
    ``start``: ``"uniform"`` (in the ball), ``"normal"`` (x + init_std * N(0, I), TRADES) or ``None``.
    Returns ``(x_adv, value)``: the final iterate (or each example's best with ``keep_best``) and its
    objective value (``None`` unless ``keep_best`` or ``final_value``). ``descend`` flips the direction
    (closer_look's released Lipschitz code descends; kept for its compatibility mode). The iterate is
    projected onto the ball and [0, 1] after the start and every step. The start is drawn here, in the
    calling thread; the iterations run in per-core chunks (:mod:`reprolib.parallel`).
    """
    check_threat(eps, steps, step_size)
    if norm not in STEPS:
        raise ConfigError(f"norm={norm!r} unknown; known: {', '.join(STEPS)}")
    if start not in ("uniform", "normal", None):
        raise ConfigError(f"start={start!r} unknown; known: uniform, normal, None")
    if isinstance(model, nn.parallel.DistributedDataParallel):
        model = model.module  # the attack needs no gradient synchronisation
    x0 = x.detach()
    rule = STEPS[norm](x0, eps, step_size)
    if start == "uniform":
        x_adv = rule.random_start(x0)
    elif start == "normal":
        x_adv = x0 + init_std * torch.randn_like(x0)
    else:
        x_adv = x0.clone()
    x_adv = rule.project(x_adv)

    def ascend(x_adv, x0, target):
        rule = STEPS[norm](x0, eps, step_size)
        sign = -1.0 if descend else 1.0
        best_x, best_v = x_adv.clone(), torch.full((len(x0),), -float("inf"), device=x0.device)
        value = None
        with torch.enable_grad():
            for it in range(steps + 1):
                if it == steps and not (keep_best or final_value):
                    break  # the last evaluation only serves the returned value
                x_adv.requires_grad_(it < steps)
                value = objective(model(x_adv), target, x_adv - x0)
                if keep_best:
                    better = value.detach() > best_v
                    best_v = torch.where(better, value.detach(), best_v)
                    best_x[better] = x_adv.detach()[better]
                if it == steps:
                    break
                (g,) = torch.autograd.grad(value.sum(), x_adv)
                x_adv = rule.project(rule.step(x_adv.detach(), sign * g))
        if keep_best:
            return best_x, best_v
        return x_adv.detach(), None if value is None or not final_value else value.detach()

    with eval_mode(model):
        return parallel.map_chunks(ascend, x_adv, x0, target)


def pgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, steps: int, step_size: float,
        norm: str = "linf", random_start: bool = True, objective: Objective = ce_objective) -> torch.Tensor:
    """Untargeted PGD on the cross-entropy, or another per-example ``objective`` of the labels (final iterate,
    as in the TRADES and closer_look code)."""
    x_adv, _ = maximize(model, x, y, objective=objective, eps=eps, steps=steps, step_size=step_size,
                        norm=norm, start="uniform" if random_start else None)
    return x_adv


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, norm: str = "linf") -> torch.Tensor:
    """Fast gradient (sign) method: one step of size eps from x (Goodfellow et al. 2015)."""
    if eps == 0:
        return x.detach().clone()
    return pgd(model, x, y, eps=eps, steps=1, step_size=eps, norm=norm, random_start=False)


def trades_attack(model: nn.Module, x: torch.Tensor, p_clean: torch.Tensor, *, eps: float, steps: int,
                  step_size: float, norm: str = "linf") -> torch.Tensor:
    """TRADES' inner maximisation: start x + 0.001 N(0, I), ascend KL(p_clean || p(x'))."""
    x_adv, _ = maximize(model, x, p_clean, objective=kl_objective, eps=eps, steps=steps, step_size=step_size,
                        norm=norm, start="normal")
    return x_adv


def deepfool(model: nn.Module, x: torch.Tensor, *, overshoot: float = 0.02, max_iter: int = 50,
             num_classes: int = 10, norm: str = "l2", clip: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched DeepFool. Returns ``(x_adv, r_norm)``: perturbed inputs and ||r|| per example.

    ``norm="l2"`` is Moosavi-Dezfooli et al.'s attack; ``norm="linf"`` its L-inf form (the step to the
    linearised boundary is |f_k| / ||w_k||_1 · sign(w_k), and ``r_norm`` is ||r||_inf).
    Examples that are not fooled within ``max_iter`` keep their last perturbation (reported as is).
    Images are not clamped to [0, 1], as in the original algorithm, unless ``clip`` (every iterate clamped to
    the image range, as Foolbox does; an L-inf step would otherwise waste itself on saturated pixels).
    """
    if max_iter < 1:
        raise ConfigError(f"max_iter={max_iter!r} must be >= 1")
    if norm not in ("l2", "linf"):
        raise ConfigError(f"norm={norm!r} unknown; known: l2, linf")
    x0 = x.detach()
    r_tot = torch.zeros_like(x0)
    with eval_mode(model), torch.enable_grad():
        label = model(x0).argmax(1)
        active = torch.ones(len(x0), dtype=torch.bool, device=x0.device)
        for _ in range(max_iter):
            xa = x0 + (1 + overshoot) * r_tot
            xa = (xa.clamp(0, 1) if clip else xa).requires_grad_(True)
            logits = model(xa)
            active = active & (logits.argmax(1) == label)
            if not active.any():
                break
            grads = torch.stack([torch.autograd.grad(logits[:, k].sum(), xa, retain_graph=k < num_classes - 1)[0]
                                 for k in range(num_classes)], 1)           # (N, K, ...)
            idx = torch.arange(len(x0), device=x0.device)
            w = grads - grads[idx, label].unsqueeze(1)
            f = (logits - logits[idx, label].unsqueeze(1)).detach()
            wn = w.flatten(2).norm(p=1 if norm == "linf" else 2, dim=2)  # the dual norm
            ratio = f.abs() / wn.clamp_min(1e-12)
            ratio[idx, label] = float("inf")
            k = ratio.argmin(1)
            wk, rk = w[idx, k], ratio[idx, k]
            direction = wk.sign() if norm == "linf" else wk / _norms(wk).clamp_min(1e-12)
            r_i = (rk + 1e-4).view(-1, *([1] * (x0.dim() - 1))) * direction
            r_tot = r_tot + r_i.detach() * active.view(-1, *([1] * (x0.dim() - 1)))
    r = (1 + overshoot) * r_tot
    if clip:
        r = (x0 + r).clamp(0, 1) - x0
    return (x0 + r).detach(), r.flatten(1).norm(p=float("inf") if norm == "linf" else 2, dim=1)
