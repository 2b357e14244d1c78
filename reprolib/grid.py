"""Method grids: a table whose rows are trainings, one per (architecture, method, seed).

closer_look's Tables 2–4, cake's Table 3 and TRADES' Table 4 share one shape: every row is a network trained
by the one loop (:func:`reprolib.train.fit`) with a method's loss (:mod:`reprolib.losses`), then measured
(clean and PGD accuracy on training and test subsets, the empirical local Lipschitz constant, the gaps).
A :class:`MethodGrid` names the table's record, its method presets, the paper's numbers and its claims;
everything else is here, once:

* each (arch, method, seed) is stored on its own as soon as it finishes (``results.cached_run``), under a
  configuration that leaves the grid out and puts the method's preset in, so growing the grid never
  invalidates finished runs and changing a preset never reuses a stale one;
* the runs named by ``audit_*`` settings get AutoAttack beside PGD and the gradient-masking checks
  (:mod:`reprolib.audit`), attached to their run record;
* :meth:`MethodGrid.sweep` hands the grid to :mod:`reprolib.sweep` (worker processes or Slurm jobs).

Settings a grid section resolves (see the paper modules' ``SECTIONS``): ``dataset, eps, archs, methods, seeds,
spread_methods, spread_seeds, n_train, epochs, batch_size, optimizer, lr, momentum, milestones, reduction,
attack_steps, attack_step_size, eval_steps, eval_step_size, n_eval_train, n_eval_test, lip_steps,
lip_step_size, precision`` and the audit's ``audit_methods, audit_seeds, audit_archs, n_audit,
audit_version``. ``n_eval_train: 0`` skips the training-set evaluation and ``lip_steps: 0`` the Lipschitz
estimate, for tables that report neither (their columns are then ``None``).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch

from . import audit, data, losses, metrics, models, results, zoo
from .claims import claim
from .paths import artifacts_dir
from .sections import Sweep
from .settings import Schedule
from .invariance import Augmentation
from .train import TrainConfig, default_device, fit

GRID_KEYS = ("archs", "methods", "seeds", "spread_methods", "spread_seeds")
AUDIT_KEYS = ("audit_methods", "audit_seeds", "audit_archs", "n_audit", "audit_version")
KEEP_KEYS = ("keep_methods", "keep_seeds", "keep_archs")
ROW_KEYS = ("arch", "method", "seed", "train_acc", "test_acc", "adv_train_acc", "adv_test_acc", "lipschitz",
            "lipschitz_c1", "gap", "adv_gap", "train_seconds", "eval_seconds")
METRICS = ("train_acc", "test_acc", "adv_train_acc", "adv_test_acc", "lipschitz", "lipschitz_c1", "gap", "adv_gap")


def _tensors(split, dev):
    return split.float().to(dev), split.y.to(dev)


def train_config(cfg: dict, seed: int) -> TrainConfig:
    """The training loop's settings from a section's configuration: every field of
    :class:`reprolib.train.TrainConfig` that :class:`reprolib.settings.Schedule` declares (a setting left out of
    ``cfg`` at its default, such as ``weight_decay``, takes that default)."""
    names = [f.name for f in dataclasses.fields(Schedule) if f.name in TrainConfig.__dataclass_fields__]
    values = {k: cfg.get(k, getattr(Schedule, k)) for k in names}
    return TrainConfig(**{**values, "milestones": tuple(values["milestones"])}, seed=seed)


# what a stored record holds besides its measurements (its head, provenance, digest and sub-records)
_RECORD_PARTS = ("artifact", "profile", "config", "config_hash", "provenance", "digest", "reused", "audit", "weights")


def _duration(seconds: float) -> str:
    """``seconds`` for a person: "45 s", "12 min", "3.4 h"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def _selected(cfg: dict, prefix: str) -> list[tuple[str, str, int]]:
    """The runs of :func:`grid` that ``<prefix>_archs``, ``<prefix>_methods`` and ``<prefix>_seeds`` select (a
    setting that is absent or None selects every value)."""
    pick = [cfg.get(f"{prefix}_{k}") for k in ("archs", "methods", "seeds")]
    return [run for run in grid(cfg) if all(p is None or v in p for p, v in zip(pick, run))]


def audit_target(claim_id: str, record: dict, n: int) -> dict:
    """A target: every network that the record's configuration audits has its audit, on at least ``n`` images."""
    want = _selected(record["config"], "audit")
    got = {(r["arch"], r["method"], r["seed"]): r["n"] for r in (record.get("audit") or {}).get("rows", [])}
    done = [run for run in want if got.get(run, 0) >= n]
    return claim(claim_id, f"Every robust network audited by AutoAttack on ≥ {n:,} test images",
                 bool(want) and len(done) == len(want), f"{len(done)} of {len(want)}")


def grid(cfg: dict) -> list[tuple[str, str, int]]:
    """(arch, method, seed) in the order they run: every method with the first seeds, then the spread seeds."""
    out = [(a, m, s) for a in cfg["archs"] for s in cfg["seeds"] for m in cfg["methods"]]
    out += [(a, m, s) for a in cfg["archs"] for s in cfg["spread_seeds"] for m in cfg["spread_methods"]
            if m in cfg["methods"] and s not in cfg["seeds"]]
    return out


def test_set(cfg: dict, dev=None):
    """The evaluation test subset (the first ``n_eval_test`` of a fixed permutation; audits use its head)."""
    return _tensors(data.load(cfg["dataset"], "test").subset(cfg["n_eval_test"], seed=0), dev or default_device())


def count(cfg: dict, key: str, split: str) -> int:
    """How many images of ``split`` the setting ``key`` names: None is all of them, a missing key none."""
    n = cfg.get(key, 0)
    return len(data.load(cfg["dataset"], split)) if n is None else n


def mean(rows: list[dict], arch: str, method: str, key: str) -> float | None:
    """The mean of ``key`` over the seeds of one (arch, method) row; None when the grid has no such row."""
    vals = [r[key] for r in rows if r["arch"] == arch and r["method"] == method and r[key] is not None]
    return float(np.mean(vals)) if vals else None



def retrained_twins(record: dict) -> list[dict]:
    """The audited rows of a grid's record whose ``same_model`` check failed: networks retrained to be audited
    (no checkpoint survived) that are close twins of the row's, not the same network."""
    summary = record.get("audit") or {}
    passed = {c["id"]: c["passed"] for c in summary.get("claims", [])}
    return [r for r in summary.get("rows", [])
            if not passed.get(audit.id_prefix(record["artifact"], r["arch"], r["method"], r["seed"]) + ".same_model",
                              True)]

@dataclass(frozen=True)
class MethodGrid:
    """One table of trainings: its record's name, the preset of each method row (``{"method": "trades",
    "beta": 6.0}``: a loss of :mod:`reprolib.losses` and its weights), the paper's values per architecture and
    method, and the check of the paper's claims on our rows."""
    artifact: str
    methods: Mapping[str, Mapping[str, Any]]
    paper: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)
    claims: Callable[[list[dict]], list[dict]] = lambda rows: []
    # the record's notes: a template filled from the configuration, or a function of it
    notes: str | Callable[[dict], str] = "scaled down (training subset, few epochs, evaluation subsets): see the " \
                                         "Deviations box"
    paper_eps: float | None = None  # the radius of ``paper``'s values: rows carry them only at it (None: always)
    # the dataset of each architecture's values in ``paper``: a row of it on another dataset (a stand-in grid on
    # Fashion-MNIST) carries none, so that no page or figure compares it with another dataset's numbers
    paper_datasets: Mapping[str, str] = field(default_factory=dict)
    extra_keys: tuple[str, ...] = ()  # the section's settings that no training run reads (kept out of its hash)
    row_keys: tuple[str, ...] = ()  # what :meth:`evaluate` adds to a run record that the table's rows carry
    runs_artifact: str | None = None  # another grid's runs and checkpoints, read instead of this one's own

    @property
    def store(self) -> str:
        """The name under which this grid's runs and checkpoints are stored."""
        return self.runs_artifact or self.artifact

    # ---- one run -------------------------------------------------------------------------------------------
    def run_config(self, cfg: dict, arch: str, method: str, seed: int) -> dict:
        """The stored configuration of one run: the shared settings without the grid (and ``extra_keys``), plus
        the method's preset."""
        base = {k: v for k, v in cfg.items() if k not in GRID_KEYS + AUDIT_KEYS + KEEP_KEYS + self.extra_keys}
        return {**base, "arch": arch, "method": method, "method_spec": self.methods[method], "seed": seed}

    def network_id(self, cfg: dict, arch: str, method: str, seed: int) -> str:
        """What identifies the network a run trains, whatever grid or row name asks for it: the run's stored
        configuration without the row's name (its preset stays). Two grids that train the same network (cake's
        CNN1 rows and closer_look's at the same budget) share its checkpoint and its kept weights."""
        return results.config_hash({k: v for k, v in self.run_config(cfg, arch, method, seed).items()
                                    if k != "method"})[:16]

    def checkpoint(self, cfg: dict, arch: str, method: str, seed: int) -> Path:
        """The run's checkpoint in the cache (:func:`reprolib.paths.artifacts_dir`): a checkpoint written under
        the grid's own name before networks were shared, if there is one, else the network's shared one."""
        name = self.methods[method]["method"]
        run_id = results.config_hash({**self.run_config(cfg, arch, method, seed), "seed": None})[:10]
        own = artifacts_dir().joinpath(*self.store.split(".")) / f"{arch}-{name}-{run_id}-s{seed}.pt"
        if own.exists():
            return own
        return artifacts_dir() / "networks" / f"{arch}-{name}-{self.network_id(cfg, arch, method, seed)}-s{seed}.pt"

    def earlier(self, cfg: dict, arch: str, method: str, seed: int) -> list[Path]:
        """Checkpoints of the same run with fewer epochs, the longest first: a longer schedule with the same
        milestones continues one (:func:`reprolib.train.fit` checks that nothing else differs)."""
        paths = (self.checkpoint({**cfg, "epochs": e}, arch, method, seed) for e in range(cfg["epochs"] - 1, 0, -1))
        return [p for p in paths if p.exists()]

    def trained(self, cfg: dict, arch: str, method: str, seed: int, progress: bool = False, kept: bool = True):
        """The model of one run (and its training history, None for a kept network): resumed or loaded from its
        checkpoint; else, when ``kept``, the network the repository keeps for this very run (:mod:`reprolib.zoo`:
        a fresh checkout audits the book's networks without training them); else trained. Training is
        deterministic on the CPU for a given code version and thread count, so a retrained model is the one the
        stored run measured when both match its provenance; across versions of the loop or the attacks (e.g.
        channels-last training, chunked attacks) it is a twin, which the audit's ``same_model`` check reveals."""
        ckpt = self.checkpoint(cfg, arch, method, seed)
        if kept and not ckpt.exists():
            model = zoo.kept_network(self.store, self.run_config(cfg, arch, method, seed))
            if model is not None:
                return model.to(default_device()), None
        model, hist = self._fit(cfg, arch, method, seed, ckpt, progress)
        return zoo.rounded(model, cfg.get("weights_dtype", "float32")), hist

    def _fit(self, cfg: dict, arch: str, method: str, seed: int, ckpt: Path, progress: bool):
        """Train one run's network with the one loop, checkpointed to ``ckpt`` after every epoch."""
        torch.manual_seed(seed)
        dev = default_device()
        x, y = _tensors(data.load(cfg["dataset"], "train").subset(cfg["n_train"], seed=seed), dev)
        spec = dict(self.methods[method])
        name = spec.pop("method")
        aug = spec.pop("augment", None)  # {"degrees": θ, "shift": i}: Aug-R / Aug-T / Aug-RT of every batch
        loss_fn = losses.for_section(name, cfg, **spec)  # the method declares what of the threat model it uses
        model = models.build(arch).to(dev)
        hist = fit(model, x, y, loss_fn=loss_fn, cfg=train_config(cfg, seed), checkpoint=ckpt, progress=progress,
                   earlier=self.earlier(cfg, arch, method, seed), desc=f"{arch} {method} s{seed}",
                   augment=Augmentation(**aug) if aug else None,
                   on_epoch=self.curve(cfg, dev))
        return model.eval(), hist

    @staticmethod
    def curve(cfg: dict, dev=None):
        """The measurement after each epoch when ``curve_n`` > 0: clean and PGD accuracy (the section's evaluation
        attack, a fixed random start) on the first ``curve_n`` evaluation test images; else None."""
        n = cfg.get("curve_n", 0)
        if not n:
            return None
        x, y = (t[:n] for t in test_set(cfg, dev))

        def measure(model, epoch):
            model.eval()
            torch.manual_seed(0)
            return {"curve_clean": metrics.accuracy(model, x, y),
                    "curve_pgd": metrics.robust_accuracy(model, x, y, eps=cfg["eps"], steps=cfg["eval_steps"],
                                                         step_size=cfg["eval_step_size"])}

        return measure

    def evaluate(self, model, cfg: dict, seed: int, progress: bool) -> dict:
        """A trained run's measurements (stored in its run record): clean and PGD accuracy on the training and
        test subsets, the local Lipschitz estimate and the gaps. A grid whose rows are other quantities
        overrides this (and names them in ``row_keys``)."""
        dev = default_device()
        ev_train = None if cfg["n_eval_train"] == 0 else _tensors(
            data.load(cfg["dataset"], "train").subset(cfg["n_eval_train"], seed=seed + 1), dev)
        return metrics.evaluate(model, ev_train, test_set(cfg, dev), eps=cfg["eps"], steps=cfg["eval_steps"],
                                step_size=cfg["eval_step_size"], lip_steps=cfg["lip_steps"],
                                lip_step_size=cfg["lip_step_size"], progress=progress)

    def eval_work(self, cfg: dict) -> float:
        """One network's evaluation in attack steps of one image (a forward and a backward pass), for
        ``benchmarks/cost_model.py``: PGD on the evaluation images, the Lipschitz estimate on the test images and the
        curve after every epoch. A grid whose :meth:`evaluate` measures other quantities counts its own."""
        n_test, n_train = count(cfg, "n_eval_test", "test"), count(cfg, "n_eval_train", "train")
        return ((n_test + n_train + cfg.get("curve_n", 0) * cfg["epochs"]) * cfg["eval_steps"]
                + n_test * cfg.get("lip_steps", 0))

    def _twin(self, profile: str, config: dict) -> dict | None:
        """The run record of the same network measured the same way by another grid at ``profile`` (its stored
        configuration is this run's but for the row's name: cake's CNN1 rows are closer_look's at the same budget),
        if one is stored."""
        want = {k: v for k, v in config.items() if k != "method"}
        own, suffix = results.sweep_dir(self.store, profile), "" if profile == "cpu" else profile
        for path in sorted(results.results_dir().glob("*/*/*.json")):
            if path.parent == own or path.parent.name.partition("@")[2] != suffix:
                continue
            rec = results.read_record(path)
            theirs = rec.get("config") or {}
            if "method" in theirs and {k: v for k, v in theirs.items() if k != "method"} == want:
                return rec
        return None

    def _measured(self, cfg: dict, arch: str, method: str, seed: int, profile: str, recompute: bool,
                  progress: bool) -> dict:
        """A run's measurements: another grid's, when it stored the same network measured the same way (nothing is
        trained or measured twice; ``measured_by`` names it), else (or to recompute) trained and evaluated here."""
        twin = None if recompute else self._twin(profile, self.run_config(cfg, arch, method, seed))
        if twin is None:
            return self._train_eval(cfg, arch, method, seed, progress)
        return {**{k: v for k, v in twin.items() if k not in _RECORD_PARTS}, "method": method,
                "measured_by": {"artifact": twin["artifact"], "method": twin["method"],
                                "provenance": twin["provenance"]}}

    def _audit_once(self, cfg: dict, arch: str, method: str, seed: int, row: dict, profile: str, recompute: bool,
                    progress: bool) -> dict:
        """A run's audit: the twin's (:meth:`_twin`) when it holds one made the same way, its claims renamed to
        this row, else (or to recompute) audited here."""
        twin = {} if recompute else self._twin(profile, self.run_config(cfg, arch, method, seed)) or {}
        sub = twin.get("audit") or {}
        if sub.get("config_hash") != results.config_hash(self.audit_config(cfg)):
            return self._audit(cfg, arch, method, seed, row, progress)
        theirs, ours = f".{arch}.{twin['method']}.s{seed}", audit.id_prefix(self.artifact, arch, method, seed)
        claims = [{**c, "id": ours + c["id"][c["id"].index(theirs) + len(theirs):]} for c in sub["claims"]]
        return {**{k: v for k, v in sub.items() if k not in _RECORD_PARTS}, "claims": claims,
                "measured_by": {"artifact": twin["artifact"], "method": twin["method"],
                                "provenance": sub["provenance"]}}

    def _train_eval(self, cfg: dict, arch: str, method: str, seed: int, progress: bool) -> dict:
        model, hist = self.trained(cfg, arch, method, seed, progress, kept=False)
        t = time.perf_counter()
        m = self.evaluate(model, cfg, seed, progress)
        out = {"arch": arch, "method": method, "seed": seed, **m, "train_seconds": round(hist.seconds, 1),
               "eval_seconds": round(time.perf_counter() - t, 1), "final_epoch": hist.epochs[-1]}
        if cfg.get("curve_n"):
            out["history"] = hist.epochs  # every epoch: mean loss terms, lr, clean and PGD accuracy on the curve images
        return out

    # ---- the audit (AutoAttack beside PGD, masking checks) ---------------------------------------------------
    @staticmethod
    def audit_config(cfg: dict) -> dict:
        """What an audit depends on besides the run: its images (the first ``n_audit`` of the evaluation test
        subset), the threat model and PGD of the table, AutoAttack's version, the transfer source's method."""
        return {"n": cfg["n_audit"], "version": cfg["audit_version"], "dataset": cfg["dataset"],
                "n_eval_test": cfg["n_eval_test"], "eps": cfg["eps"], "steps": cfg["eval_steps"],
                "step_size": cfg["eval_step_size"], "seed": 0, "transfer_source": "Natural"}

    @staticmethod
    def audited(cfg: dict) -> list[tuple[str, str, int]]:
        """The runs of the grid that get a robustness audit (``audit_archs`` None: every architecture)."""
        return _selected(cfg, "audit")

    @staticmethod
    def kept(cfg: dict) -> list[tuple[str, str, int]]:
        """The runs whose networks are committed at a budget that keeps networks (``keep_*`` None: all)."""
        return _selected(cfg, "keep")

    def _audit(self, cfg: dict, arch: str, method: str, seed: int, row: dict, progress: bool) -> dict:
        """Audit the run's model on the first ``n_audit`` test images; black-box examples come from the Natural
        model of the same architecture and seed. Also checks that the audited model is the row's (same clean
        test accuracy on the evaluation subset), since a model without a surviving checkpoint is retrained."""
        model, _ = self.trained(cfg, arch, method, seed, progress)
        x, y = test_set(cfg)
        source = None if method == "Natural" else self.trained(cfg, arch, "Natural", seed, progress)[0]
        prefix = audit.id_prefix(self.artifact, arch, method, seed)
        out = audit.audit_model(model, x, y, eps=cfg["eps"], steps=cfg["eval_steps"],
                                step_size=cfg["eval_step_size"], id_prefix=prefix, n=cfg["n_audit"],
                                version=cfg["audit_version"], seed=0, source_model=source,
                                source_name=f"{arch} Natural (seed {seed})", progress=progress)
        same = audit.same_model(prefix, metrics.accuracy(model, x, y), row["test_acc"])
        return {**out, "claims": out["claims"] + [same]}

    # ---- the grid ------------------------------------------------------------------------------------------
    def points(self, cfg: dict) -> list[dict]:
        """Each (arch, method, seed) as the overrides that make ``cfg`` that one configuration (for
        :mod:`reprolib.sweep`); none when the section does not rerun (``rerun: False``)."""
        if not cfg.get("rerun", True):
            return []
        return [{"archs": [a], "methods": [m], "seeds": [s], "spread_seeds": []} for a, m, s in grid(cfg)]

    def _runs(self, cfg: dict, profile: str):
        """Each run of ``cfg`` in grid order: its (arch, method, seed), stored configuration and file."""
        for arch, method, seed in grid(cfg):
            config = self.run_config(cfg, arch, method, seed)
            yield (arch, method, seed), config, results.run_path(self.store, profile, config)

    def run_paths(self, cfg: dict, profile: str) -> list[Path]:
        """Where the runs of ``cfg`` are stored (what its record is merged from), in grid order."""
        return [path for _, _, path in self._runs(cfg, profile)]

    def stored(self, cfg: dict, profile: str) -> bool:
        """Whether :meth:`compute` would find every run of ``cfg`` stored, and each audited run's audit."""
        return all(s["record"] == "stored" and "to do" not in (s["audit"], s["weights"])
                   for s in self._standing(cfg, profile))

    def progress(self, cfg: dict, profile: str) -> list[dict]:
        """Where each run of ``cfg`` stands at ``profile``: its record stored, its audit and kept network (``—``
        where the budget asks for none), and how far its training got in the cache (the epoch of its checkpoint,
        or of the shorter run's it will continue)."""
        out = []
        for standing in self._standing(cfg, profile):
            run = standing.pop("run")
            out.append({"artifact": self.store, "network": "{} {} s{}".format(*run), **standing,
                        "training": "done" if standing["record"] == "stored" else self._trained_so_far(cfg, *run)})
        return out

    def _standing(self, cfg: dict, profile: str):
        """Each run of ``cfg`` in grid order, as soon as it is read: its ``run``, and whether its ``record``, its
        ``audit`` and its kept ``weights`` are stored ("stored"/"done"/"kept", "to do", or "—" where none is
        asked for)."""
        to_audit, to_keep = set(self.audited(cfg)), set(self.kept(cfg))
        for run, config, path in self._runs(cfg, profile):
            rec = results.read_record(path) if path.exists() else {}
            stored = rec.get("config_hash") == results.config_hash(config)
            audited = (rec.get("audit") or {}).get("config_hash") == results.config_hash(self.audit_config(cfg))
            yield {"run": run, "record": "stored" if stored else "to do",
                   "audit": "—" if run not in to_audit else "done" if stored and audited else "to do",
                   "weights": "—" if profile not in zoo.KEPT or run not in to_keep
                   else "kept" if stored and rec.get("weights") else "to do"}

    def _trained_so_far(self, cfg: dict, arch: str, method: str, seed: int) -> str:
        """How far a run's training got: the epoch of its checkpoint and when it was written, and the training time
        left at the median of its last three epochs (the curve's measurements not counted); or the epoch of the
        shorter run's checkpoint it will continue; or "not started"."""
        own = self.checkpoint(cfg, arch, method, seed)
        for path in [own, *self.earlier(cfg, arch, method, seed)]:
            if path.exists():
                state = torch.load(path, weights_only=False, map_location="cpu")
                done = f"epoch {state['epoch']} of {cfg['epochs']}"
                if path != own:
                    return done + f" (the {state['config']['epochs']}-epoch run's, to continue)"
                done += f", saved {time.strftime('%H:%M', time.localtime(path.stat().st_mtime))}"
                last = [e["seconds"] for e in state["history"][-3:] if e.get("seconds")]
                if not last or state["epoch"] >= cfg["epochs"]:
                    return done
                per = float(np.median(last))
                return done + f"; {_duration((cfg['epochs'] - state['epoch']) * per)} left at {_duration(per)} per epoch"
        return "not started"

    def reproduced(self, model, rec: dict) -> tuple[float, float]:
        """A kept network (:mod:`reprolib.zoo`) against its run record: its clean accuracy on the run's evaluation
        test subset, measured now, and as stored. Equal when the kept weights are the measured network."""
        x, y = test_set(rec["config"])
        return metrics.accuracy(model, x, y), rec["test_acc"]

    def paper_values(self, cfg: dict, arch: str, method: str) -> dict[str, float]:
        """The paper's values for a row of this configuration: none unless it runs at the paper's radius and on the
        dataset the paper measured that architecture on."""
        if self.paper_eps is not None and abs(cfg["eps"] - self.paper_eps) > 1e-12:
            return {}
        if arch in self.paper_datasets and cfg["dataset"] != self.paper_datasets[arch]:
            return {}
        return dict(self.paper.get(arch, {}).get(method, {}))

    def stored_runs(self, cfg: dict, profile: str, recompute: bool = False, progress: bool = True,
                    row: Callable[[dict], dict] = lambda rec: rec):
        """Every (arch, method, seed) trained and evaluated, its network kept at a kept budget (:mod:`reprolib.zoo`)
        and, if audited, its audit attached, each stored as soon as it finishes (resumable). Yields ``(arch,
        method, seed, row(run record), audit or None)``; the audit's ``same_model`` check compares with that row."""
        to_audit, to_keep = set(self.audited(cfg)), set(self.kept(cfg))
        for arch, method, seed in grid(cfg):
            config = self.run_config(cfg, arch, method, seed)
            rec = results.cached_run(
                self.store, profile=profile, recompute=recompute, config=config,
                compute=lambda: self._measured(cfg, arch, method, seed, profile, recompute, progress))
            if (arch, method, seed) in to_keep:
                zoo.keep(self.store, profile, config, lambda: self.trained(cfg, arch, method, seed, progress)[0],
                         arch=arch, method=method, seed=seed, network=self.network_id(cfg, arch, method, seed))
            shown = row(rec)
            found = None if (arch, method, seed) not in to_audit else results.attach(
                self.store, profile=profile, config=config, key="audit", attachment=self.audit_config(cfg),
                recompute=recompute,
                compute=lambda: self._audit_once(cfg, arch, method, seed, shown, profile, recompute, progress))
            yield arch, method, seed, shown, found

    def compute(self, cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict:
        """Train and evaluate every (arch, method, seed), each stored as soon as it finishes (resumable)."""
        rows, audits, labels = [], [], []
        for arch, method, seed, row, found in self.stored_runs(cfg, profile, recompute, progress,
                                                               lambda rec: self._row(cfg, rec)):
            rows.append(row)
            if found is not None:
                audits.append(found)
                labels.append({"arch": arch, "method": method, "seed": seed})
        return {"rows": rows, "claims": self.claims(rows), "seeds": sorted({r["seed"] for r in rows}),
                "audit": audit.summary(audits, labels),
                "status": "partial" if profile != "paper" else "reproduced",
                "notes": self.notes(cfg) if callable(self.notes) else self.notes.format(**cfg)}

    def _row(self, cfg: dict, rec: dict) -> dict:
        """A table row from a run record: the row keys, the last epoch's loss terms, the paper's values, the
        curve."""
        row = {k: rec.get(k) for k in ROW_KEYS + self.row_keys}
        # the last epoch's mean training loss terms (a network that did not fit shows here first)
        row["final_loss"] = {k: v for k, v in (rec.get("final_epoch") or {}).items()
                             if k not in ("epoch", "lr", "seconds") and not k.startswith("curve_")}
        row["paper"] = self.paper_values(cfg, rec["arch"], rec["method"])
        curve = curve_of(rec)
        if curve:  # the network's training curve (curve_n > 0): was it still climbing when training stopped?
            row["curve"] = curve
        return row

    def run(self, cfg: dict, profile: str, recompute: bool = False, progress: bool = True) -> dict[str, dict]:
        """The table's one record, merged from its stored runs (training those that are missing)."""
        config = {**cfg, "method_specs": {m: self.methods[m] for m in cfg["methods"]}}
        return {self.artifact: results.cached(
            self.artifact, profile=profile, config=config, recompute=recompute,
            compute=lambda: self.compute(cfg, profile, recompute=recompute, progress=progress))}

    def sweep(self) -> Sweep:
        # a point stores its run (and audit) only: what a subclass adds to the merged record is computed once, by
        # the section's own run, not once per point
        return Sweep(points=self.points, run=lambda cfg, profile, progress=False: MethodGrid.compute(
            self, cfg, profile, progress=progress), stored=self.stored, runs=self.run_paths, grids=(self,))

    def summary(self, rows: list[dict]) -> list[dict]:
        """Mean (and standard deviation over seeds) per (arch, method), with the paper's values attached."""
        groups: dict[tuple, list[dict]] = {}
        for r in rows:
            groups.setdefault((r["arch"], r["method"]), []).append(r)
        out = []
        for (arch, method), group in groups.items():
            s = {"arch": arch, "method": method, "n_seeds": len(group),
                 "paper": dict(self.paper.get(arch, {}).get(method, {}))}
            for k in METRICS:
                vals = np.array([g[k] for g in group if g.get(k) is not None], dtype=float)
                s[k] = float(vals.mean()) if len(vals) else None
                s[f"{k}_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else None
            out.append(s)
        return out


def curve_of(rec: dict) -> list[dict]:
    """A run record's training curve (clean and PGD accuracy after every epoch, and the epoch's mean training loss
    where the record has it; empty without ``curve_n``)."""
    return [{"epoch": e["epoch"], "clean": e["curve_clean"], "pgd": e["curve_pgd"],
             **({"loss": e["loss"]} if "loss" in e else {})}
            for e in rec.get("history") or [] if "curve_clean" in e]


def curve_figure(rows: list[dict], n: int, eval_steps: int):
    """Clean and PGD accuracy on the first ``n`` test images after every epoch, and the epoch's mean training loss
    (a third panel, when the records have it: on a log scale, it shows whether a network still fitted its training
    data), one line per network (the rows that stored a curve) and one row of panels per architecture, so that a
    reader sees whether training had plateaued."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    drawn = [r for r in rows if r.get("curve")]
    archs = list(dict.fromkeys(r["arch"] for r in drawn))
    panels = [("clean", "clean, first {n} test images"), ("pgd", "PGD-{eval_steps}, same images")]
    if any("loss" in c for r in drawn for c in r["curve"]):
        panels.append(("loss", "training loss (epoch mean)"))
    fig, axes = plt.subplots(len(archs), len(panels), figsize=(5 * len(panels), 3.4 * len(archs)), sharex=True,
                             squeeze=False)
    for arch, row_axes in zip(archs, axes):
        for r in (r for r in drawn if r["arch"] == arch):
            label = f"{r['method']}" + (f" (seed {r['seed']})" if r["seed"] else "")
            for ax, (key, _) in zip(row_axes, panels):
                points = [(c["epoch"], c[key] * (1 if key == "loss" else 100)) for c in r["curve"] if key in c]
                if points:
                    ax.plot(*zip(*points), marker="o", ms=3, label=label)
        where = f"{arch}: " if len(archs) > 1 else ""
        for ax, (key, title) in zip(row_axes, panels):
            ax.set(title=where + title.format(n=n, eval_steps=eval_steps))
            if key == "loss":
                ax.set_yscale("log")
        row_axes[0].set(ylabel="accuracy (%)")
        next(ax for ax in row_axes[::-1] if ax.lines).legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    for ax in axes[-1]:
        ax.set(xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def show_curves(record: dict, cfg: dict, profile: str, measured: str = "clean and PGD accuracy",
                images: str = "test images") -> None:
    """A page's training curves: what they are and the figure (:func:`curve_figure`), or a line saying that this
    budget's records store none."""
    from IPython.display import Markdown, display

    from .plotting import show

    if not any(r.get("curve") for r in record["rows"]):
        display(Markdown(f"The `{profile}` records store no training curves (`curve_n` is 0); the `full` budget's "
                         "do."))
        return
    display(Markdown(f"Every network stored its {measured} on the first {cfg['curve_n']:,} {images} after every "
                     "epoch (a budget's epochs are fixed in its profile: nothing stops on test data), drawn here so "
                     "that you can see whether each had plateaued" + _unlogged_loss(record["rows"]) + ":"))
    show(curve_figure(record["rows"], cfg["curve_n"], cfg["eval_steps"]))


def _unlogged_loss(rows: list[dict]) -> str:
    """Where a curve has the training loss for some epochs only (its first epochs trained by an earlier version of
    the loop, which logged the loss's terms and not the objective): from which epoch on the loss panel draws it."""
    logged = [(r, [c["epoch"] for c in r.get("curve") or [] if "loss" in c]) for r in rows]
    starts = {r["method"] + (f" (seed {r['seed']})" if r["seed"] else ""): epochs[0]
              for r, epochs in logged if 0 < len(epochs) < len(r["curve"])}
    if not starts:
        return ""
    return (" (the training loss from the epoch its record logged it on: "
            + ", ".join(f"{m} {e}" for m, e in starts.items()) + "; the epochs before were trained by an earlier "
            "version of the loop, which logged only the loss's terms)")


# ---- a grid run twice: once as configured, once with a dict of overrides (another dataset or architecture) ------

def variants(cfg: dict, key: str) -> list[dict]:
    """The settings of a section that runs its grid twice: ``cfg`` without ``key``, then, when ``cfg[key]`` is a
    dict of overrides (``None``: no second run), ``cfg`` with them applied. E.g. spatial's ``gcnn`` (the GCNN's
    settings) or TRADES Table 4's ``companion`` (the CIFAR-10 column's dataset and network)."""
    main = {k: v for k, v in cfg.items() if k != key}
    return [main] + ([{**main, **cfg[key]}] if cfg.get(key) else [])


def variant_sweep(key: str, main: MethodGrid, variant: MethodGrid | None = None) -> Sweep:
    """One sweep point per network of both of :func:`variants`' settings; ``variant`` (default ``main``) stores
    the second's runs. A point of the main grid sets ``key`` to None; a point of the variant empties the main grid
    (``methods: []``) and puts the point's overrides into ``key``, so each point names the grid it runs in."""
    grids = (main, variant or main)

    def points(cfg: dict) -> list[dict]:
        parts = variants(cfg, key)
        out = [{**p, key: None} for p in main.points(parts[0])]
        if len(parts) > 1:
            out += [{"methods": [], key: {**cfg[key], **p}} for p in grids[1].points(parts[1])]
        return out

    def stored(cfg: dict, profile: str) -> bool:
        return all(g.stored(s, profile) for g, s in zip(grids, variants(cfg, key)))

    def run(cfg: dict, profile: str, progress: bool = False) -> None:
        for g, s in zip(grids, variants(cfg, key)):
            if grid(s):
                MethodGrid.compute(g, s, profile, progress=progress)

    def runs(cfg: dict, profile: str) -> list[Path]:
        return [p for g, s in zip(grids, variants(cfg, key)) for p in g.run_paths(s, profile)]

    return Sweep(points=points, run=run, stored=stored, runs=runs, grids=grids[:1] if grids[1] is grids[0] else grids,
                 parts=lambda cfg: list(zip(grids, variants(cfg, key))))
