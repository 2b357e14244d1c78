"""What bf16 autocast costs in accuracy: TRADES training of SmallCNN in fp32 and in bf16, then clean and
PGD accuracy of both (in fp32) on the same test images, over a few seeds.

`python benchmarks/precision.py [--n-train 5000 --epochs 3 --seeds 0 1]` prints one line per run and the
mean difference. bf16 changes every gradient, including the attack's, so robust accuracy after training is
what matters, not the loss. Run on a quiet machine; about 5 minutes with the defaults on 2 cores.
"""
import argparse
import statistics

import torch

from reprolib import data, losses, metrics, models
from reprolib.train import TrainConfig, fit

EPS, STEP, K = 0.1, 0.02, 10  # closer_look's MNIST threat model


def run(precision: str, seed: int, n_train: int, epochs: int, test) -> dict:
    train = data.load("mnist", "train").subset(n_train, seed=seed)
    torch.manual_seed(seed)
    model = models.build("SmallCNN")
    loss_fn = losses.build("trades", eps=EPS, steps=K, step_size=STEP, beta=6.0)
    hist = fit(model, train.float(), train.y, loss_fn=loss_fn, desc=f"{precision} seed {seed}",
               cfg=TrainConfig(epochs=epochs, batch_size=64, lr=0.01, precision=precision, seed=seed))
    xt, yt = test
    torch.manual_seed(1000 + seed)  # same PGD random starts for both precisions
    return {"clean": metrics.accuracy(model, xt, yt),
            "robust": metrics.robust_accuracy(model, xt, yt, eps=EPS, steps=20, step_size=EPS / 8),
            "seconds": hist.seconds}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=5000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--n-test", type=int, default=1000)
    args = ap.parse_args()
    split = data.load("mnist", "test").subset(args.n_test, seed=0)
    test = (split.float(), split.y)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; TRADES β=6, eps {EPS}, {K} steps of {STEP}; "
          f"{args.n_train} training images, {args.epochs} epochs; PGD-20 (step eps/8) on {args.n_test} test images")
    diffs = {"clean": [], "robust": []}
    for seed in args.seeds:
        r = {p: run(p, seed, args.n_train, args.epochs, test) for p in ("fp32", "bf16")}
        for key in diffs:
            diffs[key].append(r["bf16"][key] - r["fp32"][key])
        print(f"seed {seed}: clean fp32 {r['fp32']['clean']:.1%} bf16 {r['bf16']['clean']:.1%} | "
              f"robust fp32 {r['fp32']['robust']:.1%} bf16 {r['bf16']['robust']:.1%} | "
              f"train s fp32 {r['fp32']['seconds']:.0f} bf16 {r['bf16']['seconds']:.0f}")
    print(f"bf16 - fp32, mean over seeds: clean {100 * statistics.mean(diffs['clean']):+.1f} points, "
          f"robust {100 * statistics.mean(diffs['robust']):+.1f} points")


if __name__ == "__main__":
    main()
