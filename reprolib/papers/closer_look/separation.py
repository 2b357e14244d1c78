"""closer_look §3 (Table 1, Fig 3) and cake Table 2: exact ℓ∞ separation of real image datasets.

One section, ``closer_look/separation``, computes both papers' tables: MNIST, CIFAR-10 and SVHN go to the
record ``closer_look.table1``, Fashion-MNIST to ``cake.table2`` (cake's page links here). The search itself
is the shared :mod:`reprolib.separation`.
"""
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import data, results
from ...claims import claim
from ...plotting import PALETTE
from ...separation import min_separation, nearest_other_label
from .values import SEPARATION


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
    frames = [pd.DataFrame({"dataset": r["dataset"], "distance": np.arange(256) / 255,
                            "count": r["test_train_counts"]}) for r in record["rows"]]
    return pd.concat(frames, ignore_index=True)


def separation_histogram(frame: pd.DataFrame, minima: dict[str, float], eps: dict[str, float]) -> plt.Figure:
    """Fraction of test points per separation bin (20 bins on [0, 1]); dashed: min (= 2r), dotted: 2ε."""
    datasets = list(dict.fromkeys(frame["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.6), squeeze=False, sharey=True)
    colours = sns.color_palette(PALETTE, len(datasets))
    for ax, name, colour in zip(axes[0], datasets, colours):
        sub = frame[frame["dataset"] == name]
        sns.histplot(x=sub["distance"], weights=sub["count"] / sub["count"].sum(), bins=20, binrange=(0, 1),
                     stat="count", color=colour, ax=ax)
        ax.axvline(minima[name], ls="--", color="black", lw=1.2, label=f"min = 2r = {minima[name]:.3f}")
        if eps.get(name) is not None:
            ax.axvline(2 * eps[name], ls=":", color="crimson", lw=1.5, label=f"2ε = {2 * eps[name]:g}")
        ax.set(title=name, xlabel="L∞ distance to nearest other-class training image (pixels in [0,1])",
               ylabel="fraction of test points", xlim=(0, 1))
        ax.xaxis.label.set_size(8)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
