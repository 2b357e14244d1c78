"""Many small networks at once: is training a grid's small networks together faster than one at a time here?

`python benchmarks/small_networks.py` measures, for the book's smallest architectures (`Net`, `StdCNN`) trained
naturally and with TRADES (K = 10), the training images/s of

- one network at a time on both cores (two intra-op threads): how a grid ran before `sweep --workers 2`;
- one network per core (two processes of one thread each, at the same time): what `sweep --workers 2
  --threads-per-worker 1` does;
- G networks stacked (``torch.func.stack_module_state`` + ``vmap``: one pass over stacked weights, each network
  on its own images; PyTorch turns the batched convolutions into grouped ones) in one process per core;
- for reference, one grouped convolution of G groups against G separate convolutions of the same shapes.

and prints every figure as a ratio to one-at-a-time, measured in this run. Run on a quiet machine.

Result on this machine (README, Performance): stacking is slower, not faster, because a small network is not
idle-bound here: a single-threaded step of `Net` already keeps its core busy, and a grouped convolution costs what
its groups cost separately; the gain comes from one network per core.
"""
import copy
import multiprocessing as mp
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from reprolib import losses, models
from reprolib.parallel import limited_threads

BATCH, G, SECONDS = 64, 8, 4.0
METHODS = {"natural": lambda: losses.build("natural"),
           "trades K=10": lambda: losses.build("trades", eps=0.3, steps=10, step_size=0.04)}


class Stacked(nn.Module):
    """``len(nets)`` networks of one architecture as one module: its input holds each network's examples
    interleaved (example i of network g at row i·G + g), so that any batch mean the losses take is the mean of the
    networks' own means and a loss times G trains every network on its own loss."""

    def __init__(self, nets: list[nn.Module]):
        super().__init__()
        params, self._buffers_stacked = stack_module_state(nets)
        self._names = list(params)
        self.weights = nn.ParameterList([nn.Parameter(params[n].detach().clone()) for n in self._names])
        object.__setattr__(self, "_base", copy.deepcopy(nets[0]).to("meta"))
        self.g = len(nets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        per = x.reshape(len(x) // self.g, self.g, *x.shape[1:]).transpose(0, 1)
        self._base.train(self.training)
        one = lambda p, b, xi: functional_call(self._base, (p, b), (xi,))  # noqa: E731
        out = vmap(one, randomness="different")(dict(zip(self._names, self.weights)), self._buffers_stacked, per)
        return out.transpose(0, 1).reshape(len(x), *out.shape[2:])


def _rate(arch: str, method: str, stacked: int, threads: int) -> float:
    """Training images/s (all networks together) of ``stacked`` networks (0: one plain network) on ``threads``."""
    with limited_threads(threads):
        torch.manual_seed(0)
        if stacked:
            model, scale = Stacked([models.build(arch) for _ in range(stacked)]), stacked
        else:
            model, scale = models.build(arch), 1
            models.to_channels_last(model)
        n = BATCH * max(1, stacked)
        x, y = torch.rand(n, 1, 28, 28), torch.randint(0, 10, (n,))
        loss_fn, opt = METHODS[method](), torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            loss, _ = loss_fn(model, x, y)
            opt.zero_grad()
            (loss * scale).backward()
            opt.step()

        step()
        done, t = 0, time.perf_counter()
        while time.perf_counter() - t < SECONDS:
            step()
            done += n
        return done / (time.perf_counter() - t)


def _per_core(args) -> float:
    return _rate(*args, threads=1)


def one_per_core(arch: str, method: str, stacked: int) -> float:
    """The images/s of two single-threaded processes training at the same time, summed."""
    with mp.get_context("spawn").Pool(2) as pool:
        return sum(pool.map(_per_core, [(arch, method, stacked)] * 2))


def grouped_conv_ratio(groups: int = G) -> float:
    """Seconds of ``groups`` separate 3×3 convolutions (StdCNN's second layer, forward and backward) over the seconds
    of one grouped convolution of the same shapes, one thread: > 1 would mean grouping gains."""
    with limited_threads(1):
        xs = [torch.rand(BATCH, 10, 26, 26, requires_grad=True) for _ in range(groups)]
        ws = [torch.rand(10, 10, 3, 3, requires_grad=True) for _ in range(groups)]
        xg = torch.cat(xs, 1).detach().requires_grad_()
        wg = torch.cat(ws, 0).detach().requires_grad_()

        def seconds(fn, repeats=10):
            fn()
            t = time.perf_counter()
            for _ in range(repeats):
                fn()
            return time.perf_counter() - t

        separate = seconds(lambda: sum(F.conv2d(x, w).sum() for x, w in zip(xs, ws)).backward())
        grouped = seconds(lambda: F.conv2d(xg, wg, groups=groups).sum().backward())
        return separate / grouped


def main():
    print(f"training images/s, batch {BATCH} per network, {G} stacked; ratios to one network at a time on 2 threads")
    print(f"{'arch':8} {'method':12} {'one at a time':>14} {'one per core':>18} {'stacked, per core':>22}")
    for arch in ("Net", "StdCNN"):
        for method in METHODS:
            alone = _rate(arch, method, 0, threads=2)
            per_core = one_per_core(arch, method, 0)
            stacked = one_per_core(arch, method, G)
            print(f"{arch:8} {method:12} {alone:14.0f} {per_core:9.0f} ({per_core / alone:4.2f}×) "
                  f"{stacked:13.0f} ({stacked / alone:4.2f}×)", flush=True)
    print(f"{G} separate 3×3 convolutions / one grouped convolution of {G} groups (time): {grouped_conv_ratio():.2f}×")


if __name__ == "__main__":
    main()
