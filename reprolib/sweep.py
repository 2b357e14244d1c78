"""Sweeps: run a section's grid of configurations in parallel worker processes.

A section with a grid declares it (:class:`reprolib.sections.Sweep`: its points and the runner of one point).
The engine is the standard library's ``concurrent.futures.ProcessPoolExecutor`` (no scheduler of our own).
Every configuration is stored on its own as soon as it finishes (``results.cached_run``), and a configuration
already in ``results/`` is skipped, so a sweep can be stopped and restarted at will.

On a cluster, submit one job per configuration instead, e.g. a SLURM array whose task i runs::

    python -m reprolib compute closer_look/table2 --profile paper \\
        -p 'archs=[CNN1]' -p 'methods=[AT]' -p 'seeds=[0]' -p 'spread_seeds=[]'

Each job writes ``results/closer_look/table2@paper/<hash>.json``; a last run of the notebook (or of
``compute`` with the whole grid) then finds every configuration stored and only merges them.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed

import torch
from tqdm.auto import tqdm

from . import sections
from .errors import ConfigError


def points(section: str, cfg: dict) -> list[dict]:
    """The configurations of ``section``'s grid, each as the full configuration of one point."""
    spec = sections.get(section)
    if spec.sweep is None:
        raise ConfigError(f"section '{section}' has no grid to sweep; sections with one: "
                          f"{', '.join(n for n, s in sections.registry().items() if s.sweep)}")
    return [{**cfg, **point} for point in spec.sweep.points(cfg)]


def _one(section: str, cfg: dict, profile: str, threads: int) -> dict:
    torch.set_num_threads(threads)
    sections.get(section).sweep.run(cfg, profile, progress=False)
    return cfg


def run_sweep(section: str, cfg: dict, profile: str, *, workers: int = 2, threads_per_worker: int = 1) -> list[dict]:
    """Every configuration of ``section``'s grid in ``workers`` processes; returns them in completion order."""
    grid = points(section, cfg)
    done = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_one, section, one, profile, threads_per_worker) for one in grid]
        for fut in tqdm(as_completed(futures), total=len(futures), desc=f"sweep {section}"):
            done.append(fut.result())
    return done
