"""spatial Table 1 (MNIST): StdCNN and its p4 GCNN twin, layer by layer, with their parameter counts, their measured
cost per training epoch on this machine, and the GCNN's 90° equivariance shown numerically."""
from __future__ import annotations

import time

import pandas as pd
import torch
import torch.nn as nn

from ... import data, losses, models, results
from ...claims import claim
from ...gcnn import rot90_field
from ...parallel import limited_threads

PAPER_PARAMS = {"StdCNN": 23_010, "GCNN": 89_910}  # REPRO_SPEC Part II §2.9
PAPER_MACS = {"StdCNN": 1.0e6, "GCNN": 15.2e6}


def layer_table(arch: str) -> list[dict]:
    """Each leaf layer's type, output shape (one MNIST image) and parameter count, from a forward pass."""
    model, rows = models.build(arch).eval(), []

    def hook(mod, _, out):
        rows.append({"layer": type(mod).__name__, "output": "×".join(map(str, out.shape[1:])),
                     "params": sum(p.numel() for p in mod.parameters(recurse=False))})

    leaves = [m for m in model.modules() if not list(m.children()) and not isinstance(m, nn.Identity)]
    handles = [m.register_forward_hook(hook) for m in leaves]
    with torch.no_grad():
        model(torch.rand(1, 1, 28, 28))
    for h in handles:
        h.remove()
    return rows


def _epoch_seconds(model, loss_fn, x, y, batch_size: int, n_batches: int, epoch_images: int) -> float:
    """Seconds per ``epoch_images`` images of training, timed on ``n_batches`` batches after one warm-up."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    model.train()
    for b in range(n_batches + 1):
        if b == 1:
            t = time.perf_counter()
        xb, yb = x[b * batch_size:(b + 1) * batch_size], y[b * batch_size:(b + 1) * batch_size]
        loss, _ = loss_fn(model, xb, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - t) / (n_batches * batch_size) * epoch_images


def measure(cfg: dict) -> dict:
    """Layer tables, parameter counts, per-epoch costs (natural and PGD-10 training, ``threads`` threads) and the
    equivariance errors of both feature stacks under a 90° rotation."""
    torch.manual_seed(cfg["seed"])
    split = data.load("mnist", "train").subset(cfg["n_time"] * cfg["batch_size"], seed=0)
    x, y = split.float(), split.y
    with limited_threads(cfg["threads"]):
        out = {}
        for arch in cfg["archs"]:
            model = models.build(arch)
            kw = dict(batch_size=cfg["batch_size"], n_batches=cfg["n_time"] - 1, epoch_images=60000)
            natural = _epoch_seconds(model, losses.build("natural"), x, y, **kw)
            at = _epoch_seconds(model, losses.build("at", eps=0.1, steps=10, step_size=0.025), x, y, **kw)
            xe = x[:cfg["n_equivariance"]]
            with torch.no_grad():
                model.eval()
                rotated = model.features(torch.rot90(xe, 1, dims=(-2, -1)))
                plain = model.features(xe)
            # the GCNN's p4 field rotates its maps and shifts its orientation axis; a CNN's maps can only rotate
            expected = rot90_field(plain) if arch == "GCNN" else torch.rot90(plain, 1, dims=(-2, -1))
            err = float((rotated - expected).abs().max())
            with torch.no_grad():
                logits_change = float((model(torch.rot90(xe, 1, dims=(-2, -1))) - model(xe)).abs().max())
            out[arch] = {"arch": arch, "layers": layer_table(arch), "params": models.num_params(model),
                         "paper_params": PAPER_PARAMS.get(arch), "paper_macs": PAPER_MACS.get(arch),
                         "epoch_seconds_natural": natural, "epoch_seconds_pgd10": at,
                         "equivariance_error": err, "feature_scale": float(plain.abs().max()),
                         "logits_change": logits_change}
        return {"rows": list(out.values()), "threads": cfg["threads"], "claims": claims(out), "status": "reproduced"}


def claims(archs: dict[str, dict]) -> list[dict]:
    out = [claim(f"spatial.table1.{a}.params", f"{a} has the paper's parameter count", r["params"] == r["paper_params"],
                 f"{r['params']:,} (paper {r['paper_params']:,})") for a, r in archs.items() if r["paper_params"]]
    if "GCNN" in archs:
        g = archs["GCNN"]
        out.append(claim("spatial.table1.GCNN.equivariant", "The GCNN's feature maps are exactly equivariant to 90° "
                         "rotations (error below 1e-5 of their scale)",
                         g["equivariance_error"] < 1e-5 * g["feature_scale"],
                         f"max error {g['equivariance_error']:.1e}, maps up to {g['feature_scale']:.1f}"))
    if "StdCNN" in archs:
        s = archs["StdCNN"]
        out.append(claim("spatial.table1.StdCNN.not_equivariant", "StdCNN's feature maps are not (a visible error)",
                         s["equivariance_error"] > 1e-2 * s["feature_scale"],
                         f"max error {s['equivariance_error']:.2f}, maps up to {s['feature_scale']:.1f}"))
    return out


def params_frame(record: dict) -> pd.DataFrame:
    rows = {a: {"parameters": r["params"], "paper": r["paper_params"], "Δ": r["params"] - r["paper_params"],
                "MACs": r["paper_macs"], "epoch, s": r["epoch_seconds_natural"],
                "PGD-10 epoch, s": r["epoch_seconds_pgd10"], "equiv. error": r["equivariance_error"],
                "logit change": r["logits_change"]} for a, r in ((r["arch"], r) for r in record["rows"])}
    return pd.DataFrame.from_dict(rows, orient="index")


def run_networks(cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
    return {"spatial.table1": results.cached("spatial.table1", profile=profile, config=cfg, recompute=recompute,
                                             compute=lambda: measure(cfg))}
