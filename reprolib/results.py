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
from .paths import REPO_ROOT, results_dir, stand_ins

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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file in this process (0644 under umask 022)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` to a temporary file in ``path``'s folder, then rename it to ``path``: never a partial file,
    and two processes writing the same path never interleave their bytes. The file gets the process umask's mode
    (a temporary file's own would be 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (:func:`atomic_write`); NaN and non-JSON values are refused before anything is
    written."""
    text = json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    def write(tmp: Path) -> None:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    atomic_write(path, write)


# ---- records you can trust: a digest of the content, verified on every read ---------------------------------------

_NOT_DIGESTED = ("digest", "reused")


def digest(record: dict[str, Any]) -> str:
    """sha256 of a record's canonical JSON, without its ``digest`` (and the in-memory ``reused`` flag)."""
    body = {k: v for k, v in record.items() if k not in _NOT_DIGESTED}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Store ``record`` atomically with the digest of its content."""
    body = {k: v for k, v in record.items() if k not in _NOT_DIGESTED}
    atomic_write_json(path, {**body, "digest": digest(body)})


class RecordError(ConfigError):
    """A stored record that cannot be trusted: malformed, edited, or its configuration and hash disagree."""


def _refuse(path: Path, what: str) -> RecordError:
    try:
        shown = Path(path).resolve().relative_to(REPO_ROOT)
        restore = f"`git checkout -- {shown}`"
    except ValueError:
        shown, restore = path, "its committed copy"
    return RecordError(f"{shown}: {what}; recompute it (--recompute) or restore {restore}")


def read_record(path: Path) -> dict[str, Any]:
    """The record stored at ``path``, verified: its digest matches its content, its configuration hashes to its
    ``config_hash`` (and so does every attached sub-record's). Anything else raises :class:`RecordError`, one line
    naming the file and what to do; a record is never used silently."""
    try:
        with open(path) as f:
            record = json.load(f)
    except json.JSONDecodeError as exc:
        raise _refuse(path, f"not valid JSON (truncated or damaged: {exc.msg} at line {exc.lineno})") from None
    if not isinstance(record, dict):
        raise _refuse(path, "not a record (a JSON object was expected)")
    if "digest" not in record:
        raise _refuse(path, "has no digest (written by hand or by an older reprolib)")
    if record["digest"] != digest(record):
        raise _refuse(path, "its content does not match its digest (edited or damaged)")
    for key, sub in [(None, record)] + [(k, v) for k, v in record.items() if isinstance(v, dict) and "config" in v]:
        if "config" in sub and sub.get("config_hash") != config_hash(sub["config"]):
            raise _refuse(path, f"the configuration{f' of its {key!r}' if key else ''} does not match its hash "
                                f"(edited)")
    return record


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
        **({"stand_in": list(stand_ins())} if stand_ins() else {}),  # random images in place of these datasets
    }


def load(artifact: str, profile: str = "cpu", root: Path | None = None) -> dict[str, Any] | None:
    path = artifact_path(artifact, profile, root)
    return read_record(path) if path.exists() else None


def shown(artifact: str, profile: str = "cpu", root: Path | None = None) -> dict[str, Any] | None:
    """The record the book shows for ``artifact``: at ``cpu``, its ``full`` record once one is stored (the book
    shows full numbers wherever they exist), else its ``cpu`` one; at another profile, that profile's."""
    if profile == "cpu":
        return load(artifact, "full", root) or load(artifact, "cpu", root)
    return load(artifact, profile, root)


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
    record = read_record(path)
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
        write_record(path, record)
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
        write_record(path, {**record, key: sub})
    return {**sub, "reused": False}
