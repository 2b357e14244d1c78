"""Training methods as loss objects plugged into the one training loop (closer_look §5, TRADES §4).

Each method is a small class: ``loss(model, x, y) -> (scalar loss, stats)``; it never touches the
optimizer and leaves the model in the mode it found it (attacks switch to eval and back). Losses
are batch means; the loop multiplies by the batch size for the closer_look code's sum reduction.

* ``Natural``: cross-entropy.
* ``AT`` (Madry et al.): CE on PGD examples (uniform start, closer_look: 10 steps of eps/5).
* ``RST`` (Raghunathan et al., labelled part): CE(x) + rst_lambda * CE(x_adv).
* ``TRADES`` (Zhang et al.): CE(f(x), y) + beta * KL(p(x) || p(x')), x' from the KL attack.
* ``Hinge`` and ``HingeTRADES``: the binary forms of TRADES §5.1 for a scalar score f(x) and labels ±1:
  hinge(y f(x)), plus hinge(f(x') f(x) / lam) with x' maximising that term (Eq. 3 with φ = hinge).
* ``GR`` (gradient regularisation, Finlay & Oberman's finite-difference form).
* ``LLR`` (local linearity regularisation, Qin et al., as in their paper; see the book for how the
  closer_look code differs).
Adding a method is adding one class here (or anywhere: a subclass of :class:`Loss` with a ``name`` registers
itself in :data:`METHODS`); what it needs of a section's threat model it declares in :meth:`Loss.for_section`,
so a grid of trainings (``reprolib.grid``) runs it with nothing else to change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import attacks
from .errors import ConfigError


def _has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def joint_forward(model: nn.Module, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``model(a), model(b)`` as one batched pass when that is the same computation (no BatchNorm, whose
    batch statistics would mix the two), else as two passes."""
    if _has_batchnorm(model):
        return model(a), model(b)
    out = model(torch.cat([a, b]))
    return out[:len(a)], out[len(a):]


METHODS: dict[str, type["Loss"]] = {}


class Loss:
    """A training method: ``loss(model, x, y) -> (scalar loss, stats)``. A subclass with a ``name`` is registered
    under it in :data:`METHODS`."""

    name: ClassVar[str | None] = None
    natural: ClassVar[bool] = False  # training without an adversary or a robustness term (the audit skips it)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            if cls.name in METHODS:
                raise ConfigError(f"method '{cls.name}' is declared twice ({METHODS[cls.name].__qualname__}, "
                                  f"{cls.__qualname__})")
            METHODS[cls.name] = cls

    @classmethod
    def for_section(cls, threat: dict[str, Any], **preset: Any) -> "Loss":
        """This method as a section trains it: ``preset`` (a grid row's settings, which win) and whatever of the
        section's ``threat`` model (``eps``, ``attack_steps``, ``attack_step_size``) the method uses. Methods
        without an attack ignore it."""
        return cls(**preset)


@dataclass
class Natural(Loss):
    name = "natural"
    natural = True

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor):
        loss = F.cross_entropy(model(x), y)
        return loss, {"ce": loss.detach()}


@dataclass
class _Attacked(Loss):
    """Shared attack settings of the adversarial methods (L-inf, in pixel units)."""

    eps: float
    steps: int = 10
    step_size: float = 0.02

    def __post_init__(self):
        attacks.check_threat(self.eps, self.steps, self.step_size)

    @classmethod
    def for_section(cls, threat: dict[str, Any], **preset: Any) -> "Loss":
        """The section's threat model and training attack, unless the preset names its own."""
        return cls(**{"eps": threat["eps"], "steps": threat["attack_steps"], "step_size": threat["attack_step_size"],
                      **preset})

    def adversarial(self, model, x, y):
        return attacks.pgd(model, x, y, eps=self.eps, steps=self.steps, step_size=self.step_size)


@dataclass
class AT(_Attacked):
    name = "at"

    def __call__(self, model, x, y):
        loss = F.cross_entropy(model(self.adversarial(model, x, y)), y)
        return loss, {"adv_ce": loss.detach()}


@dataclass
class RST(_Attacked):
    name = "rst"

    rst_lambda: float = 1.0

    def __call__(self, model, x, y):
        x_adv = self.adversarial(model, x, y)
        logits, logits_adv = joint_forward(model, x, x_adv)
        ce, adv_ce = F.cross_entropy(logits, y), F.cross_entropy(logits_adv, y)
        return ce + self.rst_lambda * adv_ce, {"ce": ce.detach(), "adv_ce": adv_ce.detach()}


@dataclass
class TRADES(_Attacked):
    name = "trades"

    beta: float = 6.0

    def __call__(self, model, x, y):
        with torch.no_grad(), attacks.eval_mode(model):
            p_clean = F.softmax(model(x), 1)
        x_adv = attacks.trades_attack(model, x, p_clean, eps=self.eps, steps=self.steps, step_size=self.step_size)
        logits_nat, logits_adv = joint_forward(model, x, x_adv)
        ce = F.cross_entropy(logits_nat, y)
        # KL(p(x) || p(x')) with gradient through both arguments, batch mean (TRADES code). The target in log space:
        # with softmax(logits_nat) as the target, a clean logit margin above ~104 makes a probability exactly 0 in
        # float32 and its gradient log 0 · 0 = NaN (Table 4's full run, 1/λ = 2, diverged so at epoch 8)
        kl = F.kl_div(F.log_softmax(logits_adv, 1), F.log_softmax(logits_nat, 1), reduction="batchmean",
                      log_target=True)
        return ce + self.beta * kl, {"ce": ce.detach(), "kl": kl.detach()}


@dataclass
class Hinge(Loss):
    """Binary hinge loss, mean max(0, 1 − y f(x)), for a scalar-score model and labels ±1."""

    name = "hinge"
    natural = True

    def __call__(self, model, x, y):
        loss = F.relu(1 - y * model(x).view(-1)).mean()
        return loss, {"hinge": loss.detach()}


@dataclass
class HingeTRADES(_Attacked):
    """TRADES Eq. (3) with the hinge surrogate: hinge(y f(x)) + hinge(f(x') f(x) / lam), x' from ``steps``
    sign steps ascending the second term from x + 0.001 N(0, I) (TRADES' binary script). The gradient flows
    through both f(x') and f(x), as in the multi-class loss."""

    name = "hinge_trades"

    lam: float = 2.0

    def __post_init__(self):
        super().__post_init__()
        if not self.lam > 0:
            raise ConfigError(f"lam={self.lam!r} must be > 0")

    def __call__(self, model, x, y):
        with torch.no_grad(), attacks.eval_mode(model):
            t = model(x).view(-1) / self.lam
        x_adv, _ = attacks.maximize(model, x, t, objective=attacks.hinge_agreement_objective, eps=self.eps,
                                    steps=self.steps, step_size=self.step_size, start="normal")
        s_nat, s_adv = joint_forward(model, x, x_adv)
        s_nat, s_adv = s_nat.view(-1), s_adv.view(-1)
        nat = F.relu(1 - y * s_nat).mean()
        rob = F.relu(1 - s_adv * s_nat / self.lam).mean()
        return nat + rob, {"hinge": nat.detach(), "boundary": rob.detach()}


@dataclass
class GR(Loss):
    """CE(x) + gr_lambda/2 * mean_i [(CE_i(x + h v_i) - CE_i(x)) / h]^2, v_i = grad_x CE_i / ||.||_2 (detached)."""

    name = "gr"

    gr_lambda: float = 1.0
    gr_h: float = 1.0

    def __call__(self, model, x, y):
        x = x.detach().requires_grad_(True)
        ce_i = F.cross_entropy(model(x), y, reduction="none")
        (g,) = torch.autograd.grad(ce_i.sum(), x, retain_graph=True)
        v = (g / g.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)).detach()
        ce_h = F.cross_entropy(model(x.detach() + self.gr_h * v), y, reduction="none")
        penalty = 0.5 * (((ce_h - ce_i) / self.gr_h) ** 2).mean()
        ce = ce_i.mean()
        return ce + self.gr_lambda * penalty, {"ce": ce.detach(), "gr": penalty.detach()}


@dataclass
class LLR(_Attacked):
    """Local linearity regularisation, in one of two forms.

    ``form="qin"`` (Qin et al. 2019): CE(x) + llr_lambda * gamma + llr_mu * |delta . grad CE(x)|, with
    gamma = |CE(x+delta) - CE(x) - delta . grad CE(x)| and delta maximising gamma over the eps-ball.
    ``form="c1"``: what closer_look's released code computes (its gradient term is zeroed by an aliasing bug):
    CE(x) + llr_lambda * CE(x+delta), delta from a short attack on CE(x+delta). This produced their Table 2.
    Both use 2 steps of eps/2 from x + 0.001 N(0, I).
    """

    name = "llr"

    steps: int = 2
    step_size: float = 0.05
    llr_lambda: float = 4.0
    llr_mu: float = 3.0
    form: str = "qin"

    def __post_init__(self):
        super().__post_init__()
        if self.form not in ("qin", "c1"):
            raise ConfigError(f"form={self.form!r} unknown; known: qin, c1")

    @classmethod
    def for_section(cls, threat: dict[str, Any], **preset: Any) -> "Loss":
        """The section's ε (unless the preset names its own) with LLR's own attack: steps of ε/2 (the closer_look
        code's 2 steps)."""
        eps = preset.pop("eps", threat["eps"])
        return cls(**{"eps": eps, "step_size": eps / 2, **preset})

    def _delta(self, model, x, y):
        if self.form == "c1":
            objective, target = attacks.ce_objective, y
        else:
            with attacks.eval_mode(model):
                xi = x.detach().requires_grad_(True)
                (g0,) = torch.autograd.grad(F.cross_entropy(model(xi), y, reduction="sum"), xi)
                ce0 = F.cross_entropy(model(x), y, reduction="none").detach()
            target = (y, ce0, g0)

            def objective(logits, target, delta):  # per-example local non-linearity, g0 and ce0 fixed
                y, ce0, g0 = target
                return (F.cross_entropy(logits, y, reduction="none") - ce0 - (delta * g0).flatten(1).sum(1)).abs()

        x_adv, _ = attacks.maximize(model, x, target, objective=objective, eps=self.eps, steps=self.steps,
                                    step_size=self.step_size, start="normal")
        return (x_adv - x).detach()

    def __call__(self, model, x, y):
        delta = self._delta(model, x, y)
        if self.form == "c1":
            logits, logits_d = joint_forward(model, x, x + delta)
            ce, ce_d = F.cross_entropy(logits, y), F.cross_entropy(logits_d, y)
            return ce + self.llr_lambda * ce_d, {"ce": ce.detach(), "ce_delta": ce_d.detach()}
        xg = x.detach().requires_grad_(True)
        ce_i = F.cross_entropy(model(xg), y, reduction="none")
        (g,) = torch.autograd.grad(ce_i.sum(), xg, create_graph=True)
        lin = (delta * g).flatten(1).sum(1)
        gam = (F.cross_entropy(model(x + delta), y, reduction="none") - ce_i - lin).abs()
        ce, gam, lin = ce_i.mean(), gam.mean(), lin.abs().mean()
        return ce + self.llr_lambda * gam + self.llr_mu * lin, {"ce": ce.detach(), "gamma": gam.detach(),
                                                               "lin": lin.detach()}


def _method(method: str, kwargs: dict[str, Any]) -> type[Loss]:
    """The class of ``method``, after checking that it takes every name of ``kwargs``."""
    if method not in METHODS:
        raise ConfigError(f"unknown method '{method}'; known: {', '.join(METHODS)}")
    cls = METHODS[method]
    fields = set(getattr(cls, "__dataclass_fields__", {}))
    unknown = set(kwargs) - fields
    if unknown:
        raise ConfigError(f"method '{method}' has no parameter(s) {sorted(unknown)}; known: {sorted(fields)}")
    return cls


def build(method: str, **kwargs):
    """A loss object by name, e.g. ``build("trades", eps=0.1, beta=6.0)``."""
    return _method(method, kwargs)(**kwargs)


def for_section(method: str, cfg: dict[str, Any], **preset: Any) -> Loss:
    """The loss of ``method`` with a grid row's ``preset`` under a section's configuration ``cfg`` (its ``eps``,
    ``attack_steps``, ``attack_step_size``), as the method declares (:meth:`Loss.for_section`)."""
    threat = {k: cfg[k] for k in ("eps", "attack_steps", "attack_step_size")}
    return _method(method, preset).for_section(threat, **preset)
