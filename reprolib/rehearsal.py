"""The `paper` profile, rehearsed: every section's GPU recipe run end to end at a shrunken size on the CPU.

A rehearsal takes a section's ``paper`` settings and shrinks only its sizes: every setting declared a count (images,
points; :func:`reprolib.settings.count`) to at most :data:`COUNT` (:data:`GRID_COUNT` in a grid of trainings,
:data:`AUDITED` for AutoAttack), every step count (epochs, attack and evaluation
steps; :func:`reprolib.settings.steps`) to at most :data:`STEPS` (0, "off", stays 0), every list of seeds to its
first (the seed spread to none), a table's methods to its first :data:`ROWS` and the audited ones to the first (the
training and audit code paths are every method's and every network's; what a GPU run can trip on is the
architecture, the data and the schedule), the batch to at most :data:`BATCH`, and the learning-rate milestones
scaled to the shrunken epochs, in the section's settings and in any second grid's overrides (``companion``). Architecture, dataset, optimiser, schedule, threat model, attacks,
evaluation, audit and record writing are the paper's. Datasets that this machine does not have are replaced by
random images of their exact shape and class count (``$REPROLIB_STAND_IN``, :func:`reprolib.data.stand_in`), and the
records say so in their provenance; a grid on such a stand-in is not audited (a network trained for two epochs on
two random images is near constant, so AutoAttack spends its whole budget on any image it gets right: four minutes
for one image on a ResNet-18 here), its training, evaluation and records are. ``tests/test_rehearsal.py`` runs
every section this way.
"""
from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

from . import data, profiles, sections

COUNT = 10  # images (or points) of every declared count (one image per class: the separation pages need them all)
GRID_COUNT = 2  # images of a grid of trainings: WRN-40-10 costs 16 GFLOP per image and pass on 3×32×32
AUDITED = 1  # images AutoAttack attacks: its code path runs on one (the larger networks make every image count)
ROWS = 2  # methods of a table: the first (natural training, in every grid) and the next; the losses' own code paths
          # are every method's, tested at smoke; what a GPU run can trip on is the architecture and the data
STEPS = 2  # epochs, attack steps, evaluation steps, ...
BATCH = 8


def _scaled(milestones: list[int], epochs: int, shrunk: int) -> list[int]:
    """The milestones at the same fractions of a shrunken schedule (at least epoch 1, distinct, within it)."""
    return sorted({min(shrunk, max(1, math.ceil(m * shrunk / epochs))) for m in milestones})


def _shrink(values: dict[str, Any], kinds: dict[str, str], count: int) -> dict[str, Any]:
    """The overrides that shrink ``values`` (a resolved configuration, or a second grid's overrides of it), every
    count to at most ``count``."""
    out = {}
    for name, value in values.items():
        kind = kinds.get(name)
        limit = AUDITED if name == "n_audit" else count
        if kind == "count" and (value is None or value > limit):
            out[name] = limit
        elif kind == "steps" and value and value > STEPS:
            out[name] = STEPS
        elif kind == "seeds" and name == "spread_seeds" and value:
            out[name] = []
        elif kind in ("seeds", "audited") and len(value) > 1:
            out[name] = list(value[:1])
        elif kind == "rows" and len(value) > ROWS:
            out[name] = list(value[:ROWS])
        elif name == "batch_size" and value > BATCH:
            out[name] = BATCH
    rows = out.get("methods", values.get("methods"))
    if "methods" in out and values.get("audit_methods"):  # audit a network the shrunk table still trains
        out["audit_methods"] = [m for m in values["audit_methods"] if m in rows][:1] or list(rows[-1:])
    epochs = values.get("epochs")
    if values.get("milestones") and epochs:
        out["milestones"] = _scaled(list(values["milestones"]), epochs, out.get("epochs", epochs))
    return out


def overrides(section: str) -> dict[str, Any]:
    """The parameters that turn ``section``'s ``paper`` profile into its rehearsal (``run -p`` / papermill)."""
    cls = sections.get(section).settings
    kinds = {f.name: f.metadata.get("kind") for f in fields(cls)}
    cfg = profiles.resolve(section, "paper")
    count = GRID_COUNT if sections.get(section).sweep else COUNT
    out = _shrink(cfg, kinds, count)
    offline = stand_ins(section)
    if cfg.get("dataset") in offline and "audit_methods" in cfg:
        out["audit_methods"] = []
    for f in fields(cls):
        nested = cfg.get(f.name)
        if f.metadata.get("overrides") and nested:
            # the second grid's own values, shrunk; what it inherits is shrunk with the section's
            merged = {**cfg, **nested}
            out[f.name] = {**nested, **{k: v for k, v in _shrink(merged, kinds, count).items() if k in nested}}
            if merged.get("dataset") in offline and "audit_methods" in cfg:
                out[f.name]["audit_methods"] = []
    return out


def stand_ins(section: str) -> list[str]:
    """The datasets ``section``'s paper profile reads that this machine does not have (offline: no source)."""
    cfg = profiles.resolve(section, "paper")
    names = set(cfg.get("datasets") or []) | {cfg[k] for k in ("dataset",) if cfg.get(k)}
    for f in fields(sections.get(section).settings):
        if f.metadata.get("overrides") and cfg.get(f.name):
            names |= {cfg[f.name].get("dataset")} - {None}
    return sorted(n for n in names if not data.available(n))


def rehearsed() -> list[str]:
    """The sections with a ``paper`` profile that compute something (the book-wide pages only read)."""
    return [s for s in sections.names() if sections.get(s).run and "paper" in profiles.available(s)]
