"""Gradient-masking sanity checks on a robust model, computed (RobustBench; Athalye et al. 2018, §5 of
"Obfuscated gradients give a false sense of security"; Carlini et al. 2019, "On evaluating adversarial
robustness").

A model can look robust to PGD because its gradients are useless (zero, noisy, shattered), not because it
is robust. Each check below is a claim about numbers we measure; a masked model fails some of them:

(a) ``eps0_clean``: accuracy under the attack at eps = 0 equals clean accuracy, exactly.
(b) ``monotone_eps``: PGD accuracy does not increase with eps over a grid (step size scaled with eps).
(c) ``more_steps`` / ``restarts``: ``step_factor`` times more PGD steps, and the worst of ``restarts``
    independent random starts per image, do not raise accuracy beyond noise. When they *lower* it beyond
    noise the claim holds but carries a warning: the chapter's PGD had not converged.
(d) ``transfer``: black-box transfer accuracy (PGD crafted on ``source_model``, evaluated on the model)
    is not below white-box PGD accuracy beyond noise (only when a source model is given).
(e) ``autoattack_le_pgd``: AutoAttack accuracy is not above PGD accuracy beyond noise, and the gap
    ``pgd - autoattack`` is stated; a gap above ``gap_warning`` (2 points) sets the claim's warning.
(f) ``autoattack_flags``: AutoAttack's own checks (zero gradients, randomness, Square lowering accuracy
    below the white-box attacks, ...) raise no flag.

Noise: accuracies compared on the same n images differ by chance (random starts); the tolerance is two
binomial standard errors, 2 sqrt(p (1 - p) / n) with p the mean of the two accuracies compared, and at
least one image (1 / n); a fixed ``noise_tol`` replaces it. The tolerance used is stated in each claim's
evidence.

Every claim is a :func:`reprolib.claims.claim` dict with two more keys, ``warning`` (bool) and
``warning_text`` (str, empty when no warning), so that pages and the scorecard can show warnings.
:func:`check_masking` is the pure logic (numbers in, claims out); :func:`masking_checks` runs the attacks,
then calls it, and returns ``{"values": <JSON-able numbers>, "claims": [...]}``.
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn as nn

from . import attacks, metrics
from .autoattack import _check as _check_autoattack
from .autoattack import autoattack_accuracy, check_norm, model_device, pgd_correct
from .claims import claim
from .errors import ConfigError

GAP_WARNING = 0.02  # AutoAttack more than 2 points below PGD: flagged (issue 12)


def standard_error(acc: float, n: int) -> float:
    """Binomial standard error of an accuracy measured on ``n`` images."""
    return math.sqrt(max(acc * (1.0 - acc), 0.0) / n)


def noise_tolerance(a: float, b: float, n: int, noise_tol: float | None = None) -> float:
    """How far two accuracies on the same ``n`` images may differ by chance (see the module docstring)."""
    if noise_tol is not None:
        return float(noise_tol)
    return max(2.0 * standard_error((a + b) / 2.0, n), 1.0 / n)


def _claim(claim_id, text, passed, evidence, warning_text=""):
    c = claim(claim_id, text, passed, evidence)
    c["warning"], c["warning_text"] = bool(warning_text), warning_text
    return c


def _pts(v: float) -> str:
    return f"{100 * v:+.1f} points"


def _tol_words(noise_tol):
    return "fixed" if noise_tol is not None else "2 binomial s.e., at least one image"


def check_masking(values: dict, *, id_prefix: str, noise_tol: float | None = None,
                  gap_warning: float = GAP_WARNING) -> list[dict]:
    """The masking claims from measured numbers (the keys :func:`masking_checks` stores in ``values``).

    Needed: ``n``, ``clean_acc``, ``eps``, ``eps_grid`` and ``pgd_acc_grid`` (the grid holds 0 and ``eps``),
    ``pgd_acc``; optional (check skipped when absent or None): ``more_steps`` with ``pgd_more_steps_acc``,
    ``restarts`` with ``pgd_restarts_acc``, ``transfer_acc`` (with ``transfer_source``),
    ``autoattack_acc`` (with ``autoattack_flags``). Accuracies are fractions in [0, 1].
    """
    if not isinstance(id_prefix, str) or not id_prefix:
        raise ConfigError(f"id_prefix={id_prefix!r} must be a non-empty string")
    if noise_tol is not None and not 0 <= noise_tol < 1:
        raise ConfigError(f"noise_tol={noise_tol!r} must be None or in [0, 1)")
    n = values.get("n")
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"values['n']={n!r} must be an integer >= 1")
    grid, accs = list(values["eps_grid"]), list(values["pgd_acc_grid"])
    if len(grid) != len(accs) or grid != sorted(grid) or 0 not in grid or values["eps"] not in grid:
        raise ConfigError(f"values['eps_grid']={grid!r} must be increasing, hold 0 and eps, one accuracy each")
    clean, pgd = values["clean_acc"], values["pgd_acc"]
    tw = _tol_words(noise_tol)
    out = []

    acc0 = accs[grid.index(0)]
    out.append(_claim(f"{id_prefix}.eps0_clean", "At ε = 0 the attack leaves accuracy equal to clean accuracy.",
                      round(acc0 * n) == round(clean * n),
                      f"accuracy at ε = 0: {acc0:.4f}; clean: {clean:.4f} (n = {n})"))

    rises = []
    for (e0, a0), (e1, a1) in zip(zip(grid, accs), zip(grid[1:], accs[1:])):
        rises.append((a1 - a0, noise_tolerance(a0, a1, n, noise_tol), e0, e1))
    worst = max(rises, key=lambda r: r[0] - r[1]) if rises else (0.0, 0.0, 0, 0)
    table = ", ".join(f"{e:g}: {a:.3f}" for e, a in zip(grid, accs))
    out.append(_claim(f"{id_prefix}.monotone_eps", "PGD accuracy does not increase with ε (within noise).",
                      all(r <= t for r, t, _, _ in rises),
                      f"accuracy by ε: {table}; largest change between neighbours {_pts(max(r[0] for r in rises))} "
                      f"(ε {worst[2]:g} → {worst[3]:g}, tolerance {100 * worst[1]:.1f} points, {tw})"
                      if rises else f"accuracy by ε: {table}"))

    for key, acc_key, what in (("more_steps", "pgd_more_steps_acc", "{k}× more PGD steps ({s} steps)"),
                               ("restarts", "pgd_restarts_acc", "the worst of {r} random starts per image")):
        acc = values.get(acc_key)
        if acc is None:
            continue
        k = values.get("more_steps", 0) // max(values.get("steps", 1), 1)
        label = what.format(k=k, s=values.get("more_steps"), r=values.get("restarts"))
        tol = noise_tolerance(pgd, acc, n, noise_tol)
        drop = pgd - acc
        warn = (f"PGD-{values.get('steps')} has not converged: {label} lower accuracy by {100 * drop:.1f} points"
                if drop > tol else "")
        out.append(_claim(f"{id_prefix}.{key}", f"Stronger PGD ({label}) does not raise accuracy beyond noise.",
                          acc - pgd <= tol,
                          f"PGD-{values.get('steps')}: {pgd:.4f}; {label}: {acc:.4f} ({_pts(acc - pgd)}; "
                          f"tolerance {100 * tol:.1f} points, {tw}; n = {n})", warn))

    transfer = values.get("transfer_acc")
    if transfer is not None:
        tol = noise_tolerance(pgd, transfer, n, noise_tol)
        src = values.get("transfer_source") or "a source model"
        passed = transfer >= pgd - tol
        out.append(_claim(f"{id_prefix}.transfer",
                          "Black-box transfer accuracy is not below white-box PGD accuracy (within noise).", passed,
                          f"transfer from {src}: {transfer:.4f}; white-box PGD: {pgd:.4f} ({_pts(transfer - pgd)}; "
                          f"tolerance {100 * tol:.1f} points, {tw}; n = {n})",
                          "" if passed else f"a black-box attack beats white-box PGD by {100 * (pgd - transfer):.1f} "
                                            "points: gradient masking"))

    aa = values.get("autoattack_acc")
    if aa is not None:
        tol = noise_tolerance(pgd, aa, n, noise_tol)
        gap = pgd - aa
        warn = (f"PGD − AutoAttack gap {100 * gap:.1f} points > {100 * gap_warning:g}: PGD overstates robustness"
                if gap > gap_warning + 1e-12 else "")
        out.append(_claim(f"{id_prefix}.autoattack_le_pgd",
                          "AutoAttack accuracy is not above PGD accuracy (within noise); the gap is stated.",
                          aa <= pgd + tol,
                          f"PGD: {pgd:.4f}; AutoAttack: {aa:.4f}; gap PGD − AutoAttack {_pts(gap)} "
                          f"(tolerance {100 * tol:.1f} points, {tw}; warning above {100 * gap_warning:g}; n = {n})",
                          warn))
        flags = list(values.get("autoattack_flags") or [])
        said = "; ".join(f.replace(" See flags_doc.md for details.", "") for f in flags)
        out.append(_claim(f"{id_prefix}.autoattack_flags", "AutoAttack's own checks raise no flag.", not flags,
                          said or "no flag (randomness, zero gradients, output range, Square vs white-box)",
                          f"AutoAttack flagged: {flags[0]}" if flags else ""))
    return out


def _grid(eps: float, eps_grid) -> list[float]:
    grid = [0.0, eps / 2, eps, 2 * eps] if eps_grid is None else [float(e) for e in eps_grid]
    for e in grid:
        if not e >= 0:
            raise ConfigError(f"eps_grid={list(eps_grid)!r}: every value must be >= 0")
    return sorted(set(grid) | {0.0, float(eps)})


def masking_checks(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, steps: int, step_size: float,
                   id_prefix: str, norm: str = "linf", eps_grid=None, step_factor: int = 5, restarts: int = 5,
                   source_model: nn.Module | None = None, source_name: str | None = None,
                   autoattack: bool | dict | None = None, n: int | None = None, seed: int = 0,
                   noise_tol: float | None = None, gap_warning: float = GAP_WARNING, batch_size: int = 200,
                   progress: bool = True) -> dict:
    """Run the attacks behind the masking checks on the first ``n`` of ``(x, y)`` and check them.

    PGD (``reprolib.attacks.pgd``, ``steps`` of ``step_size``, random start drawn from ``seed``) at every
    eps of ``eps_grid`` (default 0, eps/2, eps, 2 eps; 0 and eps always added; the step size scales with
    eps), with ``step_factor`` times the steps, and from ``restarts`` further random starts (seed + 1);
    PGD crafted on ``source_model`` if given; ``autoattack``: ``None`` (check skipped), ``True`` (run the
    standard version here, same images and seed) or the record of :func:`reprolib.autoattack.autoattack_accuracy`
    (or of ``robust_accuracy_pair``) on the same images. Returns ``{"values": {...}, "claims": [...]}``.
    """
    attacks.check_threat(eps, steps, step_size)
    pgd_norm = check_norm(norm)
    if pgd_norm not in ("Linf", "L2"):
        raise ConfigError(f"norm={norm!r}: reprolib's PGD supports Linf and L2 only")
    pgd_norm = pgd_norm.lower()
    for name, v in (("step_factor", step_factor), ("restarts", restarts)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 2:
            raise ConfigError(f"{name}={v!r} must be an integer >= 2")
    if not isinstance(id_prefix, str) or not id_prefix:
        raise ConfigError(f"id_prefix={id_prefix!r} must be a non-empty string")
    if noise_tol is not None and not 0 <= noise_tol < 1:
        raise ConfigError(f"noise_tol={noise_tol!r} must be None or in [0, 1)")
    if not (autoattack is None or autoattack is True or isinstance(autoattack, dict)):
        raise ConfigError(f"autoattack={autoattack!r} must be None, True or an AutoAttack record")
    _check_autoattack(eps, norm, "standard", None, seed, 1, n, x, y)
    grid = _grid(eps, eps_grid)
    x, y = (x[:n], y[:n]) if n is not None else (x, y)
    n = len(x)
    t0 = time.perf_counter()
    run = {"norm": pgd_norm, "batch_size": batch_size, "progress": progress}

    def acc(mask):
        return int(mask.sum()) / n

    clean_acc = metrics.accuracy(model, x.to(model_device(model, x)), y.to(model_device(model, x)))
    record = None
    if isinstance(autoattack, dict):
        record = autoattack.get("autoattack", autoattack)  # a robust_accuracy_pair result holds the record
        for key, want in (("n", n), ("eps", float(eps)), ("norm", check_norm(norm)), ("clean_acc", clean_acc)):
            if record.get(key) != want:
                raise ConfigError(f"autoattack record has {key}={record.get(key)!r}, these images give {want!r}: "
                                  "pass the record of the same model, images and threat model")
    elif autoattack is True:
        record = autoattack_accuracy(model, x, y, eps=eps, norm=norm, seed=seed, progress=progress)
    grid_acc, at_eps = [], None
    for e in grid:
        mask = pgd_correct(model, x, y, eps=e, steps=steps, step_size=step_size * e / eps if e > 0 and eps > 0
                           else step_size, seed=seed, **run)
        grid_acc.append(acc(mask))
        if e == eps:
            at_eps = mask
    values = {
        "n": n, "eps": float(eps), "norm": pgd_norm, "steps": steps, "step_size": step_size, "seed": seed,
        "clean_acc": clean_acc, "eps_grid": grid, "pgd_acc_grid": grid_acc, "pgd_acc": acc(at_eps),
        "more_steps": steps * step_factor, "restarts": restarts,
        "pgd_more_steps_acc": acc(pgd_correct(model, x, y, eps=eps, steps=steps * step_factor, step_size=step_size,
                                              seed=seed, **run)),
        "pgd_restarts_acc": acc(pgd_correct(model, x, y, eps=eps, steps=steps, step_size=step_size,
                                            restarts=restarts, seed=seed + 1, **run)),
        "transfer_acc": None, "transfer_source": None,
        "autoattack_acc": None, "autoattack_flags": None, "autoattack_version": None, "gap": None,
    }
    if source_model is not None:
        device = model_device(model, x)
        correct = 0
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            for i in metrics._batches(n, batch_size, progress, "transfer"):
                xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
                x_adv = attacks.pgd(source_model, xb, yb, eps=eps, steps=steps, step_size=step_size, norm=pgd_norm)
                correct += int((metrics.predict(model, x_adv) == yb).sum())
        values["transfer_acc"] = correct / n
        values["transfer_source"] = source_name or type(source_model).__name__
    if record is not None:
        values.update(autoattack_acc=record["robust_acc"], autoattack_flags=list(record.get("flags", [])),
                      autoattack_version=record.get("version"),
                      gap=(round(values["pgd_acc"] * n) - round(record["robust_acc"] * n)) / n)
    values["seconds"] = round(time.perf_counter() - t0, 3)
    values["noise_tol"] = noise_tol
    claims = check_masking(values, id_prefix=id_prefix, noise_tol=noise_tol, gap_warning=gap_warning)
    return {"values": values, "claims": claims}
