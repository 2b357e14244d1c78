"""Exact L-inf separation speed on full MNIST (and Fashion-MNIST): prints seconds per search.

Run on a quiet machine: `python benchmarks/separation.py [--datasets mnist fashion_mnist]`.
Targets (issue: speed and scale): test-train < 30 s, train-train minimum < 3 min on 2 cores.
"""
import argparse
import time

import torch

from reprolib import data, separation


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist"])
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name in args.datasets:
        train, test = data.load(name, "train"), data.load(name, "test")
        t = time.perf_counter()
        k, _, _ = separation.min_separation(test.x, test.y, train.x, train.y, progress=False)
        print(f"{name:14s} test-train minimum (10k x 60k)   {time.perf_counter() - t:7.1f} s   -> {k}/255")
        t = time.perf_counter()
        d, _ = separation.nearest_other_label(test.x, test.y, train.x, train.y, progress=False)
        print(f"{name:14s} test-train per point (10k x 60k) {time.perf_counter() - t:7.1f} s   -> {int(d.min())}/255")
        t = time.perf_counter()
        k, _, _ = separation.min_separation(train.x, train.y, train.x, train.y, progress=False)
        print(f"{name:14s} train-train minimum (60k x 60k)  {time.perf_counter() - t:7.1f} s   -> {k}/255")


if __name__ == "__main__":
    main()
