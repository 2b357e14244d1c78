"""The `paper` profile, rehearsed: every section's GPU recipe run end to end at a shrunken size on the CPU.

A rehearsal takes a section's ``paper`` settings and shrinks only its sizes: every setting declared a count (images,
points; :func:`reprolib.settings.count`) to at most :data:`COUNT`, every step count (epochs, attack and evaluation
steps; :func:`reprolib.settings.steps`) to at most :data:`STEPS` (0, "off", stays 0), every list of seeds to its
first (the seed spread to none), the audited methods to the first (the audit's code path is the same for every
network), the batch to at most :data:`BATCH`, and the learning-rate milestones scaled to the shrunken epochs, in the section's settings and in any
second grid's overrides (``companion``). Architecture, dataset, optimiser, schedule, threat model, attacks,
evaluation, audit and record writing are the paper's. Datasets that this machine does not have are replaced by
random images of their exact shape and class count (``$REPROLIB_STAND_IN``, :func:`reprolib.data.stand_in`), and the
records say so in their provenance. ``tests/test_rehearsal.py`` runs every section this way.
"""
from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

from . import data, profiles, sections

COUNT = 10  # images (or points) of every declared count
STEPS = 2  # epochs, attack steps, evaluation steps, ...
BATCH = 8


def _scaled(milestones: list[int], epochs: int, shrunk: int) -> list[int]:
    """The milestones at the same fractions of a shrunken schedule (at least epoch 1, distinct, within it)."""
    return sorted({min(shrunk, max(1, math.ceil(m * shrunk / epochs))) for m in milestones})


def _shrink(values: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """The overrides that shrink ``values`` (a resolved configuration, or a second grid's overrides of it)."""
    out = {}
    for name, value in values.items():
        kind = kinds.get(name)
        if kind == "count" and (value is None or value > COUNT):
            out[name] = COUNT
        elif kind == "steps" and value and value > STEPS:
            out[name] = STEPS
        elif kind == "seeds" and name == "spread_seeds" and value:
            out[name] = []
        elif kind in ("seeds", "audited") and len(value) > 1:
            out[name] = list(value[:1])
        elif name == "batch_size" and value > BATCH:
            out[name] = BATCH
    epochs = values.get("epochs")
    if values.get("milestones") and epochs:
        out["milestones"] = _scaled(list(values["milestones"]), epochs, out.get("epochs", epochs))
    return out


def overrides(section: str) -> dict[str, Any]:
    """The parameters that turn ``section``'s ``paper`` profile into its rehearsal (``run -p`` / papermill)."""
    cls = sections.get(section).settings
    kinds = {f.name: f.metadata.get("kind") for f in fields(cls)}
    cfg = profiles.resolve(section, "paper")
    out = _shrink(cfg, kinds)
    for f in fields(cls):
        nested = cfg.get(f.name)
        if f.metadata.get("overrides") and nested:
            # the second grid's own values, shrunk; what it inherits is shrunk with the section's
            merged = {**cfg, **nested}
            out[f.name] = {**nested, **{k: v for k, v in _shrink(merged, kinds).items() if k in nested}}
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
