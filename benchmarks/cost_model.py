"""A cost model for planning: how many core-hours a grid section takes at a budget, from speeds measured here.

`python benchmarks/cost_model.py [--profile full] [--sections trades/whitebox closer_look/table2]` measures, on one
thread (a long job runs one per core), the images/s of every (architecture, training method, attack steps) the
sections' grids train, with the library's own losses, and of their evaluation attacks; it then predicts each
network's training, evaluation (what the grid's ``eval_work`` counts: for a table, PGD on the evaluation images, the
Lipschitz estimate and the per-epoch curve; for spatial's figures, their profiles) and audit time, and each section's
core-hours. The audit's seconds per image come from the committed audits of the same architecture (the standard
version, at those audits' radius and robustness: an estimate; the 'apgd' version takes the share
benchmarks/audit_policy.py measures). Long jobs run one per core, side by side, and a job beside another
runs slower than alone (shared caches, memory bandwidth, the host), by how much depends on the network (on
2026-12-06: SmallCNN 1.42x, Net and CNN1 about 1.0x): the script measures that factor per architecture (its
TRADES step alone, then beside a second process running the same step) and states every prediction for a job
with a neighbour. A measured factor below 1 (CNN2 0.72 and CNN1_BN2 0.77 on 2026-12-06; GCNN 0.89 and MadryLeNet 0.95
on 2026-12-07) is the host's wander between the two timings, not a job that runs faster for having a neighbour:
the predictions count it as 1. Every network whose run is already stored at the profile is printed with what its
record measured (``train_seconds``, ``eval_seconds``, its audit's seconds) beside the prediction, and each section
with the ratio of the two over those networks: the check of the model against the real runs. Run on a quiet
machine.

A network must also fit one sitting: each session here starts on a fresh machine (2026-12-07: the artifact cache,
checkpoints and saved audit chunks included, did not survive from one session to the next), so a network whose
training, evaluation and audit take longer than ``--session-min`` is marked: it can only finish where a machine is
held longer, or with a cheaper schedule.
"""
import argparse
import multiprocessing
import statistics
import time
from pathlib import Path

import torch

from reprolib import attacks, data, grid, losses, models, profiles, results, sections
from reprolib.paths import REPO_ROOT

APGD_SHARE = 0.22  # of the standard version's time (benchmarks/audit_policy.py, 68 audits, 2026-12-06)


def _batch(cfg: dict, n: int):
    info = data.dataset_info(cfg["dataset"])
    return torch.rand(n, *info.shape), torch.randint(0, info.num_classes, (n,))


def train_rate(arch: str, loss, cfg: dict, batches: int = 4, repeats: int = 3) -> float:
    """Images/s of the training step (forward, backward, SGD) of ``loss`` on ``arch``, one thread: the median of
    ``repeats`` timings of ``batches`` steps (this host's speed wanders by ±20% from one second to the next: on
    2026-12-06 three steps timed once put CNN1_BN1's TRADES step at 48 images/s, eight timed twice at 54-75)."""
    model = models.build(arch).train()
    if cfg.get("channels_last", True):
        models.to_channels_last(model)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x, y = _batch(cfg, cfg["batch_size"])

    def step():
        loss_value, _ = loss(model, x, y)
        opt.zero_grad()
        loss_value.backward()
        opt.step()

    step()  # warm-up
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(batches):
            step()
        rates.append(batches * len(x) / (time.perf_counter() - t))
    return statistics.median(rates)


def attack_rate(arch: str, cfg: dict, steps: int, n: int = 128) -> float:
    """Images/s of PGD with ``steps`` steps (the evaluation attack; the Lipschitz estimate costs the same per step)."""
    model = models.build(arch).eval()
    x, y = _batch(cfg, n)
    attacks.pgd(model, x[:8], y[:8], eps=cfg["eps"], steps=1, step_size=cfg["eps"])
    t = time.perf_counter()
    attacks.pgd(model, x, y, eps=cfg["eps"], steps=steps, step_size=cfg["eps"] / 4)
    return n / (time.perf_counter() - t)


def audit_seconds_per_image(arch: str) -> float | None:
    """Mean AutoAttack seconds per image over the committed standard audits of ``arch``."""
    per = [r["autoattack_seconds"] / r["n"] for path in sorted((REPO_ROOT / "results").glob("*/*.json"))
           for r in (results.read_record(path).get("audit") or {}).get("rows", [])
           if r.get("arch") == arch and r.get("autoattack_seconds") and len(r.get("autoattack_after", {})) == 4]
    return statistics.mean(per) if per else None


def _busy(arch: str, loss, cfg: dict, stop) -> None:
    torch.set_num_threads(1)
    while not stop.is_set():
        train_rate(arch, loss, cfg, batches=1, repeats=1)


def neighbour_factor(arch: str, loss, cfg: dict, batches: int = 4) -> float:
    """Images/s of ``loss``'s training step on ``arch`` on one thread alone, divided by the same beside a second
    process running the same step (forked, one thread): how much slower a job runs next to another."""
    alone = train_rate(arch, loss, cfg, batches)
    stop = multiprocessing.get_context("fork").Event()
    neighbour = multiprocessing.get_context("fork").Process(target=_busy, args=(arch, loss, cfg, stop))
    neighbour.start()
    time.sleep(3)
    try:
        beside = train_rate(arch, loss, cfg, batches)
    finally:
        stop.set()
        neighbour.join()
    return alone / beside


def measured(method_grid, cfg: dict, arch: str, method: str, seed: int, profile: str) -> dict | None:
    """Seconds of training, evaluation and audit that the stored run of this network at ``profile`` recorded, or
    None where none is stored. Counted as the prediction counts them: training is its epochs' own seconds (a run
    trained over several sittings counts them all), and the per-epoch curve, which ``train_seconds`` includes, goes to
    the evaluation."""
    path = results.run_path(method_grid.store, profile, method_grid.run_config(cfg, arch, method, seed))
    if not path.exists():
        return None
    rec = results.read_record(path)
    total = rec.get("train_seconds") or 0.0
    epochs = sum(e.get("seconds", 0.0) for e in rec.get("history") or []) or total
    return {"train_s": epochs, "eval_s": (rec.get("eval_seconds") or 0.0) + max(0.0, total - epochs),
            "audit_s": ((rec.get("audit") or {}).get("provenance") or {}).get("seconds", 0.0)}


def predict(section: str, profile: str, cache: dict, trained: set | None = None) -> list[dict]:
    """Per network of the section's grids at ``profile``: predicted seconds of training, evaluation and audit. A
    network already in ``trained`` (its ``network_id``: another grid trains and measures the very same network the
    same way, e.g. cake's CNN1 rows and closer_look's) costs nothing: its record and audit are taken over
    (``MethodGrid._twin``); ``trained`` maps it to whether that grid audits it."""
    spec = sections.get(section)
    trained = {} if trained is None else trained
    out = []
    for method_grid, cfg in spec.sweep.grid_settings(profiles.resolve(section, profile)):
        audited = set(method_grid.audited(cfg))
        for arch, method, seed in grid.grid(cfg):
            preset = dict(method_grid.methods[method])
            name = preset.pop("method")
            preset.pop("augment", None)
            loss = losses.for_section(name, cfg, **preset)
            key = (arch, type(loss).__name__, getattr(loss, "steps", 0), cfg["dataset"], cfg["batch_size"])
            if key not in cache:
                cache[key] = train_rate(arch, loss, cfg)
            if ("beside", arch) not in cache:  # the first training step measured of the architecture
                cache[("beside", arch)] = neighbour_factor(arch, loss, cfg)
            slower = max(1.0, cache[("beside", arch)])  # below 1: the host's wander (the docstring)
            ekey = (arch, cfg["eval_steps"], cfg["dataset"])
            if ekey not in cache:
                cache[ekey] = attack_rate(arch, cfg, cfg["eval_steps"])
            n_train, n_test = grid.count(cfg, "n_train", "train"), grid.count(cfg, "n_eval_test", "test")
            aa = audit_seconds_per_image(arch)
            n_audit = min(cfg.get("n_audit") or n_test, n_test)
            share = APGD_SHARE if cfg.get("audit_version") == "apgd" else 1.0
            network = method_grid.network_id(cfg, arch, method, seed)
            shared, audit_here = network in trained, (arch, method, seed) in audited and not trained.get(network)
            out.append({"arch": arch, "method": method, "seed": seed,
                        "train_s": 0.0 if shared else slower * n_train * cfg["epochs"] / cache[key],
                        "eval_s": 0.0 if shared else (slower * method_grid.eval_work(cfg)
                                                      / (cache[ekey] * cfg["eval_steps"])),
                        "audit_s": (n_audit * aa * share) if audit_here and aa else 0.0,
                        "audit_known": aa is not None, "shared": shared,
                        "measured": None if shared else measured(method_grid, cfg, arch, method, seed, profile)})
            trained[network] = trained.get(network, False) or (arch, method, seed) in audited
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="full")
    ap.add_argument("--sections", nargs="*", default=None, help="default: every grid section with the profile")
    ap.add_argument("--session-min", type=float, default=150.0,
                    help="minutes one network's job may take (a session, less its set-up and the final checks)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = args.sections or [n for n, s in sections.registry().items()
                              if s.sweep and s.sweep.grids and args.profile in profiles.available(n)]
    cache: dict = {}
    trained: dict = {}
    print(f"torch {torch.__version__}, one thread per job; profile {args.profile}; the times below are for a job "
          f"beside another (the audits' from real runs, which ran so already)")
    for name in names:
        runs = predict(name, args.profile, cache, trained)
        for r in runs:
            job_min = (r["train_s"] + r["eval_s"] + r["audit_s"]) / 60
            print(f"  {name} {r['arch']} {r['method']} s{r['seed']}: training {r['train_s'] / 60:6.1f} min"
                  f"{' (trained and measured by an earlier section)' if r['shared'] else ''}, "
                  f"evaluation {r['eval_s'] / 60:5.1f} min, audit {r['audit_s'] / 60:6.1f} min"
                  + ("" if r["audit_known"] else " (no committed audit of this architecture: audit not counted)")
                  + (f"  ** {job_min:.0f} min: longer than a session ({args.session_min:g} min) **"
                     if job_min > args.session_min else ""))
            if m := r["measured"]:
                print(f"      its stored run measured: training {m['train_s'] / 60:6.1f} min, evaluation "
                      f"{m['eval_s'] / 60:5.1f} min, audit {m['audit_s'] / 60:6.1f} min")
        keys, left = ("train_s", "eval_s", "audit_s"), [r for r in runs if not r["measured"] and not r["shared"]]
        hours = {k: sum(r[k] for r in runs) / 3600 for k in keys}
        print(f"{name} at {args.profile}: {len(runs)} networks, {sum(hours.values()):.1f} core-hours (training "
              f"{hours['train_s']:.1f}, evaluation {hours['eval_s']:.1f}, audits {hours['audit_s']:.1f}); "
              f"≈ {sum(hours.values()) / 2:.1f} h on 2 cores, one job per core")
        if done := [r for r in runs if r["measured"]]:
            ratio = {k: sum(r["measured"][k] for r in done) / max(sum(r[k] for r in done), 1e-9)
                     for k in ("train_s", "eval_s")}
            print(f"  the {len(done)} stored networks took {ratio['train_s']:.2f}x the predicted training and "
                  f"{ratio['eval_s']:.2f}x the predicted evaluation; "
                  f"{len(left)} networks left, {sum(r[k] for r in left for k in keys) / 3600:.1f} core-hours by the "
                  f"prediction")
    print("measured images/s (one thread, alone):", {" ".join(map(str, k)): round(v, 1) for k, v in cache.items()
                                                     if k[0] != "beside"})
    print("a job beside another runs slower than alone by (measured; below 1 counted as 1):",
          {k[1]: round(v, 2) for k, v in cache.items() if k[0] == "beside"})


if __name__ == "__main__":
    main()
