"""AutoAttack robust accuracy (Croce & Hein 2020), through the authors' own implementation.

The papers of this book report PGD ("FGSM^k") accuracy; the field has since learned that PGD alone can
overstate robustness and ranks models by AutoAttack (RobustBench). We run the authors' code, packaged on
PyPI as ``pyautoattack`` (import name ``pyautoattack``), not a re-implementation: it is the reference that
RobustBench uses, re-implementations have diverged from it (APGD's step-size schedule and checkpoints,
FAB's targeted version, the DLR-targeted loss), and the "standard" version's attacks and their parameters
(APGD-CE without restarts, APGD-T with 9 target classes, FAB-T with 9 targets, Square with 5,000 queries;
100 iterations each) are defined by that code. A number called "AutoAttack" here therefore means what it
means on RobustBench.

* :func:`autoattack_accuracy` runs a version of AutoAttack over chunks of images with a progress bar
  (AutoAttack's own log off) and returns a small JSON-able record: robust accuracy, the cumulative robust
  accuracy after each attack, clean accuracy on the same images, the flags AutoAttack's checks raised,
  n, eps, norm, version, seed, the package and its version, seconds and images/s.
* :func:`robust_accuracy_pair` gives PGD accuracy (``reprolib.attacks.pgd``, counted as
  ``reprolib.metrics.robust_accuracy`` counts it) and AutoAttack accuracy on the same images, and the
  gap ``pgd - autoattack``.

How the attacks are run: for each chunk, the attacks of the version are run one after the other, each on
the images that are still robust, by the package's own ``run_standard_evaluation`` restricted to that one
attack (``attacks_to_run = [name]``, the pattern of its ``run_standard_evaluation_individual``). That is
what ``run_standard_evaluation`` does over the whole list, with the same attack objects and parameters;
it gives the per-attack cumulative accuracy without parsing the log. A point counts as robust when our own
prediction on the returned image is its label (the returned images are checked to lie in the eps-ball).
The Square-versus-white-box check that the package runs at the end of a full run is called on the overall
per-attack numbers.

Determinism: every attack reseeds the global generator with ``seed`` at each call (the package's
behaviour); the result is a function of the model, the images, ``seed`` and ``chunk`` (each chunk is one
AutoAttack batch). The caller's random state is saved and restored around the run. The model runs in eval
mode and its mode is restored afterwards; it runs on the device of its parameters (images are moved there).

Threads and cost: AutoAttack is compute-bound (per robust image about 100 APGD-CE iterations, 9 x 100
APGD-T, 9 x 100 FAB-T and up to 5,000 Square queries: roughly 100 times PGD-40), on batches no larger
than the images still robust. On the CPU it runs with ``threads=1`` intra-op thread by default (restored
afterwards): measured on this project's 2 cores while other jobs ran (load 3.5-5), APGD-T on 20 images
took 8 s with one thread and 67-88 s with two, APGD-CE on 100 images 27 s and 110-135 s, with the same
results (two threads spend their time waiting on each other). Threads cannot spread the attacks over cores
without losing determinism (the package reseeds the one global generator), processes can: on the CPU the chunks
are shared out over forked workers of one thread each (``processes``; by default one per intra-op thread the
caller was given, so a `sweep` worker of one thread attacks alone and a job given both cores uses both). Each
chunk is one AutoAttack batch whichever process attacks it, so the robust images, the per-attack counts and the
flags are those of a run in one process (a test checks it); ``benchmarks/autoattack.py --processes`` measures
the gain.

Resuming: each finished chunk is written (atomically) to a progress file in the cache
(``$REPROLIB_ARTIFACTS/autoattack/``, named by a hash of the model's weights, the images and the settings), and a
run of the same attack on the same model and images takes the finished chunks from it and attacks the rest: an
audit of 1,000 images (hours on these cores) killed with its session continues in the next one, with the result
of an uninterrupted run (each chunk is a function of the model, the chunk and the seed). The file is removed
when the run completes.

Layout: on the CPU the attacks run on a copy of the model with NHWC ("channels last") weights, as the training
loop trains (``models.to_channels_last``): the same function up to float rounding, and faster. Measured on a
TRADES-trained CNN1_BN1 (MNIST, eps 0.1, 20 images, one thread, while two other jobs held the cores): 113 s
against 158 s for the default layout (Square 49 vs 76 s, FAB-T 41 vs 54 s), the same robust accuracy after
every attack; on 8 images under the same load, 68 s against 91 s (``benchmarks/autoattack.py --layouts
nhwc,default``). The gain shrinks with the batch: full 500-image audits (chunks of 100) of cake Table 3's CNN1
took 29.5 min in NHWC (TRADES 1/λ = 3) and 32 min in the default layout (1/λ = 1, a network of similar
robustness), about 10%. The record's ``memory_format`` says which layout ran (records before it existed: the
default).
"""
from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import json
import logging
import multiprocessing as mp
import time
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn as nn
from tqdm import tqdm

from . import attacks, metrics
from .attacks import check_threat
from .models import to_channels_last
from .parallel import limited_threads
from .errors import ConfigError
from .paths import artifacts_dir
from .results import atomic_write_json

PACKAGE = "pyautoattack"
NORMS = {"linf": "Linf", "l2": "L2", "l1": "L1"}  # our spelling (attacks.STEPS) -> AutoAttack's
VERSIONS = ("standard", "apgd", "plus", "rand", "custom")
# "apgd": the standard version's first two attacks, APGD-CE and APGD-T, as that version sets them (one restart, nine
# targets, 100 iterations): in 67 of the 68 standard audits committed on 2026-12-06, FAB-T and Square found no
# image after them (benchmarks/audit_policy.py), and they take about 80% of an audit's time.
STANDARD_APGD = ("apgd-ce", "apgd-t")
ATTACKS = ("apgd-ce", "apgd-dlr", "fab", "square", "apgd-t", "fab-t")
# A two-class model (a scalar score seen as two logits, ``models.ScoreLogits``): the standard version cannot run,
# since APGD-T's targeted DLR loss needs four classes and nine targets ten, and FAB-T nine targets. What is left of
# the "plus" version is APGD-CE and FAB (five restarts each, the package's defaults outside "standard") and Square
# (5,000 queries): with one other class, FAB-T's only target is FAB's boundary, and no DLR loss is defined.
TWO_CLASS_ATTACKS = ("apgd-ce", "fab", "square")
MAX_FLAGS = 20


def package_version() -> str:
    return importlib.metadata.version(PACKAGE)


def check_norm(norm: str) -> str:
    """AutoAttack's spelling of ``norm`` ("Linf", "L2", "L1"; any case, or our "linf"/"l2")."""
    if not isinstance(norm, str) or norm.lower() not in NORMS:
        raise ConfigError(f"norm={norm!r} unknown; known: {', '.join(NORMS.values())}")
    return NORMS[norm.lower()]


def _check(eps, norm, version, attacks_list, seed, chunk, n, x, y) -> tuple[str, list[str] | None]:
    attacks.check_threat(eps)
    aa_norm = check_norm(norm)
    if version not in VERSIONS:
        raise ConfigError(f"version={version!r} unknown; known: {', '.join(VERSIONS)}")
    if version == "custom":
        if not attacks_list:
            raise ConfigError("attacks=None: version='custom' needs a list of attacks "
                              f"(known: {', '.join(ATTACKS)})")
        bad = [a for a in attacks_list if a not in ATTACKS]
        if bad:
            raise ConfigError(f"attacks={bad!r} unknown; known: {', '.join(ATTACKS)}")
    elif attacks_list is not None:
        raise ConfigError(f"attacks={attacks_list!r} is only for version='custom' (version={version!r})")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed={seed!r} must be an integer")
    if not isinstance(chunk, int) or chunk < 1:
        raise ConfigError(f"chunk={chunk!r} must be an integer >= 1")
    if n is not None and (not isinstance(n, int) or n < 1):
        raise ConfigError(f"n={n!r} must be an integer >= 1 or None (all images)")
    if len(x) != len(y) or len(x) == 0:
        raise ConfigError(f"x and y must be non-empty and of equal length (got {len(x)} and {len(y)})")
    return aa_norm, (list(attacks_list) if attacks_list else None)


def model_device(model: nn.Module, x: torch.Tensor) -> torch.device:
    """The device of the model's parameters (of ``x`` for a model without any)."""
    p = next(model.parameters(), None)
    return p.device if p is not None else x.device


@contextmanager
def _rng_preserved(device: torch.device):
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        yield


class _Flags(logging.Handler):
    """Collects the warnings of AutoAttack's checks (its logger "auto-attack"), each message once."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        msg = record.getMessage()
        if msg not in self.messages and len(self.messages) < MAX_FLAGS:
            self.messages.append(msg)


@contextmanager
def _captured(logger: logging.Logger):
    handler, propagate = _Flags(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # recorded (and shown once below), not printed at every batch
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _perturbation(x_adv: torch.Tensor, x: torch.Tensor, norm: str) -> torch.Tensor:
    d = (x_adv - x).flatten(1)
    return {"Linf": lambda: d.abs().amax(1), "L2": lambda: d.norm(dim=1), "L1": lambda: d.abs().sum(1)}[norm]()


def _threads(device: torch.device, threads: int | None):
    return limited_threads(threads if device.type == "cpu" else None)


def _evaluate(model, x, y, *, eps, norm, version, attacks_list, n, seed, chunk, progress, threads, channels_last,
              processes=None):
    """The run behind :func:`autoattack_accuracy`: ``(record, robust)`` with a per-image boolean mask."""
    aa_norm, attacks_list = _check(eps, norm, version, attacks_list, seed, chunk, n, x, y)
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ConfigError(f"threads={threads!r} must be None or an integer >= 1")
    if processes is not None and (not isinstance(processes, int) or isinstance(processes, bool) or processes < 1):
        raise ConfigError(f"processes={processes!r} must be None or an integer >= 1")
    x, y = (x[:n], y[:n]) if n is not None else (x, y)
    if isinstance(model, nn.parallel.DistributedDataParallel):
        model = model.module  # as attacks.maximize: no gradient synchronisation in an evaluation
    device = model_device(model, x)
    layout = "default"
    if channels_last if channels_last is not None else device.type == "cpu":
        nhwc = copy.deepcopy(model)  # the caller's model keeps its layout
        if to_channels_last(nhwc):
            model, layout = nhwc, "channels_last"
    if device.type != "cpu" or len(x) <= chunk:
        processes = 1
    elif processes is None:
        processes = torch.get_num_threads()  # the cores this process was given, one single-threaded worker on each
    with _threads(device, threads):
        record, robust = _run(model, x, y, eps=eps, aa_norm=aa_norm, version=version, attacks_list=attacks_list,
                              seed=seed, chunk=chunk, progress=progress, device=device,
                              processes=min(processes, -(-len(x) // chunk)))
    return {**record, "memory_format": layout}, robust


def _autoattack(model, *, eps, aa_norm, version, attacks_list, seed, device):
    """The package's attack object, with the names of the attacks to run (``version`` "apgd": the standard
    version's first two)."""
    from pyautoattack import AutoAttack

    aa = AutoAttack(model, norm=aa_norm, eps=float(eps), version="standard" if version == "apgd" else version,
                    device=device, seed=seed, attacks=attacks_list)
    aa.verbose = False
    return aa, [a for a in aa.attacks_to_run if version != "apgd" or a in STANDARD_APGD]


def _attack_chunk(model, aa, names, xc, yc, *, eps, aa_norm, device, status=None) -> dict:
    """One AutoAttack batch: each attack of ``names`` on the images of the chunk still robust (a function of the
    model, the chunk and the seed: every attack reseeds)."""
    xc, yc = xc.to(device), yc.to(device)
    ok = metrics.predict(model, xc) == yc
    clean = ok.cpu().clone()
    x_adv = xc.clone()
    broken, spent = dict.fromkeys(names, 0), dict.fromkeys(names, 0.0)
    for name in names:
        idx = ok.nonzero().flatten()
        if eps == 0 or len(idx) == 0:
            break  # eps = 0: the ball is {x}; nothing left to attack
        aa.attacks_to_run = [name]
        if status is not None:
            status(f"{name} on {len(idx)} of {len(xc)} images")
        ta = time.perf_counter()
        adv, _ = aa.run_standard_evaluation(xc[idx], yc[idx], batch_size=len(idx))
        spent[name] += time.perf_counter() - ta
        adv = adv.to(device)
        still = metrics.predict(model, adv) == yc[idx]
        x_adv[idx[~still]] = adv[~still]
        broken[name] += int((~still).sum())
        ok[idx[~still]] = False
    pert = float(_perturbation(x_adv, xc, aa_norm).max()) if len(xc) else 0.0
    return {"clean": clean, "robust": ok.cpu(), "max_perturbation": pert, "broken": broken, "spent": spent}


# What a forked worker of :func:`_run` attacks (set in the parent just before the fork, read by the workers).
_FORKED: dict = {}


def _forked_chunk(bounds: tuple[int, int]) -> dict:
    """One chunk in a forked, single-threaded worker; its AutoAttack object and flag handler are made once per
    worker (the flags it has seen so far come back with every chunk)."""
    s = _FORKED
    if "aa" not in s:
        torch.set_num_threads(1)
        s["aa"], s["names"] = _autoattack(s["model"], **s["aa_args"])
        s["flags"] = _Flags()
        logger = logging.getLogger("auto-attack")
        logger.addHandler(s["flags"])
        logger.propagate = False
    i, j = bounds
    out = _attack_chunk(s["model"], s["aa"], s["names"], s["x"][i:j], s["y"][i:j], eps=s["aa_args"]["eps"],
                        aa_norm=s["aa_args"]["aa_norm"], device=s["aa_args"]["device"])
    return {**out, "flags": list(s["flags"].messages)}


def _progress_file(model, x, y, aa_args: dict, chunk: int) -> Path:
    """Where a run's finished chunks are kept until it completes: named by the model's weights (in any memory
    layout), the images, the labels and every setting that changes a chunk's result."""
    h = hashlib.sha256()
    for t in [*model.state_dict().values(), x, y]:
        h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    settings = {**{k: v for k, v in aa_args.items() if k != "device"}, "device": str(aa_args["device"]),
                "chunk": chunk, "package": package_version()}
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return artifacts_dir() / "autoattack" / f"{h.hexdigest()[:32]}.json"


def _load_progress(path: Path) -> tuple[dict[int, dict], float]:
    """The finished chunks a killed run left (by their first image, as :func:`_attack_chunk` returned them) and
    the seconds it had run."""
    if not path.exists():
        return {}, 0.0
    saved = json.loads(path.read_text())
    return {int(i): {**c, "clean": torch.tensor(c["clean"], dtype=torch.bool),
                     "robust": torch.tensor(c["robust"], dtype=torch.bool)}
            for i, c in saved["chunks"].items()}, saved["seconds"]


def _save_progress(path: Path, done: dict[int, dict], seconds: float) -> None:
    atomic_write_json(path, {"seconds": seconds, "chunks": {
        str(i): {**c, "clean": c["clean"].tolist(), "robust": c["robust"].tolist()} for i, c in done.items()}})


def _chunks(model, x, y, *, aa, names, processes, aa_args, chunk, bar, flags, done):
    """Every chunk's result, in order: those in ``done`` (a killed run's), then the others, one after the other here
    with ``aa``, or over ``processes`` (> 1 only on the CPU, at most one per chunk: :func:`_evaluate`) forked
    single-threaded workers, each with its own attack object (the same results: each chunk is one AutoAttack
    batch, whichever process attacks it). Each result carries the flags raised so far."""
    bounds = []
    for i in range(0, len(x), chunk):
        if i in done:
            for msg in done[i]["flags"]:
                flags.emit(logging.makeLogRecord({"msg": msg, "levelno": logging.WARNING}))
            yield i, done[i]
        else:
            bounds.append((i, min(i + chunk, len(x))))
    if processes > 1:
        _FORKED.clear()
        _FORKED.update(model=model, x=x, y=y, aa_args=aa_args)
        try:
            with mp.get_context("fork").Pool(processes) as pool:
                for (i, j), out in zip(bounds, pool.imap(_forked_chunk, bounds)):
                    for msg in out["flags"]:
                        flags.emit(logging.makeLogRecord({"msg": msg, "levelno": logging.WARNING}))
                    bar.set_postfix_str(f"{processes} processes; images {i}-{j - 1} done")
                    yield i, out
        finally:
            _FORKED.clear()
        return
    for i, j in bounds:
        status = lambda text, i=i, j=j: bar.set_postfix_str(f"{text} {i}-{j - 1}")  # noqa: E731
        out = _attack_chunk(model, aa, names, x[i:j], y[i:j], eps=aa_args["eps"], aa_norm=aa_args["aa_norm"],
                            device=aa_args["device"], status=status)
        yield i, {**out, "flags": list(flags.messages)}


def _run(model, x, y, *, eps, aa_norm, version, attacks_list, seed, chunk, progress, device, processes):
    from pyautoattack import checks as aa_checks

    t0 = time.perf_counter()
    robust = torch.zeros(len(x), dtype=torch.bool)
    clean = torch.zeros(len(x), dtype=torch.bool)
    max_pert = 0.0
    logger = logging.getLogger("auto-attack")
    aa_args = {"eps": eps, "aa_norm": aa_norm, "version": version, "attacks_list": attacks_list, "seed": seed,
               "device": device}
    with attacks.eval_mode(model), _rng_preserved(device), _captured(logger) as flags:
        with torch.no_grad():
            n_cls = model(x[:1].to(device)).shape[1]
        if version in ("standard", "apgd", "plus") and n_cls < 10:
            raise ConfigError(f"version={version!r} needs 10 classes (APGD-T and FAB-T aim at 9 targets), this model "
                              f"has {n_cls}: use version='custom'"
                              + (f" with attacks={list(TWO_CLASS_ATTACKS)}" if n_cls == 2 else ""))
        aa, names = _autoattack(model, **aa_args)
        broken = dict.fromkeys(names, 0)
        spent = dict.fromkeys(names, 0.0)
        bar = tqdm(total=len(x), desc=f"AutoAttack {version} {aa_norm} eps={eps:g}", unit="img",
                   disable=not progress, leave=False)
        saved = _progress_file(model, x, y, aa_args, chunk)
        done, before = _load_progress(saved)
        resumed = len(done)
        try:
            for i, out in _chunks(model, x, y, aa=aa, names=names, processes=processes, aa_args=aa_args, chunk=chunk,
                                  bar=bar, flags=flags, done=dict(done)):
                if i not in done:
                    done[i] = out
                    _save_progress(saved, done, before + time.perf_counter() - t0)
                n_chunk = len(out["clean"])
                clean[i:i + n_chunk], robust[i:i + n_chunk] = out["clean"], out["robust"]
                max_pert = max(max_pert, out["max_perturbation"])
                for name in names:
                    broken[name] += out["broken"][name]
                    spent[name] += out["spent"][name]
                bar.update(n_chunk)
                bar.set_postfix_str(f"robust so far {robust[:i + n_chunk].float().mean():.3f}")
        finally:
            bar.close()
        after, left = {}, int(clean.sum())
        for name in names:
            left -= broken[name]
            after[name] = left / len(x)
        if eps > 0:  # the package's own end-of-run check (Square lowering accuracy below the white-box attacks)
            aa_checks.check_square_sr({"clean": int(clean.sum()) / len(x), **after}, logger=aa.logger)
    if max_pert > eps * (1 + 1e-5) + 1e-6:
        raise RuntimeError(f"AutoAttack returned a perturbation of {max_pert:.6g} > eps={eps} ({aa_norm})")
    saved.unlink(missing_ok=True)
    seconds = before + time.perf_counter() - t0  # a resumed run's included
    record = {
        "attack": "AutoAttack", "package": PACKAGE, "package_version": package_version(),
        "version": version, "attacks": names, "norm": aa_norm, "eps": float(eps), "n": len(x), "seed": seed,
        "chunk": chunk, "subset": "the first n of the given images",
        "clean_acc": int(clean.sum()) / len(x), "robust_acc": int(robust.sum()) / len(x),
        "robust_acc_after": after, "seconds_per_attack": {a: round(t, 3) for a, t in spent.items()},
        "max_perturbation": max_pert, "flags": list(flags.messages),
        "device": str(device), "threads": 1 if processes > 1 else torch.get_num_threads(),
        **({"processes": processes} if processes > 1 else {}),
        **({"resumed_chunks": resumed} if resumed else {}),
        "seconds": round(seconds, 3), "images_per_s": round(len(x) / seconds, 3) if seconds > 0 else None,
    }
    if progress:
        for msg in flags.messages:
            tqdm.write(f"AutoAttack flag: {msg}")
    return record, robust


def autoattack_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, norm: str = "Linf",
                        version: str = "standard", attacks: list[str] | None = None, n: int | None = None,
                        seed: int = 0, chunk: int = 100, threads: int | None = 1, channels_last: bool | None = None,
                        processes: int | None = None, progress: bool = True) -> dict:
    """AutoAttack robust accuracy of ``model`` on the first ``n`` of ``(x, y)`` (all if ``None``).

    ``version``: "standard" (APGD-CE, APGD-T, FAB-T, Square; RobustBench's), "plus", "rand" (for
    randomised models) or "custom" with ``attacks`` (names as in the package: apgd-ce, apgd-dlr, fab,
    square, apgd-t, fab-t). ``chunk`` images are attacked per call (one AutoAttack batch; on a GPU use
    hundreds). Returns a JSON-able record (fractions in [0, 1]); ``robust_acc_after[a]`` is the robust
    accuracy after the attacks up to and including ``a``; ``flags`` holds the warnings of AutoAttack's
    checks (zero gradients, randomness, Square beating the white-box attacks, ...). ``threads``: intra-op
    threads on the CPU during the run (restored afterwards; ``None`` keeps the current setting), see the
    module docstring. ``processes``: on the CPU, the chunks are shared out over this many forked workers of one
    thread each (``None``: as many as the caller's intra-op threads, i.e. the cores it was given; the same
    result, see the module docstring). ``channels_last``: attack a copy of the model with NHWC weights (``None``:
    on the CPU only, where it is faster), see the module docstring.
    """
    record, _ = _evaluate(model, x, y, eps=eps, norm=norm, version=version, attacks_list=attacks, n=n, seed=seed,
                          chunk=chunk, progress=progress, threads=threads, channels_last=channels_last,
                          processes=processes)
    return record


def pgd_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, steps: int, step_size: float,
                norm: str = "linf", restarts: int = 1, seed: int | None = None, batch_size: int = 200,
                progress: bool = False) -> torch.Tensor:
    """Per image: still correctly classified after PGD (``reprolib.attacks.pgd``, final iterate, as
    ``metrics.robust_accuracy`` counts it) from each of ``restarts`` random starts (robust = all of them).

    Images are moved to the model's device; the mask is returned on the CPU. With ``seed``, the random
    starts are drawn from ``torch.manual_seed(seed)`` and the caller's random state is restored.
    """
    attacks.check_threat(eps, steps, step_size)
    if not isinstance(restarts, int) or restarts < 1:
        raise ConfigError(f"restarts={restarts!r} must be an integer >= 1")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size={batch_size!r} must be an integer >= 1")
    device = model_device(model, x)
    out = torch.ones(len(x), dtype=torch.bool)
    with _rng_preserved(device):
        if seed is not None:
            torch.manual_seed(seed)
        for _ in range(restarts):
            for i in metrics._batches(len(x), batch_size, progress, f"PGD-{steps}"):
                xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
                x_adv = attacks.pgd(model, xb, yb, eps=eps, steps=steps, step_size=step_size, norm=norm)
                out[i:i + len(xb)] &= (metrics.predict(model, x_adv) == yb).cpu()
    return out


def robust_accuracy_pair(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, pgd_steps: int,
                         pgd_step_size: float, norm: str = "Linf", version: str = "standard",
                         attacks: list[str] | None = None, n: int | None = None, seed: int = 0, chunk: int = 100,
                         threads: int | None = 1, batch_size: int = 200, channels_last: bool | None = None,
                         processes: int | None = None, progress: bool = True) -> dict:
    """PGD and AutoAttack accuracy on the same images (the first ``n`` of ``(x, y)``), and their gap
    (``version`` and ``attacks`` as in :func:`autoattack_accuracy`).

    Returns ``{"clean_acc", "pgd_acc", "autoattack_acc", "gap" (pgd - autoattack), "worst_case_acc"
    (robust to both), "pgd": {steps, step_size, seconds, images_per_s}, "autoattack": <record of
    autoattack_accuracy>, n, eps, norm, seed}``. PGD's random start is drawn from ``seed``.
    """
    aa_norm = check_norm(norm)
    if aa_norm not in ("Linf", "L2"):
        raise ConfigError(f"norm={norm!r}: reprolib's PGD supports Linf and L2 only")
    check_threat(eps, pgd_steps, pgd_step_size)  # ``attacks`` is the parameter here
    _check(eps, norm, version, attacks, seed, chunk, n, x, y)
    x, y = (x[:n], y[:n]) if n is not None else (x, y)
    t0 = time.perf_counter()
    pgd_ok = pgd_correct(model, x, y, eps=eps, steps=pgd_steps, step_size=pgd_step_size, norm=aa_norm.lower(),
                         seed=seed, batch_size=batch_size, progress=progress)
    pgd_seconds = time.perf_counter() - t0
    record, aa_ok = _evaluate(model, x, y, eps=eps, norm=norm, version=version, attacks_list=attacks, n=None, seed=seed,
                              chunk=chunk, progress=progress, threads=threads, channels_last=channels_last,
                              processes=processes)
    pgd_acc, aa_acc = int(pgd_ok.sum()) / len(x), int(aa_ok.sum()) / len(x)
    return {
        "n": len(x), "eps": float(eps), "norm": aa_norm, "seed": seed,
        "clean_acc": record["clean_acc"], "pgd_acc": pgd_acc, "autoattack_acc": aa_acc,
        "gap": (int(pgd_ok.sum()) - int(aa_ok.sum())) / len(x),
        "worst_case_acc": int((pgd_ok & aa_ok).sum()) / len(x),
        "pgd": {"steps": pgd_steps, "step_size": pgd_step_size, "random_start": True,
                "seconds": round(pgd_seconds, 3),
                "images_per_s": round(len(x) / pgd_seconds, 3) if pgd_seconds > 0 else None},
        "autoattack": record,
    }

