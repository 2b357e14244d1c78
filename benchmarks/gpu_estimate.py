"""An estimate, not a measurement: each `paper` section's GPU hours, from its FLOPs and a stated GPU's peak.

`python benchmarks/gpu_estimate.py [--peak-tflops 67 --utilisation 0.3]` counts, for every network of every grid
section's `paper` profile, the forward passes its training, evaluation and audit take (in forward passes F of its
network on one image, counted with torch's FLOP counter on the paper's input shape; a step's multiple of F as in
``benchmarks/ceiling.py``), and divides by a GPU's fp32 peak times a utilisation. The defaults are an NVIDIA H100
SXM's fp32 (non-tensor-core) peak, 67 TFLOP/s, and 30% of it, both assumptions: no GPU has run the `paper` profile
for this project, and this estimate says so wherever it is quoted until one does. Needs no dataset (the training
and test set sizes are the datasets' published ones) and no GPU.
"""
import argparse
from dataclasses import fields

import torch

from ceiling import forward_flops, pgd_forwards, trades_forwards
from reprolib import data, grid, losses, models, profiles, sections

SIZES = {"mnist": (60000, 10000), "fashion_mnist": (60000, 10000), "cifar10": (50000, 10000),
         "svhn": (73257, 26032)}  # (train, test): the datasets' published sizes
# AutoAttack (standard) per robust image, in F: APGD-CE 100 iterations and APGD-T 9 × 100 (2F each), FAB-T 9 targets ×
# 100 iterations (a Jacobian row and a forward: ≈ 3F each), Square 5000 queries (1F each) on what survives; an image
# that survives every attack costs all of it, an upper bound.
AUTOATTACK_F = 2 * 100 + 2 * 900 + 3 * 900 + 5000


def step_forwards(loss) -> int:
    """F per training image for ``loss``: a natural step 3F; a step with a K-step inner attack as TRADES' (the
    dearer of the attacked losses, an upper bound for AT, RST, GR and LLR)."""
    k = getattr(loss, "steps", 0)
    return trades_forwards(k) if k else 3


def estimate(section: str, f_of: dict) -> list[dict]:
    """Per network of each of the section's grids at `paper`: forward passes of training, evaluation and audit."""
    spec = sections.get(section)
    cfg0 = spec.sweep.as_grid(profiles.resolve(section, "paper"))
    second = [f.name for f in fields(spec.settings) if f.metadata.get("overrides")]
    parts = grid.variants(cfg0, second[0]) if second else [cfg0]
    out = []
    for i, cfg in enumerate(parts):
        g = spec.sweep.grids[min(i, len(spec.sweep.grids) - 1)]
        info = data.dataset_info(cfg["dataset"])
        n_train, n_test = SIZES[cfg["dataset"]]
        n_train = cfg["n_train"] or n_train
        n_eval = cfg.get("n_eval_test") or n_test
        n_eval_train = 0 if cfg.get("n_eval_train", 0) == 0 else (cfg.get("n_eval_train") or n_train)
        audited = set(g.audited(cfg))
        for arch, method, seed in grid.grid(cfg):
            if (arch, cfg["dataset"]) not in f_of:
                f_of[(arch, cfg["dataset"])] = forward_flops(models.build(arch), torch.zeros(2, *info.shape))
            preset = dict(g.methods[method])
            loss = losses.for_section(preset.pop("method"), cfg, **{k: v for k, v in preset.items() if k != "augment"})
            evaluation = (n_eval + n_eval_train) * (pgd_forwards(cfg["eval_steps"]) + 1) + \
                n_eval * cfg.get("lip_steps", 0) * 2
            audit = min(cfg.get("n_audit") or n_eval, n_eval) * AUTOATTACK_F if (arch, method, seed) in audited else 0
            out.append({"grid": g.artifact, "arch": arch, "method": method, "dataset": cfg["dataset"],
                        "flops": f_of[(arch, cfg["dataset"])] * (n_train * cfg["epochs"] * step_forwards(loss)
                                                                 + evaluation + audit)})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peak-tflops", type=float, default=67.0, help="the GPU's fp32 peak (H100 SXM: 67)")
    ap.add_argument("--utilisation", type=float, default=0.3, help="the fraction of that peak reached (assumed)")
    args = ap.parse_args()
    rate = args.peak_tflops * 1e12 * args.utilisation
    print(f"ESTIMATE, not measured: {args.peak_tflops:g} TFLOP/s fp32 at {args.utilisation:.0%} utilisation")
    f_of: dict = {}
    for name, spec in sections.registry().items():
        if not (spec.sweep and "paper" in profiles.available(name)):
            continue
        runs = estimate(name, f_of)
        total = sum(r["flops"] for r in runs) / rate / 3600
        kinds = sorted({f"{r['arch']} on {r['dataset']}" for r in runs})
        print(f"{name}: {len(runs)} networks ({', '.join(kinds)}): ≈ {total:.2g} GPU-hours")
    print("forward GFLOP per image:", {f"{a} ({d})": round(f / 1e9, 3) for (a, d), f in f_of.items()})


if __name__ == "__main__":
    main()
