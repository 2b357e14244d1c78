"""closer_look experiments (Yang et al. 2020): separation (§3), Table 2 (§5.2), as result records.

Each ``compute_*`` returns the dict that :func:`reprolib.results.cached` stores; each ``*_claims``
turns a record's rows into pass/fail checks of the paper's qualitative claims.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from . import data, losses, metrics, models, results
from .claims import claim
from .paper_values import CLOSER_LOOK_TABLE2, SEPARATION
from .paths import artifacts_dir
from .profiles import CLOSER_LOOK_METHODS
from .separation import min_separation, nearest_other_label
from .train import TrainConfig, default_device, fit

# ----------------------------------------------------------------------------- separation


def compute_separation(cfg: dict, progress: bool = True) -> dict:
    """Exact L-inf separation per dataset: minima, the attaining pairs, and a 1/255-bin test-train histogram."""
    rows, t0 = [], time.perf_counter()
    for name in cfg["datasets"]:
        train = data.load(name, "train").subset(cfg["n_train"], seed=cfg["seed"])
        test = data.load(name, "test").subset(cfg["n_test"], seed=cfg["seed"])
        t = time.perf_counter()
        tt_k, ti, tj = min_separation(train.x, train.y, train.x, train.y, progress=progress,
                                      desc=f"{name} train-train")
        t_tt = time.perf_counter() - t
        t = time.perf_counter()
        te, _ = nearest_other_label(test.x, test.y, train.x, train.y, progress=progress, desc=f"{name} test-train")
        t_te = time.perf_counter() - t
        paper = SEPARATION.get(name, {})
        rows.append({
            "dataset": name, "n_train": len(train), "n_test": len(test),
            "train_train_k": tt_k, "test_train_k": int(te.min()),
            "train_train": tt_k / 255, "test_train": int(te.min()) / 255,
            "train_train_pair": [ti, tj], "test_train_argmin": int(te.argmin()),
            "eps": paper.get("eps"), "seconds_train_train": round(t_tt, 2), "seconds_test_train": round(t_te, 2),
            # exact per-point test-train distances as counts per k/255 (k = 0..255)
            "test_train_counts": np.bincount(te.numpy(), minlength=256)[:256].tolist(),
            "paper": {k: paper[k] for k in ("train_train", "test_train") if k in paper},
            "paper_source": paper.get("source"),
        })
    full = all(r["n_train"] == 60000 for r in rows)
    return {"rows": rows, "claims": separation_claims(rows), "seconds": time.perf_counter() - t0,
            "status": "reproduced" if full else "partial",
            "notes": "exact search on uint8 pixels; distances are k/255" + ("" if full else "; subsets only")}


SEPARATION_ARTIFACTS = {"mnist": "closer_look.table1", "cifar10": "closer_look.table1",
                        "svhn": "closer_look.table1", "fashion_mnist": "cake.table2"}


def run_separation(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    """closer_look Table 1 (MNIST, CIFAR-10, SVHN) and cake Table 2 (Fashion-MNIST), each its own record."""
    out = {}
    for artifact in dict.fromkeys(SEPARATION_ARTIFACTS[d] for d in cfg["datasets"]):
        sub = {**cfg, "datasets": [d for d in cfg["datasets"] if SEPARATION_ARTIFACTS[d] == artifact]}
        out[artifact] = results.cached(artifact, profile=profile, config=sub, recompute=recompute,
                                       compute=lambda sub=sub: compute_separation(sub, progress))
    return out


def separation_claims(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        if r.get("eps") is None:
            continue
        two_eps = 2 * r["eps"]
        out.append(claim(f"closer_look.table1.{r['dataset']}_separated",
                         f"{r['dataset']}: train-train and test-train separation exceed 2ε = {two_eps:g}",
                         min(r["train_train"], r["test_train"]) > two_eps,
                         f"{r['train_train']:.3f} / {r['test_train']:.3f} vs 2ε = {two_eps:g}"))
    return out


def histogram_frame(record: dict):
    """Long DataFrame (dataset, distance, count) of the exact test-train separations."""
    import pandas as pd

    frames = [pd.DataFrame({"dataset": r["dataset"], "distance": np.arange(256) / 255,
                            "count": r["test_train_counts"]}) for r in record["rows"]]
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- Table 2


def run_config(cfg: dict, arch: str, method: str, seed: int) -> dict:
    """The stored configuration of one (arch, method, seed) run: the shared settings without the grid, plus the
    method's preset, so that changing a preset (say TRADES' beta) never reuses a stale run."""
    base = {k: v for k, v in cfg.items() if k not in GRID_KEYS}
    return {**base, "arch": arch, "method": method, "method_spec": CLOSER_LOOK_METHODS[method], "seed": seed}


def _train_eval(cfg: dict, arch: str, method: str, seed: int, progress: bool) -> dict:
    torch.manual_seed(seed)
    dev = default_device()

    def tensors(split):
        return split.float().to(dev), split.y.to(dev)

    ds = data.load(cfg["dataset"], "train")
    x, y = tensors(ds.subset(cfg["n_train"], seed=seed))
    spec = dict(CLOSER_LOOK_METHODS[method])
    name = spec.pop("method")
    if name in ("at", "rst", "trades"):
        spec.update(eps=cfg["eps"], steps=cfg["attack_steps"], step_size=cfg["attack_step_size"])
    elif name == "llr":  # 2 steps of eps/2 (closer_look code)
        spec.update(eps=cfg["eps"], step_size=cfg["eps"] / 2)
    loss_fn = losses.build(name, **spec)
    tcfg = TrainConfig(epochs=cfg["epochs"], batch_size=cfg["batch_size"], optimizer=cfg["optimizer"], lr=cfg["lr"],
                       momentum=cfg["momentum"], milestones=tuple(cfg["milestones"]), reduction=cfg["reduction"],
                       precision=cfg["precision"], seed=seed)
    model = models.build(arch).to(dev)
    run_id = results.config_hash({**run_config(cfg, arch, method, seed), "seed": None})[:10]
    ckpt = artifacts_dir() / "closer_look" / "table2" / f"{arch}-{name}-{run_id}-s{seed}.pt"
    hist = fit(model, x, y, loss_fn=loss_fn, cfg=tcfg, checkpoint=ckpt, progress=progress, desc=f"{arch} {method}")
    ev_train = tensors(ds.subset(cfg["n_eval_train"], seed=seed + 1))
    test = tensors(data.load(cfg["dataset"], "test").subset(cfg["n_eval_test"], seed=0))
    t = time.perf_counter()
    m = metrics.evaluate(model, ev_train, test, eps=cfg["eps"], steps=cfg["eval_steps"],
                         step_size=cfg["eval_step_size"], lip_steps=cfg["lip_steps"],
                         lip_step_size=cfg["lip_step_size"], progress=progress)
    return {"arch": arch, "method": method, "seed": seed, **m, "train_seconds": round(hist.seconds, 1),
            "eval_seconds": round(time.perf_counter() - t, 1), "final_epoch": hist.epochs[-1]}


GRID_KEYS = ("archs", "methods", "seeds", "spread_methods", "spread_seeds")


def table2_grid(cfg: dict) -> list[tuple[str, str, int]]:
    """(arch, method, seed) in the order they run: every method with the first seeds, then the spread seeds."""
    grid = [(a, m, s) for a in cfg["archs"] for s in cfg["seeds"] for m in cfg["methods"]]
    grid += [(a, m, s) for a in cfg["archs"] for s in cfg["spread_seeds"] for m in cfg["spread_methods"]
             if m in cfg["methods"] and s not in cfg["seeds"]]
    return grid


def compute_table2(cfg: dict, profile: str, recompute: bool = False, progress: bool = True,
                   artifact: str = "closer_look.table2", claims_fn=None) -> dict:
    """Train and evaluate every (arch, method, seed); each is stored as soon as it finishes (resumable sweep).

    ``claims_fn(rows)`` checks the paper's claims (default: Table 2's); Tables 3 and 4 reuse this sweep.
    A run's stored configuration leaves out the grid, so growing the grid never invalidates finished runs.
    """
    rows = []
    for arch, method, seed in table2_grid(cfg):
        rec = results.cached_run(artifact, profile=profile, recompute=recompute,
                                 config=run_config(cfg, arch, method, seed),
                                 compute=lambda: _train_eval(cfg, arch, method, seed, progress))
        row = {k: rec[k] for k in ("arch", "method", "seed", "train_acc", "test_acc", "adv_train_acc",
                                   "adv_test_acc", "lipschitz", "lipschitz_c1", "gap", "adv_gap",
                                   "train_seconds", "eval_seconds")}
        row["paper"] = CLOSER_LOOK_TABLE2.get(arch, {}).get(method, {})
        rows.append(row)
    seeds = sorted({r["seed"] for r in rows})
    return {"rows": rows, "claims": (claims_fn or table2_claims)(rows), "seeds": seeds,
            "status": "partial" if profile != "paper" else "reproduced",
            "notes": "scaled down (training subset, few epochs, evaluation subsets): see the Deviations box"}


def _run_grid(artifact: str, cfg: dict, profile: str, recompute: bool, progress: bool, claims_fn=None,
              notes: str | None = None) -> dict[str, dict]:
    """One record for a whole (arch, method, seed) sweep of :func:`compute_table2`."""
    def compute():
        out = compute_table2(cfg, profile, recompute=recompute, progress=progress, artifact=artifact,
                             claims_fn=claims_fn)
        return {**out, "notes": notes} if notes else out

    config = {**cfg, "method_specs": {m: CLOSER_LOOK_METHODS[m] for m in cfg["methods"]}}
    return {artifact: results.cached(artifact, profile=profile, config=config, recompute=recompute,
                                     compute=compute)}


def run_table2(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    return _run_grid("closer_look.table2", cfg, profile, recompute, progress)


def run_table3(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    """closer_look Table 3's CIFAR-10 rows (the ``paper`` profile); other profiles do not rerun it."""
    if not cfg["rerun"]:
        return {}
    return _run_grid("closer_look.table3", cfg, profile, recompute, progress, claims_fn=lambda rows: [],
                     notes="CIFAR-10 rows, without the paper's crop/flip augmentation")


def run_table4(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    """closer_look Table 4's protocol (with vs without dropout) on the dataset of ``cfg``."""
    return _run_grid("closer_look.table4", cfg, profile, recompute, progress, claims_fn=table4_claims,
                     notes=f"proxy on {cfg['dataset']} (the paper uses SVHN and CIFAR-10), scaled down")


def table4_claims(rows: list[dict]) -> list[dict]:
    """closer_look §5.3: dropout narrows the (adversarial) train-test gap of robust training."""
    out = []
    for method in ("AT", "TRADES(β=6)", "RST(λ=2)", "TRADES(β=3)"):
        with_d, without = _mean(rows, "CNN2", method, "adv_gap"), _mean(rows, "CNN2-nodropout", method, "adv_gap")
        if None not in (with_d, without):
            out.append(claim(f"closer_look.table4.{method}_dropout_gap",
                             f"{method}: the adversarial train-test gap is smaller with dropout",
                             with_d < without, f"with dropout {with_d:+.1%}, without {without:+.1%}"))
    return out


def run_existence(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    return {"closer_look.thm4_2": results.cached("closer_look.thm4_2", profile=profile, config=cfg,
                                                 recompute=recompute, compute=lambda: compute_existence(cfg, progress))}


def _mean(rows: list[dict], arch: str, method: str, key: str) -> float | None:
    vals = [r[key] for r in rows if r["arch"] == arch and r["method"] == method]
    return float(np.mean(vals)) if vals else None


def table2_claims(rows: list[dict]) -> list[dict]:
    """closer_look §5.2 claims as checks (REPRO_SPEC 'shape that must hold'), per architecture."""
    out = []
    for arch in sorted({r["arch"] for r in rows}):
        def g(method, key):
            return _mean(rows, arch, method, key)

        nat_l, at_l, t6_l, t1_l = (g(m, "lipschitz") for m in ("Natural", "AT", "TRADES(β=6)", "TRADES(β=1)"))
        if None not in (nat_l, at_l, t6_l):
            out.append(claim(f"closer_look.table2.{arch}.robust_smoother",
                             f"{arch}: Natural's Lipschitz constant is at least twice AT's and TRADES(β=6)'s",
                             nat_l >= 2 * at_l and nat_l >= 2 * t6_l,
                             f"Natural {nat_l:.2f}, AT {at_l:.2f}, TRADES(β=6) {t6_l:.2f}"))
        if None not in (t1_l, t6_l):
            out.append(claim(f"closer_look.table2.{arch}.beta_smooths",
                             f"{arch}: TRADES' Lipschitz constant falls from β=1 to β=6",
                             t1_l > t6_l, f"β=1 {t1_l:.2f} vs β=6 {t6_l:.2f}"))
        lips = {m: g(m, "lipschitz") for m in {r["method"] for r in rows if r["arch"] == arch}}
        if "TRADES(β=6)" in lips and len(lips) > 2:
            lowest = min(lips, key=lips.get)
            out.append(claim(f"closer_look.table2.{arch}.trades_smoothest",
                             f"{arch}: TRADES(β=6) has the lowest Lipschitz constant of all methods",
                             lowest == "TRADES(β=6)", f"lowest: {lowest} ({lips[lowest]:.2f})"))
        nat_a = g("Natural", "adv_test_acc")
        paper = CLOSER_LOOK_TABLE2.get(arch, {})
        # REPRO_SPEC's cpu criterion (set for CNN1): +15 points. The paper's own CNN2 margins are about 12 points,
        # so for other architectures the check is the paper's qualitative claim: more robust than Natural.
        margin = 0.15 if arch == "CNN1" else 0.0
        for m in ("AT", "RST(λ=1)", "TRADES(β=6)"):
            a = g(m, "adv_test_acc")
            if None not in (nat_a, a):
                text = (f"{arch}: {m}'s adversarial test accuracy is ≥ Natural's + 15 points" if margin else
                        f"{arch}: {m} is more robust than Natural (higher adversarial test accuracy)")
                evidence = f"{m} {a:.1%} vs Natural {nat_a:.1%}"
                if m in paper and "Natural" in paper:
                    evidence += (f" (margin {a - nat_a:+.1%}; paper "
                                 f"{paper[m]['adv_test_acc'] - paper['Natural']['adv_test_acc']:+.1%})")
                passed = a >= nat_a + margin if margin else a > nat_a
                out.append(claim(f"closer_look.table2.{arch}.{m}_robust", text, passed, evidence))
        nat_gap = g("Natural", "adv_gap")
        for m in ("AT", "TRADES(β=1)"):
            gap = g(m, "adv_gap")
            if None not in (nat_gap, gap):
                out.append(claim(f"closer_look.table2.{arch}.{m}_adv_gap",
                                 f"{arch}: {m} has a larger adversarial train-test gap than Natural",
                                 gap > nat_gap, f"{m} {gap:+.1%} vs Natural {nat_gap:+.1%}"))
    return out


# ----------------------------------------------------------------------------- Thm 4.2 construction


def compute_existence(cfg: dict, progress: bool = True) -> dict:
    """Check the distance-to-class construction on real data: margins, Lipschitz bound, robustness."""
    from . import construction as C

    rows, t0 = [], time.perf_counter()
    g = torch.Generator().manual_seed(cfg["seed"])
    for name in cfg["datasets"]:
        train = data.load(name, "train").subset(cfg["n_train"], seed=cfg["seed"])
        test = data.load(name, "test").subset(cfg["n_test"], seed=cfg["seed"])
        r_k = min_separation(train.x, train.y, train.x, train.y, progress=progress,
                             desc=f"{name} separation")[0] / 2  # r in uint8 units
        eps_k = int(SEPARATION.get(name, {}).get("eps", 0.1) * 255 + 1e-9)  # the paper's eps, on the pixel grid
        below_r = int(np.ceil(r_k)) - 1              # largest perturbation strictly inside radius r
        pick = torch.randperm(len(train), generator=g)[:cfg["n_pairs"]]
        xs, ys = train.x[pick], train.y[pick]
        d_tr, i_tr = C.class_distances(xs, train.x, train.y, progress=progress)
        adv_r = C.directed_attack(xs, ys, d_tr, i_tr, train.x, below_r)
        d_adv_r, _ = C.class_distances(adv_r, train.x, train.y)
        noise = torch.randint(-eps_k, eps_k + 1, xs.shape, generator=g, dtype=torch.int16)
        xs_noisy = (xs.to(torch.int16) + noise).clamp(0, 255).to(torch.uint8)
        d_noisy, _ = C.class_distances(xs_noisy, train.x, train.y)
        lip = C.lipschitz_pairs(torch.cat([xs, xs]), torch.cat([xs_noisy, adv_r]), torch.cat([d_tr, d_tr]),
                                torch.cat([d_noisy, d_adv_r]), r_k)
        d_te, i_te = C.class_distances(test.x, train.x, train.y, progress=progress)
        pred_te, ties_te = C.predict(d_te)
        adv_te = C.directed_attack(test.x, test.y, d_te, i_te, train.x, eps_k)
        d_adv_te, _ = C.class_distances(adv_te, train.x, train.y)
        rows.append({
            "dataset": name, "n_train": len(train), "n_check_train": len(xs), "n_test": len(test),
            "r": r_k / 255, "eps": eps_k / 255, "eps_below_r": below_r / 255,
            "train_min_margin": float(C.margin(d_tr, ys, r_k).min()),
            "train_acc": float((C.predict(d_tr)[0] == ys).float().mean()),
            "train_adv_acc_below_r": float((C.predict(d_adv_r)[0] == ys).float().mean()),
            "lipschitz_max_ratio_times_r": lip["max_ratio_times_r"], "lipschitz_holds": lip["holds"],
            "test_acc": float((pred_te == test.y).float().mean()), "test_tie_rate": float(ties_te.float().mean()),
            "test_adv_acc": float((C.predict(d_adv_te)[0] == test.y).float().mean()),
            "test_certified_acc": float((C.certified_radius(d_te, test.y) >= eps_k / 255).float().mean()),
        })
    claims_ = []
    for r in rows:
        claims_ += [
            claim(f"closer_look.thm4_2.{r['dataset']}.margin", f"{r['dataset']}: margin ≥ 2 at every checked training point",
                  r["train_min_margin"] >= 2, f"smallest margin {r['train_min_margin']:.3f}"),
            claim(f"closer_look.thm4_2.{r['dataset']}.lipschitz", f"{r['dataset']}: every f_i is 1/r-Lipschitz on the checked pairs",
                  r["lipschitz_holds"], f"max |Δf|·r/‖Δx‖ = {r['lipschitz_max_ratio_times_r']:.3f} (≤ 1)"),
            claim(f"closer_look.thm4_2.{r['dataset']}.astute", f"{r['dataset']}: training points stay correct under the attack just inside r",
                  r["train_adv_acc_below_r"] == 1.0, f"robust training accuracy {r['train_adv_acc_below_r']:.1%} at ε = {r['eps_below_r']:.3f}"),
        ]
    return {"rows": rows, "claims": claims_, "seconds": time.perf_counter() - t0,
            "status": "reproduced" if all(r["n_train"] >= 60000 for r in rows) else "partial",
            "notes": "the theorem's construction checked on real data; the spiral of Fig 4 is drawn, not compared numerically"}


def spiral(n: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spirals (closer_look Fig 4 style), scaled into [0.05, 0.95]^2; labels 1 / 0."""
    t = torch.linspace(np.pi / 2, 3 * np.pi, n, dtype=torch.float64)
    pos = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / (3 * np.pi)
    x = torch.cat([pos, -pos])
    x = 0.5 + 0.45 * x / x.abs().max()
    return x.float(), torch.cat([torch.ones(n), torch.zeros(n)]).long()


def binary_construction(x: torch.Tensor, y: torch.Tensor, grid: torch.Tensor) -> tuple[torch.Tensor, float]:
    """closer_look Thm 4.4: f(z) = (dist(z, X-) - dist(z, X+)) / (2r) in L-inf, evaluated on ``grid``; returns (f, r)."""
    pos, neg = x[y == 1].double(), x[y == 0].double()
    r = torch.cdist(pos, neg, p=float("inf")).min().item() / 2
    gd = grid.double()
    f = (torch.cdist(gd, neg, p=float("inf")).min(1).values - torch.cdist(gd, pos, p=float("inf")).min(1).values)
    return f / (2 * r), r


TABLE2_METRICS = ("train_acc", "test_acc", "adv_train_acc", "adv_test_acc", "lipschitz", "lipschitz_c1", "gap",
                  "adv_gap")


def table2_summary(rows: list[dict]) -> list[dict]:
    """Mean (and standard deviation over seeds) per (arch, method), with the paper's values attached."""
    out: dict[tuple, dict] = {}
    for r in rows:
        out.setdefault((r["arch"], r["method"]), []).append(r)
    summary = []
    for (arch, method), group in out.items():
        s = {"arch": arch, "method": method, "n_seeds": len(group),
             "paper": CLOSER_LOOK_TABLE2.get(arch, {}).get(method, {})}
        for k in TABLE2_METRICS:
            vals = np.array([g[k] for g in group], dtype=float)
            s[k] = float(vals.mean())
            s[f"{k}_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else None
        summary.append(s)
    return summary


# Each section's computation, as the notebooks and ``python -m reprolib compute`` call it.
SECTIONS = {"closer_look/separation": run_separation, "closer_look/existence": run_existence,
            "closer_look/table2": run_table2, "closer_look/dropout": run_table4,
            "closer_look/table3": run_table3}


def construction_vs_trained(existence_rows: list[dict], table2_record: dict | None, dataset: str = "mnist",
                            methods: tuple[str, ...] = ("Natural", "AT", "TRADES(β=6)")):
    """The construction next to trained CNN1s of Table 2 (same profile): train/test, clean/adversarial accuracy."""
    import pandas as pd

    c = next(r for r in existence_rows if r["dataset"] == dataset)
    out = [{"classifier": "construction of Thm 4.2", "attack": "move towards nearest other class",
            "adv. train acc.": c["train_adv_acc_below_r"], "test acc.": c["test_acc"], "adv. test acc.": c["test_adv_acc"]}]
    if table2_record is not None and dataset == table2_record["config"]["dataset"]:
        for s in table2_summary(table2_record["rows"]):
            if s["method"] in methods:
                out.append({"classifier": f"{s['arch']} {s['method']} (trained, {s['n_seeds']} seed(s))",
                            "attack": "PGD-10", "adv. train acc.": s["adv_train_acc"], "test acc.": s["test_acc"],
                            "adv. test acc.": s["adv_test_acc"]})
    return pd.DataFrame(out).set_index("classifier")
