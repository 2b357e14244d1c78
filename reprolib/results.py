"""Results store: small JSON records with provenance, reused when the configuration matches.

One shape for every chapter (``shared/RESULTS.md``): ``results/<paper>/<slug>.json`` for the
``cpu`` profile (what the book publishes) and ``<slug>@<profile>.json`` for the others. A
sweep writes one record per configuration under ``results/<paper>/<slug>/<hash>.json`` so
that an interrupted sweep loses at most the configuration it was running.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch

from .errors import ConfigError
from .paths import REPO_ROOT, results_dir

SCHEMA = 1
STATUSES = ("reproduced", "partial", "paper-profile-only", "not-reproduced")


def config_hash(config: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a configuration (key order does not matter)."""
    canonical = json.dumps({"schema": SCHEMA, **config}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def artifact_path(artifact: str, profile: str, root: Path | None = None) -> Path:
    """``closer_look.table2`` -> ``results/closer_look/table2.json`` (``@<profile>`` unless cpu)."""
    paper, _, slug = artifact.partition(".")
    if not slug:
        raise ConfigError(f"artifact '{artifact}' must look like '<paper>.<slug>'")
    name = slug if profile == "cpu" else f"{slug}@{profile}"
    return Path(root or results_dir()) / paper / f"{name}.json"


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write JSON to a temporary file in the same folder, then rename: never a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_PROCESS_COMMIT: str | None = None


def _git_commit() -> str:
    """The commit of the code this process runs: read once, when the first result is made (after import)."""
    global _PROCESS_COMMIT
    if _PROCESS_COMMIT is None:
        _PROCESS_COMMIT = _read_git_commit()
    return _PROCESS_COMMIT


def _read_git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "reprolib"],
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        return (sha or "unknown") + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(seconds: float, seeds: list[int] | None = None, commit: str | None = None) -> dict[str, Any]:
    """Where a result came from. ``commit`` should be read *before* the computation starts (the code that ran)."""
    from . import __version__

    processes = world()[1]
    return {
        "commit": commit or _git_commit(), "reprolib": __version__, "torch": torch.__version__.split("+")[0],
        "device": "cpu" if not torch.cuda.is_available() else torch.cuda.get_device_name(),
        "cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
        "seeds": list(seeds or []), "seconds": round(float(seconds), 2),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **({"processes": processes} if processes > 1 else {}),
    }


def load(artifact: str, profile: str = "cpu", root: Path | None = None) -> dict[str, Any] | None:
    path = artifact_path(artifact, profile, root)
    if not path.exists():
        return None
    with open(path) as f:
        return json.load(f)


def world() -> tuple[int, int]:
    """(rank, world size) of this process; (0, 1) outside ``torchrun``."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _from_rank0(value: Any) -> Any:
    """Under ``torchrun`` every process must take the same branch (training has collectives): rank 0 decides."""
    if world()[1] == 1:
        return value
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _read_stored(path: Path, h: str, recompute: bool) -> dict[str, Any] | None:
    if recompute or not path.exists():
        return None
    with open(path) as f:
        record = json.load(f)
    return record if record.get("config_hash") == h else None


def _stored(path: Path, h: str, recompute: bool) -> dict[str, Any] | None:
    """The record at ``path`` if it exists, is not to be recomputed, and was made for config hash ``h``
    (as rank 0 sees it, for every process of a distributed run)."""
    record = _from_rank0(_read_stored(path, h, recompute) if world()[0] == 0 else None)
    if record is not None:
        record["reused"] = True
    return record


def _compute_and_store(path: Path, head: dict[str, Any], compute: Callable[[], dict[str, Any]],
                       shape: Callable[[dict, float, str], dict[str, Any]]) -> dict[str, Any]:
    """Every process computes (a distributed training needs them all); only rank 0 writes."""
    commit, t0 = _git_commit(), time.perf_counter()
    out = dict(compute())
    record = {**head, **shape(out, time.perf_counter() - t0, commit)}
    if world()[0] == 0:
        atomic_write_json(path, record)
    record["reused"] = False
    return record


def cached(artifact: str, *, profile: str, config: dict[str, Any], compute: Callable[[], dict[str, Any]],
           recompute: bool = False, root: Path | None = None) -> dict[str, Any]:
    """The stored record of ``artifact`` if its config hash matches ``config``; else compute and store it.

    ``compute()`` returns a dict with ``rows`` (list of dicts) and optionally ``claims``, ``status``,
    ``notes``, ``seeds``, ``seconds`` and any extra small fields. The returned record has ``reused`` set.
    """
    path, h = artifact_path(artifact, profile, root), config_hash(config)

    def shape(out, seconds, commit):
        rec = {"provenance": provenance(out.pop("seconds", None) or seconds, out.pop("seeds", config.get("seeds")),
                                        commit),
               "rows": out.pop("rows"), "claims": out.pop("claims", []),
               "status": out.pop("status", "reproduced"), "notes": out.pop("notes", ""), **out}
        if rec["status"] not in STATUSES:
            raise ConfigError(f"status '{rec['status']}' unknown; known: {', '.join(STATUSES)}")
        return rec

    head = {"artifact": artifact, "profile": profile, "config": config, "config_hash": h}
    return _stored(path, h, recompute) or _compute_and_store(path, head, compute, shape)


def sweep_dir(artifact: str, profile: str, root: Path | None = None) -> Path:
    return artifact_path(artifact, profile, root).with_suffix("")


def run_path(artifact: str, profile: str, config: dict[str, Any], root: Path | None = None) -> Path:
    """Where one sweep configuration is stored: ``<sweep_dir>/<hash[:16]>.json``."""
    return sweep_dir(artifact, profile, root) / f"{config_hash(config)[:16]}.json"


def cached_run(artifact: str, *, profile: str, config: dict[str, Any], compute: Callable[[], dict[str, Any]],
               recompute: bool = False, root: Path | None = None) -> dict[str, Any]:
    """One configuration of a sweep, stored as ``<sweep_dir>/<hash[:16]>.json`` (same record shape)."""
    h, path = config_hash(config), run_path(artifact, profile, config, root)
    head = {"artifact": artifact, "profile": profile, "config": config, "config_hash": h}
    return _stored(path, h, recompute) or _compute_and_store(
        path, head, compute, lambda out, seconds, commit: {
            "provenance": provenance(seconds, [config.get("seed", 0)], commit), **out})


def attach(artifact: str, *, profile: str, config: dict[str, Any], key: str, attachment: dict[str, Any],
           compute: Callable[[], dict[str, Any]], recompute: bool = False, root: Path | None = None) -> dict[str, Any]:
    """A sub-record ``key`` of the stored sweep configuration ``config`` (e.g. an AutoAttack evaluation of the
    model that configuration trained), computed by ``compute()`` unless the record already holds one made for the
    configuration ``attachment``. The configuration's own hash and numbers are untouched; the sub-record carries
    its own configuration, hash and provenance. Returns the sub-record, with ``reused`` set."""
    h, path = config_hash(config), run_path(artifact, profile, config, root)
    record = _from_rank0(_read_stored(path, h, False) if world()[0] == 0 else None)
    if record is None:
        raise ConfigError(f"{path}: no stored record for this configuration to attach '{key}' to")
    ah = config_hash(attachment)
    sub = record.get(key)
    if not recompute and sub is not None and sub.get("config_hash") == ah:
        return {**sub, "reused": True}
    commit, t0 = _git_commit(), time.perf_counter()
    out = dict(compute())
    sub = {"config": attachment, "config_hash": ah,
           "provenance": provenance(out.pop("seconds", None) or time.perf_counter() - t0, [config.get("seed", 0)],
                                    commit), **out}
    if world()[0] == 0:
        atomic_write_json(path, {**record, key: sub})
    return {**sub, "reused": False}


def load_all(root: Path | None = None) -> list[dict[str, Any]]:
    """Every top-level record under the results root (sweep folders excluded)."""
    root = Path(root or results_dir())
    records = []
    for path in sorted(root.glob("*/*.json")):
        with open(path) as f:
            records.append(json.load(f))
    return records
