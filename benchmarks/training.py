"""Training and attack throughput on MNIST SmallCNN, ours against straightforward reference loops.

`python benchmarks/training.py` prints images/s, the ratios the speed issue targets and, for each step, its
achieved GFLOP/s as a fraction of this machine's fp32 peak measured in the same run (benchmarks/ceiling.py):
TRADES step (batch 128, K = 10, eps 0.3, step 0.01) ours fp32 and bf16 vs a reference loop written
here (one forward/backward per attack step, f(x) recomputed each step, as in the TRADES code);
PGD-40 evaluation vs a reference loop; natural training. Run on a quiet machine (no other heavy job).

The reference runs the default memory layout on whole batches with intra-op threads. Ours is the library
as training uses it: f(x) computed once per TRADES step, channels-last weights (``TrainConfig.channels_last``)
and attacks iterated in chunks of ``reprolib.parallel.CHUNK`` examples, one single-threaded worker per core.
Tried and dropped (slower here): ``torch.compile`` of the model, oneDNN disabled, an im2col first layer on
top of channels-last.
"""
import contextlib
import copy
import time

import torch
import torch.nn.functional as F

from ceiling import forward_flops, peak, pgd_forwards, trades_forwards
from reprolib import attacks, data, losses, models, parallel
from reprolib.train import TrainConfig

BATCH, K, EPS, STEP = 128, 10, 0.3, 0.01


def reference_trades_step(model, opt, x, y, beta=6.0):
    """The TRADES algorithm as its reference code runs it (f(x) recomputed at every attack step)."""
    model.eval()
    x_adv = x + 0.001 * torch.randn_like(x)
    for _ in range(K):
        x_adv.requires_grad_(True)
        kl = F.kl_div(F.log_softmax(model(x_adv), 1), F.softmax(model(x), 1), reduction="sum")
        g, = torch.autograd.grad(kl, x_adv)
        x_adv = torch.min(torch.max(x_adv.detach() + STEP * g.sign(), x - EPS), x + EPS).clamp(0, 1)
    model.train()
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y) + beta * F.kl_div(F.log_softmax(model(x_adv), 1), F.softmax(model(x), 1),
                                                           reduction="batchmean")
    loss.backward()
    opt.step()


def ours_trades_step(model, opt, x, y, loss_fn, autocast):
    with autocast:
        loss, _ = loss_fn(model, x, y)
    opt.zero_grad()
    loss.backward()
    opt.step()


def reference_pgd(model, x, y, steps=40):
    model.eval()
    x_adv = x + torch.empty_like(x).uniform_(-EPS, EPS)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        g, = torch.autograd.grad(F.cross_entropy(model(x_adv), y), x_adv)
        x_adv = torch.min(torch.max(x_adv.detach() + STEP * g.sign(), x - EPS), x + EPS).clamp(0, 1)
    return x_adv


def rate(fn, n_images, repeats=3, warmup=1):
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return n_images / best


def main():
    torch.manual_seed(0)
    split = data.load("mnist", "train").subset(BATCH * 4, seed=0)
    xs, ys = split.float(), split.y
    batches = [(xs[i:i + BATCH], ys[i:i + BATCH]) for i in range(0, len(xs), BATCH)]
    reference = models.build("SmallCNN")
    ours = copy.deepcopy(reference)
    if TrainConfig().channels_last:  # the library's default layout, as train.fit applies it
        ours.to(memory_format=torch.channels_last)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.01, momentum=0.9)
    opt = torch.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)
    loss_fn = losses.build("trades", eps=EPS, steps=K, step_size=STEP, beta=6.0)
    fp32, bf16 = contextlib.nullcontext(), torch.autocast("cpu", dtype=torch.bfloat16)
    n = BATCH * len(batches)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, attack chunks of {parallel.CHUNK}")
    top = peak()
    ceiling = max(top.values())
    print(f"fp32 peak: matrix product {top['gemm']:.1f} GFLOP/s, 3×3 convolution {top['conv']:.1f} GFLOP/s")
    f = forward_flops(copy.deepcopy(ours), batches[0][0])
    per_image = {"trades": trades_forwards(K) * f, "pgd40": pgd_forwards(40) * f}  # FLOPs of one image's step

    def of_peak(kind, img_s):
        achieved = per_image[kind] * img_s / 1e9
        return f"{achieved:6.1f} GFLOP/s = {achieved / ceiling:.0%} of the fp32 peak"
    ref = rate(lambda: [reference_trades_step(reference, ref_opt, x, y) for x, y in batches], n, repeats=5)
    o32 = rate(lambda: [ours_trades_step(ours, opt, x, y, loss_fn, fp32) for x, y in batches], n, repeats=5)
    o16 = rate(lambda: [ours_trades_step(ours, opt, x, y, loss_fn, bf16) for x, y in batches], n)
    print(f"TRADES step K={K}: reference {ref:6.0f} img/s | ours fp32 {o32:6.0f} ({o32 / ref:.2f}x) "
          f"| ours bf16 {o16:6.0f} ({o16 / ref:.2f}x); {per_image['trades'] / 1e6:.0f} MFLOP per image; "
          f"reference {of_peak('trades', ref)}, ours fp32 {of_peak('trades', o32)}")
    xe, ye = xs[:256], ys[:256]
    ref = rate(lambda: reference_pgd(reference, xe, ye), len(xe), repeats=2)
    mine = rate(lambda: attacks.pgd(ours, xe, ye, eps=EPS, steps=40, step_size=STEP), len(xe), repeats=2)
    print(f"PGD-40 evaluation ({len(xe)} images): reference {ref:6.0f} img/s | ours {mine:6.0f} ({mine / ref:.2f}x); "
          f"reference {of_peak('pgd40', ref)}, ours {of_peak('pgd40', mine)}")
    nat = losses.build("natural")
    n_rate = rate(lambda: [ours_trades_step(ours, opt, x, y, nat, fp32) for x, y in batches], n)
    print(f"natural training: {n_rate:6.0f} img/s")


if __name__ == "__main__":
    main()
