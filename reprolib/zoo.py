"""The book's trained networks, kept in the repository and loadable by name.

A network that a grid trains at a budget that keeps its weights (:data:`KEPT`: ``full``) is written once, when its
training is stored, as ``weights/<paper>/<slug>@<profile>/<arch>-<method>-s<seed>.safetensors`` (safetensors: tensors
only, nothing executable), and its run record gains a ``weights`` attachment naming the file, its sha256 and size.
:func:`load` finds a network by the artifact and row it belongs to, checks the file against that hash and returns
the model in eval mode, e.g. ``reprolib.zoo.load("trades.table5", "TRADES(1/λ=6)")``, so that a reader can attack
the book's networks with an attack of their own and an audit never needs a retraining. Intermediate checkpoints
stay out of git (``$REPROLIB_ARTIFACTS``).
"""
from __future__ import annotations

import re
from pathlib import Path

import torch
import torch.nn as nn

from . import models, results
from .data import sha256_file
from .errors import ConfigError
from .paths import REPO_ROOT

KEPT = ("full",)  # the budgets whose networks are committed
FORMAT = {"format": "safetensors", "dtype": "float32"}


def weights_dir() -> Path:
    """Where kept networks live: ``<repo>/weights`` (beside the results they belong to)."""
    return results.results_dir().parent / "weights"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_")


def path_for(store: str, profile: str, arch: str, method: str, seed: int) -> Path:
    paper, _, slug = store.partition(".")
    return weights_dir() / paper / f"{slug}@{profile}" / f"{_slug(arch)}-{_slug(method)}-s{seed}.safetensors"


def write(model: nn.Module, path: Path, metadata: dict[str, str]) -> dict:
    """Save ``model``'s parameters and buffers (fp32, contiguous, standard layout) to ``path`` atomically; returns
    the attachment that names the file."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().to("cpu", torch.float32 if v.is_floating_point() else v.dtype).contiguous()
               for k, v in model.state_dict().items()}
    results.atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))
    try:
        shown = str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        shown = str(path)
    return {"file": shown, "sha256": sha256_file(path), "bytes": path.stat().st_size,
            "parameters": models.num_params(model)}


def keep(store: str, profile: str, config: dict, model_fn, *, arch: str, method: str, seed: int) -> dict | None:
    """The ``weights`` attachment of a stored run at a kept budget (written from ``model_fn()`` the first time);
    None at other budgets."""
    if profile not in KEPT:
        return None
    path = path_for(store, profile, arch, method, seed)
    meta = {"artifact": store, "profile": profile, "arch": arch, "method": method, "seed": str(seed),
            "config_hash": results.config_hash(config)}
    return results.attach(store, profile=profile, config=config, key="weights", attachment=FORMAT,
                          compute=lambda: write(model_fn(), path, meta))


def _runs(artifact: str, profile: str, root: Path | None = None):
    folder = results.sweep_dir(artifact, profile, root)
    return [results.read_record(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def find(artifact: str, method: str, *, arch: str | None = None, seed: int = 0, profile: str | None = None,
         root: Path | None = None) -> dict:
    """The run record of a kept network: the row ``method`` (and ``arch``, ``seed``) of ``artifact``'s grid at
    ``profile`` (default: the first kept budget that has it), in the records store ``root`` (default the book's)."""
    for p in [profile] if profile else KEPT:
        for rec in _runs(artifact, p, root):
            if rec.get("method") == method and rec.get("seed") == seed and arch in (None, rec.get("arch")) \
                    and rec.get("weights"):
                return rec
    kept = sorted({(r["arch"], r["method"], r["seed"]) for p in KEPT for r in _runs(artifact, p, root)
                   if r.get("weights")})
    raise ConfigError(f"no kept network {method!r} (seed {seed}) of {artifact}; kept: "
                      + (", ".join(f"{m} ({a}, seed {s})" for a, m, s in kept) or "none yet"))


def load(artifact: str, method: str, *, arch: str | None = None, seed: int = 0, profile: str | None = None,
         device: str | torch.device = "cpu", root: Path | None = None) -> nn.Module:
    """A kept network of the book, by its artifact and row name, in eval mode; its file is checked against the
    sha256 its record names (a changed file is refused)."""
    from safetensors.torch import load_file

    rec = find(artifact, method, arch=arch, seed=seed, profile=profile, root=root)
    w = rec["weights"]
    path = REPO_ROOT / w["file"] if not Path(w["file"]).is_absolute() else Path(w["file"])
    if not path.exists():
        raise ConfigError(f"{w['file']}: the weights of {method} ({artifact}) are missing; restore them from git")
    if sha256_file(path) != w["sha256"]:
        raise ConfigError(f"{w['file']}: does not match the sha256 its record names (changed or damaged); "
                          f"restore it from git")
    model = models.build(rec["arch"])
    model.load_state_dict(load_file(str(path)))
    if rec["config"].get("channels_last", True):  # the layout it was trained and measured in
        models.to_channels_last(model)
    return model.to(device).eval()
