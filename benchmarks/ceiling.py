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


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for dtype in (torch.float32, torch.bfloat16):
        p = peak(dtype)
        print(f"{str(dtype).split('.')[-1]:9s} peak: matrix product {p['gemm']:7.1f} GFLOP/s, "
              f"3×3 convolution {p['conv']:7.1f} GFLOP/s")


if __name__ == "__main__":
    main()
