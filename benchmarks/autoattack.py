"""What AutoAttack costs beside PGD: images/s of AutoAttack (standard) and of PGD-10 / PGD-40 on the same
MNIST test images, so that chapters can size their AutoAttack subset (issue 12: at most ~30% of a
chapter's training time).

`python benchmarks/autoattack.py [--n 200 --eps 0.1 --checkpoint PATH --arch SmallCNN --chunk 100 --aa-threads 1
--layouts nhwc,default --processes 1,2]`

Without ``--checkpoint`` it trains a robust-ish SmallCNN first (1 natural epoch, then ``--at-epochs``
epochs of PGD-5 adversarial training at ``--eps``, on ``--n-train`` images; about a minute on 2 cores) and
saves it to ``--save`` (default ``artifacts/bench_autoattack_<arch>.pt``) for the next run. A checkpoint is a
``state_dict`` of ``--arch`` or a training checkpoint of one (``artifacts/<section>/*.pt``). PGD-10 uses step
0.02 (closer_look's evaluation at eps 0.1), PGD-40 step 0.01 (TRADES' FGSM^40), both scaled with ``--eps``.

AutoAttack's cost grows with the model's robustness: every image that survives APGD-CE goes through the
targeted APGD and FAB passes (9 target classes each) and 5,000 Square queries, so the script prints the
robust accuracy and the seconds spent per attack next to the rate. ``--processes 1,2`` runs AutoAttack with its
chunks in one process, then shared out over two single-threaded processes, and prints the wall-time ratio and
whether the same images fell to each attack. ``--layouts`` runs AutoAttack once per
weight layout (``nhwc``: the evaluator's default on the CPU, ``default``: NCHW) and prints both rates. Run on
a quiet machine (a second heavy process on the 2 cores slows small-batch attacks many-fold).
"""
import argparse
import time
from pathlib import Path

import torch

from reprolib import data, losses, metrics, models
from reprolib.autoattack import autoattack_accuracy, pgd_correct
from reprolib.paths import artifacts_dir
from reprolib.train import TrainConfig, fit


def build_model(args) -> torch.nn.Module:
    model = models.build(args.arch)
    ckpt = Path(args.checkpoint) if args.checkpoint else None
    if ckpt is None and args.save and Path(args.save).exists():
        ckpt = Path(args.save)
    if ckpt is not None:
        state = torch.load(ckpt, weights_only=True)
        model.load_state_dict(state.get("model", state))  # a state_dict, or a training checkpoint (artifacts/)
        print(f"model: {args.arch} from {ckpt}")
        return model.eval()
    train = data.load("mnist", "train").subset(args.n_train, seed=0)
    x, y = train.float(), train.y
    torch.manual_seed(0)
    t = time.perf_counter()
    cfg = {"batch_size": 64, "lr": 1e-3, "optimizer": "adam"}
    fit(model, x, y, loss_fn=losses.build("natural"), cfg=TrainConfig(epochs=1, **cfg), desc="natural")
    fit(model, x, y, loss_fn=losses.build("at", eps=args.eps, steps=5, step_size=args.eps / 2.5),
        cfg=TrainConfig(epochs=args.at_epochs, **cfg), desc="AT")
    print(f"model: {args.arch}, 1 natural + {args.at_epochs} PGD-5 AT epochs on {args.n_train} images "
          f"({time.perf_counter() - t:.0f} s)")
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), args.save)
        print(f"saved to {args.save}")
    return model.eval()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200, help="test images attacked")
    p.add_argument("--eps", type=float, default=0.1)
    p.add_argument("--arch", default="SmallCNN")
    p.add_argument("--checkpoint", default=None, help="state_dict of --arch (else train one)")
    p.add_argument("--save", default=None, help="where the trained model goes (default in artifacts/)")
    p.add_argument("--n-train", type=int, default=5000)
    p.add_argument("--at-epochs", type=int, default=2)
    p.add_argument("--chunk", type=int, default=100, help="images per AutoAttack call")
    p.add_argument("--threads", type=int, default=None, help="torch threads (PGD runs one chunk per thread)")
    p.add_argument("--aa-threads", type=int, default=1, help="intra-op threads during AutoAttack (its default)")
    p.add_argument("--layouts", default="nhwc", help="weight layouts AutoAttack runs with: nhwc, default or both")
    p.add_argument("--processes", default="1", help="process counts AutoAttack's chunks are shared out over, e.g. "
                   "1,2 (each of one thread; the same images must be found robust)")
    args = p.parse_args()
    if args.save is None and args.checkpoint is None:
        args.save = str(artifacts_dir() / f"bench_autoattack_{args.arch}.pt")
    if args.threads:
        torch.set_num_threads(args.threads)
    model = build_model(args)
    test = data.load("mnist", "test").subset(args.n, seed=0)
    xt, yt = test.float(), test.y
    clean = metrics.accuracy(model, xt, yt)
    print(f"{args.n} MNIST test images, eps {args.eps:g} (Linf), {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}; clean accuracy {clean:.3f}")
    rows = []
    for steps, step in ((10, 0.02), (40, 0.01)):
        step = step * args.eps / 0.1
        pgd_correct(model, xt[:32], yt[:32], eps=args.eps, steps=2, step_size=step)  # warm-up
        t = time.perf_counter()
        acc = pgd_correct(model, xt, yt, eps=args.eps, steps=steps, step_size=step, seed=0).float().mean().item()
        s = time.perf_counter() - t
        rows.append((f"PGD-{steps} (step {step:g})", acc, s))
    recs = {}
    for layout in args.layouts.split(","):
        if layout not in ("nhwc", "default"):
            p.error(f"--layouts: unknown layout {layout!r} (nhwc, default)")
        for procs in (int(v) for v in args.processes.split(",")):
            rec = autoattack_accuracy(model, xt, yt, eps=args.eps, chunk=args.chunk, seed=0, threads=args.aa_threads,
                                      channels_last=layout == "nhwc", processes=procs)
            name = f"{layout}, {rec.get('processes', 1)} proc"
            rows.append((f"AutoAttack {name} ({rec['threads']} thr)", rec["robust_acc"], rec["seconds"]))
            recs[name] = rec
    print(f"{'attack':<26}{'robust acc':>11}{'seconds':>10}{'img/s':>10}")
    for name, acc, s in rows:
        print(f"{name:<26}{acc:>11.3f}{s:>10.1f}{args.n / s:>10.2f}")
    for layout, rec in recs.items():
        print(f"AutoAttack ({layout}) robust accuracy after each attack: "
              + ", ".join(f"{a} {v:.3f}" for a, v in rec["robust_acc_after"].items()))
        print(f"AutoAttack ({layout}) seconds per attack: "
              + ", ".join(f"{a} {v:.1f}" for a, v in rec["seconds_per_attack"].items()))
        if rec["flags"]:
            print(f"AutoAttack ({layout}) flags: " + " | ".join(rec["flags"]))
    first = next(iter(recs.values()))
    for name, rec in list(recs.items())[1:]:
        same = rec["robust_acc_after"] == first["robust_acc_after"]
        print(f"AutoAttack ({name}) wall time: {first['seconds'] / rec['seconds']:.2f}x the first run's; "
              f"robust accuracy after every attack {'the same' if same else 'DIFFERENT'}")
    rec = first
    per_img = rec["seconds"] / args.n
    print(f"AutoAttack / PGD-40 time: {rec['seconds'] / rows[1][2]:.1f}x; at this robustness 500 images take "
          f"~{500 * per_img / 60:.1f} min, 1,000 ~{1000 * per_img / 60:.1f} min, "
          f"10,000 ~{10000 * per_img / 3600:.1f} h")


if __name__ == "__main__":
    main()
