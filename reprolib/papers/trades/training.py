"""The small trainings of the light TRADES sections, all through the one loop (:func:`reprolib.train.fit`) with the
shared losses (``losses.build("natural")`` / ``losses.build("trades", ...)``). They take seconds, so they run on
the CPU and keep no checkpoint; a fixed seed makes them repeatable."""
from __future__ import annotations


import numpy as np
import torch
import torch.nn as nn

from ... import data, losses, models
from ...parallel import limited_threads
from ...train import TrainConfig, fit


def one_thread():
    """Run the block on one intra-op thread (restored afterwards). The 1-D and 2-D toy MLPs gain nothing from
    more: their attacks' per-core chunking (``reprolib.parallel``) only adds thread overhead at this size."""
    return limited_threads(1)


def trades_or_natural(beta: float, *, eps: float, steps: int, step_size: float):
    """β = 0 is natural training (the TRADES term vanishes; no attack is run); otherwise the TRADES loss."""
    if beta == 0:
        return losses.build("natural")
    return losses.build("trades", eps=eps, steps=steps, step_size=step_size, beta=float(beta))


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, *, epochs: int, batch_size: int, lr: float,
          optimizer: str = "adam", seed: int = 0) -> tuple[nn.Module, list[dict]]:
    """``model`` trained by ``fit`` (seeded), returned in eval mode, with the per-epoch loss statistics."""
    torch.manual_seed(seed)
    hist = fit(model, x, y, loss_fn=loss_fn, cfg=TrainConfig(epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                                                             lr=lr, seed=seed, channels_last=x.dim() == 4),
               progress=False)
    return model.eval(), hist.epochs


def mnist_subsets(n_train: int, n_eval: int, seed: int):
    """A stratified MNIST training subset and the first ``n_eval`` of a stratified test subset, as floats in [0, 1]."""
    tr = data.load("mnist", "train").subset(n_train, seed=seed)
    te = data.load("mnist", "test").subset(n_eval, seed=seed)
    return (tr.float(), tr.y), (te.float(), te.y)


def mnist_model(arch: str, method: str, cfg: dict, seed: int) -> tuple[nn.Module, list[dict]]:
    """``arch`` trained on the section's MNIST subset, naturally (``method="natural"``) or with TRADES (β = cfg's
    ``beta``, ε = ``eps``, ``attack_steps`` of ``attack_step_size``)."""
    (x, y), _ = mnist_subsets(cfg["n_train"], cfg["n_eval"], seed)
    torch.manual_seed(seed)
    model = models.build(arch)
    beta = 0.0 if method == "natural" else cfg["beta"]
    loss = trades_or_natural(beta, eps=cfg["eps"], steps=cfg["attack_steps"], step_size=cfg["attack_step_size"])
    return train(model, x, y, loss, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                 optimizer=cfg["optimizer"], seed=seed)


def state_as_lists(model: nn.Module) -> dict:
    """A small model's float32 weights as JSON-ready nested lists, each number written with the fewest digits that
    give back the same float32 (the figures rebuild the exact model from the record)."""
    short = np.vectorize(lambda v: float(np.format_float_scientific(np.float32(v), unique=True)), otypes=[float])
    return {k: short(v.detach().cpu().numpy()).tolist() for k, v in model.state_dict().items()}


def model_from_lists(model: nn.Module, state: dict) -> nn.Module:
    model.load_state_dict({k: torch.tensor(np.asarray(v, dtype=np.float32)) for k, v in state.items()})
    return model.eval()
