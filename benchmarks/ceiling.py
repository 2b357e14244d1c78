"""The machine's ceiling: fp32 and bf16 peak of a large matrix product and a large convolution on this process's
threads, and the FLOP count of any step (forward and backward), so that a step's speed reads as a fraction of
what the machine can do.

`python benchmarks/ceiling.py` prints the peaks (best of a few runs, GFLOP/s). `benchmarks/training.py` imports
:func:`peak` and the step FLOP counts and prints each of its steps as a fraction of the fp32 peak measured in the same run.
Run on a quiet machine (no other heavy job): a second process on the two cores halves what is measured.
"""
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode



def _best_seconds(fn, repeats: int = 5) -> float:
    fn()  # warm-up (oneDNN primitives, caches)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def peak(dtype: torch.dtype = torch.float32) -> dict[str, float]:
    """GFLOP/s of a 2048×2048 matrix product and of a 3×3 convolution (batch 32, 64→64 channels, 56×56,
    channels-last), in ``dtype``."""
    n = 2048
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    gemm = 2 * n ** 3 / _best_seconds(lambda: a @ b) / 1e9
    x = torch.randn(32, 64, 56, 56, dtype=dtype).to(memory_format=torch.channels_last)
    w = torch.randn(64, 64, 3, 3, dtype=dtype).to(memory_format=torch.channels_last)
    conv_flops = 2 * 32 * 64 * 56 * 56 * 64 * 9
    conv = conv_flops / _best_seconds(lambda: F.conv2d(x, w, padding=1)) / 1e9
    return {"gemm": gemm, "conv": conv}


def forward_flops(model, x) -> float:
    """FLOPs of one forward pass of ``model`` per image of ``x`` (matrix products and convolutions, as torch's
    FLOP counter counts them; elementwise work is left out, so fractions of peak slightly understate the work)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.eval()(x)
    return counter.get_total_flops() / len(x)


# A step's FLOPs in forward passes F of its network (an input gradient costs about one forward pass, a weight and
# input gradient two): TRADES with K attack steps computes p(x) once (F), K ascents (2F each) and one training pass
# on x and x' (forward 2F, backward 4F); PGD-K is K ascents. (FlopCounterMode cannot count the attacks directly:
# its module hooks refuse torch.autograd.grad with respect to an input.)
def trades_forwards(k: int) -> int:
    return 2 * k + 7


def pgd_forwards(k: int) -> int:
    return 2 * k


def layers(arch: str = "SmallCNN", batch: int = 32) -> list[dict]:
    """Why a small network's step stays below peak: each convolution and linear layer of ``arch`` timed alone on its
    own input shape (channels-last, forward and backward to input and weights, one thread: how the attacks run,
    one chunk of ``batch`` images per core), as GFLOP/s and as its share of the layers' time."""
    from reprolib import models

    model = models.build(arch)
    models.to_channels_last(model)
    shapes = {}
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.setdefault(m, i[0].shape) and None)
             for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(torch.rand(batch, 1, 28, 28))
    for h in hooks:
        h.remove()
    out = []
    for m, shape in shapes.items():
        x = torch.rand(shape)
        if x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        x.requires_grad_(True)
        with FlopCounterMode(display=False) as counter:
            m(x).sum().backward()
        seconds = _best_seconds(lambda: m(x).sum().backward(), repeats=10)
        out.append({"layer": repr(m).split("(")[0] + str(tuple(shape[1:])), "flops": counter.get_total_flops(),
                    "seconds": seconds})
    total = sum(r["seconds"] for r in out)
    return [{**r, "gflops": r["flops"] / r["seconds"] / 1e9, "share": r["seconds"] / total} for r in out]


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for dtype in (torch.float32, torch.bfloat16):
        p = peak(dtype)
        print(f"{str(dtype).split('.')[-1]:9s} peak: matrix product {p['gemm']:7.1f} GFLOP/s, "
              f"3×3 convolution {p['conv']:7.1f} GFLOP/s")
    torch.set_num_threads(1)
    one = peak()["conv"]
    print(f"one thread: 3×3 convolution peak {one:.1f} GFLOP/s; SmallCNN's layers on a chunk of 32 images "
          "(forward and backward), as the attacks run them:")
    for r in layers():
        print(f"  {r['layer']:28s} {r['gflops']:6.1f} GFLOP/s = {100 * r['gflops'] / one:3.0f}% of peak, "
              f"{100 * r['share']:3.0f}% of the layers' time")


if __name__ == "__main__":
    main()
