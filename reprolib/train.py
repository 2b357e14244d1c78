"""The one training loop (every method of every chapter trains through :func:`fit`).

Epochs over in-memory tensors, SGD/Adam, multi-step learning-rate decay, optional bf16 autocast, an
optional augmentation of every batch (``augment(xb, generator)``, e.g. :class:`reprolib.invariance.Augmentation`;
its draws are a function of (seed, epoch) too), tqdm progress, and a checkpoint written atomically after every epoch. A run that finds its own
checkpoint (same configuration) resumes from it and ends with the same weights as an
uninterrupted run: the data order is a function of (seed, epoch) and the RNG state is saved. Nothing in an epoch
depends on the number of epochs (the decay is at fixed milestones), so a run of E epochs is a prefix of the same
run with more: a longer run continues a shorter one's checkpoint (``earlier``) and ends with the weights it would
have had from scratch.
Under ``torchrun`` (more than one process) the model is wrapped in DistributedDataParallel and
each process takes an equal share of every global batch.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch
import torch.nn as nn
from tqdm import tqdm

log = logging.getLogger(__name__)  # one line per epoch (a sweep's workers show it in their log)

from .errors import ConfigError, TrainingError
from .models import to_channels_last
from .results import atomic_write, config_hash
from .results import world as process_world


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "sgd"          # "sgd" | "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    milestones: tuple[int, ...] = ()  # epochs at which lr is multiplied by 0.1
    reduction: str = "mean"         # "sum" multiplies the mean loss by the batch size (closer_look code)
    precision: str = "fp32"         # "bf16": autocast on CPU/GPU
    channels_last: bool = True      # NHWC weights/activations (faster conv, pooling on CPU: benchmarks/training.py)
    seed: int = 0

    def __post_init__(self):
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise ConfigError(f"epochs={self.epochs!r} must be an integer >= 1")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(f"batch_size={self.batch_size!r} must be an integer >= 1")
        if self.optimizer not in ("sgd", "adam"):
            raise ConfigError(f"optimizer={self.optimizer!r} unknown; known: sgd, adam")
        if not self.lr > 0:
            raise ConfigError(f"lr={self.lr!r} must be > 0")
        if self.reduction not in ("mean", "sum"):
            raise ConfigError(f"reduction={self.reduction!r} unknown; known: mean, sum")
        if self.precision not in ("fp32", "bf16"):
            raise ConfigError(f"precision={self.precision!r} unknown; known: fp32, bf16")


@dataclass
class History:
    """A run's epochs (mean loss terms, lr, seconds, the ``on_epoch`` measurements), its ``seconds`` over every
    process that trained it (a resumed run adds the time its checkpoint had taken: the cost of the network, not of
    the last sitting) and the epoch it was ``resumed_from`` (0: trained from scratch in this process)."""
    epochs: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    resumed_from: int = 0


def _optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def default_device() -> torch.device:
    """``cuda:<LOCAL_RANK>`` when a GPU is present (one GPU per ``torchrun`` process), else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, loss_fn: Callable, cfg: TrainConfig,
        checkpoint: str | Path | None = None, progress: bool = True, desc: str = "train",
        stop_after_epoch: int | None = None, earlier: Sequence[str | Path] = (),
        on_epoch: Callable[[nn.Module, int], dict] | None = None,
        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None) -> History:
    """Train ``model`` on ``(x, y)`` with ``loss_fn(model, xb, yb) -> (loss, stats)``.

    ``augment``: applied to every batch before the loss (the data path, not a second loop); its repr is part of
    the checkpoint's configuration.

    ``on_epoch(model, epoch)``: measurements after each epoch (e.g. a curve of test accuracy), added to that
    epoch's history; it runs on a copy of the random state, so training's own random stream is the same with or
    without it.

    ``checkpoint``: file written after every epoch; if it exists and was written for the same
    configuration (``cfg`` and the loss's repr), training resumes from it. ``stop_after_epoch``
    simulates an interruption (tests).

    ``earlier``: checkpoints of the same run with fewer epochs (the caller vouches for the data; the configuration
    is checked: it must differ in ``epochs`` alone, and the checkpoint must not be past this run's last epoch).
    Without a checkpoint of its own the run continues the first that qualifies; its own checkpoint then takes over.
    """
    if len(x) != len(y) or len(x) == 0:
        raise ConfigError(f"x and y must be non-empty and of equal length (got {len(x)} and {len(y)})")
    rank, world = process_world()
    if cfg.batch_size % world:
        raise ConfigError(f"batch_size={cfg.batch_size} must be divisible by the number of processes ({world})")
    if cfg.channels_last:
        to_channels_last(model)
    net = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = _optimizer(cfg, model.parameters())
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(cfg.milestones), gamma=0.1)

    def tag_at(epochs: int) -> str:  # the configuration's hash, had it ``epochs`` epochs
        return config_hash({"train": {**asdict(cfg), "epochs": epochs}, "loss": repr(loss_fn), "n": len(x),
                            **({"augment": repr(augment)} if augment is not None else {})})

    tag = tag_at(cfg.epochs)
    history, start_epoch, before = History(), 0, 0.0
    torch.manual_seed(cfg.seed + rank)
    ckpt = Path(checkpoint) if checkpoint else None
    state, source = _resumable(ckpt, earlier, tag_at, cfg.epochs)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        if state.get("cuda_rng") is not None and torch.cuda.is_available():  # dropout, attack starts on GPU
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        history.epochs, start_epoch = state["history"], state["epoch"]
        history.resumed_from = start_epoch
        # checkpoints written before the field existed: their epochs' own seconds (the curves' not included)
        before = state.get("seconds", sum(e.get("seconds", 0.0) for e in history.epochs))
        if rank == 0:
            what = "its checkpoint" if source == ckpt else f"the {state['config']['epochs']}-epoch run's checkpoint"
            message = f"{desc}: resumed from {what} after epoch {start_epoch} of {cfg.epochs} ({source})"
            if progress:
                tqdm.write(message)
            else:
                log.info(message)
    autocast = (torch.autocast(device_type=x.device.type, dtype=torch.bfloat16) if cfg.precision == "bf16"
                else contextlib.nullcontext())
    local = cfg.batch_size // world
    t0 = time.perf_counter()
    for epoch in range(start_epoch, cfg.epochs):
        t_epoch = time.perf_counter()
        g = torch.Generator().manual_seed(cfg.seed * 100003 + epoch)
        perm = torch.randperm(len(x), generator=g)
        g_aug = torch.Generator().manual_seed(cfg.seed * 100003 + epoch + 50021)
        model.train()
        sums: dict[str, float] = {}
        n_batches = (len(x) + cfg.batch_size - 1) // cfg.batch_size
        bar = tqdm(range(n_batches), desc=f"{desc} epoch {epoch + 1}/{cfg.epochs}", leave=False,
                   disable=not progress or rank != 0, mininterval=5)
        for b in bar:
            idx = perm[b * cfg.batch_size:(b + 1) * cfg.batch_size][rank * local:(rank + 1) * local]
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb = augment(xb, g_aug)
            with autocast:
                loss, stats = loss_fn(net, xb, yb)
            stats = {"loss": loss.detach(), **stats}  # the objective (mean over the batch), then its terms
            if not math.isfinite(value := float(stats["loss"])):  # stop: every later step would train on NaN
                raise TrainingError(f"{desc}: the training loss is {value} at epoch {epoch + 1}, batch "
                                    f"{b + 1}; nothing of this epoch is stored (the checkpoint, if any, holds epoch "
                                    f"{epoch})")
            if cfg.reduction == "sum":
                loss = loss * len(xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            for k, v in stats.items():
                sums[k] = sums.get(k, 0.0) + float(v)
        sched.step()
        history.epochs.append({"epoch": epoch + 1, **{k: v / n_batches for k, v in sums.items()},
                               "lr": opt.param_groups[0]["lr"], "seconds": round(time.perf_counter() - t_epoch, 1)})
        if on_epoch is not None:
            with torch.random.fork_rng(devices=[] if x.device.type == "cpu" else None):
                history.epochs[-1].update(on_epoch(model, epoch + 1))
        if rank == 0:
            log.info("%s: epoch %d/%d, %s (%.0f s)", desc, epoch + 1, cfg.epochs,
                     ", ".join(f"{k} {v:.4g}" for k, v in history.epochs[-1].items() if k != "epoch"),
                     time.perf_counter() - t0)
        if ckpt and rank == 0:
            state = {"tag": tag, "epoch": epoch + 1, "model": model.state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": sched.state_dict(), "rng": torch.get_rng_state(),
                     "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                     "history": history.epochs, "config": asdict(cfg), "loss": repr(loss_fn),
                     "seconds": before + time.perf_counter() - t0}
            atomic_write(ckpt, lambda tmp: torch.save(state, tmp))
        if stop_after_epoch is not None and epoch + 1 >= stop_after_epoch:
            break
    history.seconds = before + time.perf_counter() - t0
    return history


def _resumable(ckpt: Path | None, earlier: Sequence[str | Path], tag_at: Callable[[int], str],
               epochs: int) -> tuple[dict | None, Path | None]:
    """The checkpoint state a run resumes from, and its file: its own checkpoint when written for the same
    configuration, else the first of ``earlier`` written for the same configuration but ``epochs`` and not past
    this run's end; (None, None) when there is none."""
    if ckpt and ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        if state.get("tag") == tag_at(epochs):
            return state, ckpt
    for path in map(Path, earlier):
        if not path.exists():
            continue
        state = torch.load(path, weights_only=False)
        their = state.get("config", {}).get("epochs")
        if isinstance(their, int) and state.get("tag") == tag_at(their) and state["epoch"] <= epochs:
            return state, path
    return None, None
