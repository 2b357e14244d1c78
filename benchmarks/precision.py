"""What bf16 autocast costs in accuracy, decided by evidence: TRADES Table 5's setting at the `cpu` budget
(SmallCNN, Madry and TRADES(1/λ=6), the section's resolved configuration), trained in fp32 and in bf16 for several
seeds through the section's own grid (:meth:`reprolib.grid.MethodGrid.trained`), then evaluated in fp32 on the same
test images: clean accuracy, the section's PGD and AutoAttack (standard) on the first ``--n-autoattack`` of them.

`python benchmarks/precision.py [--seeds 0 1 2] [--n-autoattack 200] [--out runs/precision.jsonl]` prints one line
per network and, after the trainings and again after the audits, per method and metric: the mean bf16 − fp32 difference over seeds, the seed spread
(sd over seeds of each precision) and whether the difference is within it. Every network is trained and measured
first, then audited; ``--out`` (JSON lines) is rewritten atomically after each step and a rerun continues from it.
Training time is printed too, but read speed only from a quiet machine (benchmarks/training.py).
"""
import argparse
import json
import statistics
from pathlib import Path

import torch

from reprolib import autoattack, metrics, profiles, results
from reprolib.grid import test_set
from reprolib.papers.trades import whitebox

SECTION = "trades/whitebox"


def network(cfg: dict, method: str, seed: int, precision: str):
    """The trained network (from its checkpoint once trained) and its training history."""
    model, hist = whitebox.GRID.trained({**cfg, "precision": precision}, cfg["archs"][0], method, seed, progress=True,
                                        kept=False)
    return model.float().eval(), hist


def measure(cfg: dict, method: str, seed: int, precision: str) -> dict:
    """Clean and PGD accuracy on the section's evaluation images (fp32)."""
    model, hist = network(cfg, method, seed, precision)
    x, y = test_set(cfg)
    torch.manual_seed(0)
    return {"method": method, "seed": seed, "precision": precision, "clean": metrics.accuracy(model, x, y),
            "pgd": metrics.robust_accuracy(model, x, y, eps=cfg["eps"], steps=cfg["eval_steps"],
                                           step_size=cfg["eval_step_size"]),
            "n_test": len(y), "train_seconds": round(hist.seconds, 1), "threads": torch.get_num_threads()}


def audit(cfg: dict, row: dict, n_aa: int) -> dict:
    """AutoAttack (standard) and PGD on the first ``n_aa`` of those images (fp32)."""
    model, _ = network(cfg, row["method"], row["seed"], row["precision"])
    x, y = test_set(cfg)
    pair = autoattack.robust_accuracy_pair(model, x, y, eps=cfg["eps"], pgd_steps=cfg["eval_steps"],
                                           pgd_step_size=cfg["eval_step_size"], n=n_aa, seed=0, progress=True)
    return {"autoattack": pair["autoattack_acc"], "pgd_on_aa_images": pair["pgd_acc"], "n_autoattack": pair["n"]}


def _save(path: Path, rows: list[dict]) -> None:
    results.atomic_write(path, lambda tmp: tmp.write_text("".join(json.dumps(r) + "\n" for r in rows)))


def report(rows: list[dict]) -> None:
    for method in dict.fromkeys(r["method"] for r in rows):
        for key in ("clean", "pgd", "autoattack"):
            by = {p: {r["seed"]: r[key] for r in rows if r["method"] == method and r["precision"] == p and key in r}
                  for p in ("fp32", "bf16")}
            seeds = sorted(set(by["fp32"]) & set(by["bf16"]))
            if len(seeds) < 2:
                continue
            diff = statistics.mean(by["bf16"][s] - by["fp32"][s] for s in seeds)
            sd = max(statistics.stdev([by[p][s] for s in seeds]) for p in by)
            print(f"{method:14s} {key:10s} bf16 − fp32 {100 * diff:+5.2f} points over {len(seeds)} seeds; "
                  f"seed sd {100 * sd:4.2f}: {'within' if abs(diff) <= sd else 'BEYOND'} seed noise")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--n-autoattack", type=int, default=200)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--profile", default="cpu", help="smoke: a check that the script runs")
    ap.add_argument("--out", type=Path, default=Path("runs/precision.jsonl"))
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = profiles.resolve(SECTION, args.profile)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {SECTION} at {args.profile}: {cfg['archs'][0]}, "
          f"eps {cfg['eps']}, K = {cfg['attack_steps']} of {cfg['attack_step_size']}, {cfg['n_train']} images, "
          f"{cfg['epochs']} epochs; PGD-{cfg['eval_steps']} on {cfg['n_eval_test']} test images, AutoAttack "
          f"(standard) on the first {args.n_autoattack}")
    rows = [json.loads(line) for line in args.out.read_text().splitlines()] if args.out.exists() else []
    done = {(r["method"], r["seed"], r["precision"]) for r in rows}
    # first every network trained and measured clean and under PGD (minutes each), then the AutoAttack audits
    # (10-25 minutes each on a core), so that an interrupted run has the cheap verdict first
    for seed in args.seeds:
        for method in whitebox.DEFENCES:
            for precision in ("fp32", "bf16"):
                if (method, seed, precision) not in done:
                    rows.append(measure(cfg, method, seed, precision))
                    _save(args.out, rows)
                    r = rows[-1]
                    print(f"{method:14s} seed {seed} {precision}: clean {r['clean']:.1%} PGD {r['pgd']:.1%}; "
                          f"trained in {r['train_seconds']:.0f} s", flush=True)
    report(rows)
    for r in rows:
        if r.get("n_autoattack") != args.n_autoattack and r["seed"] in args.seeds:
            r.update(audit(cfg, r, args.n_autoattack))
            _save(args.out, rows)
            print(f"{r['method']:14s} seed {r['seed']} {r['precision']}: AutoAttack {r['autoattack']:.1%} "
                  f"(PGD on its images {r['pgd_on_aa_images']:.1%})", flush=True)
    report(rows)


if __name__ == "__main__":
    main()
