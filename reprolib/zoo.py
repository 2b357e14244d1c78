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
BUDGET_BYTES = 64_000_000  # the kept networks' files in all (tests/test_zoo.py checks the full profiles against it)


def weights_dir() -> Path:
    """Where kept networks live: ``<repo>/weights`` (beside the results they belong to)."""
    return results.results_dir().parent / "weights"


_SPELLED = {"λ": "lambda", "β": "beta", "ε": "eps", "θ": "theta", "°": "deg"}  # the row names' symbols


def _slug(text: str) -> str:
    """A file name's part for a row name: its symbols spelt out, anything else but [A-Za-z0-9.=-] an underscore
    (``TRADES(1/λ=6)`` → ``TRADES_1_lambda=6``, ``Aug-R(90°)`` → ``Aug-R_90deg``)."""
    for symbol, word in _SPELLED.items():
        text = text.replace(symbol, word)
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_")


def path_for(store: str, profile: str, arch: str, method: str, seed: int) -> Path:
    paper, _, slug = store.partition(".")
    return weights_dir() / paper / f"{slug}@{profile}" / f"{_slug(arch)}-{_slug(method)}-s{seed}.safetensors"


def rounded(model: nn.Module, dtype: str) -> nn.Module:
    """``model`` with its floating-point parameters and buffers rounded to ``dtype`` (kept in float32): the network
    that weights stored in ``dtype`` load back to. float32: unchanged."""
    if dtype != "float32":
        with torch.no_grad():
            for t in list(model.parameters()) + list(model.buffers()):
                if t.is_floating_point():
                    t.copy_(t.to(getattr(torch, dtype)))
    return model


def write(model: nn.Module, path: Path, metadata: dict[str, str], dtype: str = "float32") -> dict:
    """Save ``model``'s parameters and buffers (in ``dtype``, contiguous, standard layout) to ``path`` atomically;
    returns the attachment that names the file."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().to("cpu", getattr(torch, dtype) if v.is_floating_point() else v.dtype).contiguous()
               for k, v in model.state_dict().items()}
    results.atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))
    try:
        shown = str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        shown = str(path)
    return {"file": shown, "sha256": sha256_file(path), "bytes": path.stat().st_size, "dtype": dtype,
            "parameters": models.num_params(model)}


def _already_kept(network: str, profile: str) -> dict | None:
    """The ``weights`` attachment of the same network kept by another grid's run (its file present), if any."""
    for path in sorted(results.results_dir().glob(f"*/*@{profile}/*.json")):
        w = results.read_record(path).get("weights") or {}
        if w.get("network") == network and _file(w).exists():
            return {k: v for k, v in w.items() if k not in ("config", "config_hash", "provenance", "reused")}
    return None


def keep(store: str, profile: str, config: dict, model_fn, *, arch: str, method: str, seed: int,
         network: str) -> dict | None:
    """The ``weights`` attachment of a stored run at a kept budget (written from ``model_fn()`` the first time, or
    naming the file of the same ``network`` another grid already keeps: one file in git); None at other
    budgets."""
    if profile not in KEPT:
        return None
    path = path_for(store, profile, arch, method, seed)
    dtype = config.get("weights_dtype", "float32")
    meta = {"artifact": store, "profile": profile, "arch": arch, "method": method, "seed": str(seed),
            "config_hash": results.config_hash(config), "network": network}
    return results.attach(store, profile=profile, config=config, key="weights",
                          attachment={"format": "safetensors", "dtype": dtype},
                          compute=lambda: _already_kept(network, profile)
                          or {**write(model_fn(), path, meta, dtype), "network": network})


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
    rec = find(artifact, method, arch=arch, seed=seed, profile=profile, root=root)
    return _model(rec, artifact).to(device).eval()


def kept_network(store: str, config: dict) -> nn.Module | None:
    """The kept network of the run stored with exactly ``config`` in ``store`` at a kept budget, if the repository
    has it (what a fresh checkout audits instead of retraining); else None."""
    for profile in KEPT:
        path = results.run_path(store, profile, config)
        rec = results.read_record(path) if path.exists() else {}
        if rec.get("weights") and rec.get("config_hash") == results.config_hash(config):
            return _model(rec, store).eval()
    return None


def _file(weights: dict) -> Path:
    return REPO_ROOT / weights["file"] if not Path(weights["file"]).is_absolute() else Path(weights["file"])


def _model(rec: dict, artifact: str) -> nn.Module:
    """The network a run record's ``weights`` attachment names, checked against its sha256."""
    from safetensors.torch import load_file

    w = rec["weights"]
    path = _file(w)
    if not path.exists():
        raise ConfigError(f"{w['file']}: the weights of {rec['method']} ({artifact}) are missing; restore them "
                          f"from git")
    if sha256_file(path) != w["sha256"]:
        raise ConfigError(f"{w['file']}: does not match the sha256 its record names (changed or damaged); "
                          f"restore it from git")
    model = models.build(rec["arch"])
    model.load_state_dict(load_file(str(path)))
    if rec["config"].get("channels_last", True):  # the layout it was trained and measured in
        models.to_channels_last(model)
    return model
