"""Sweeps: run a section's grid of configurations in parallel worker processes.

The engine is the standard library's ``concurrent.futures.ProcessPoolExecutor`` (no scheduler of our
own). Every configuration is stored on its own as soon as it finishes (``results.cached_run``), and a
configuration already in ``results/`` is skipped, so a sweep can be stopped and restarted at will.

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

from . import closer_look


def _one(cfg: dict, profile: str, arch: str, method: str, seed: int, threads: int) -> tuple:
    torch.set_num_threads(threads)
    one = {**cfg, "archs": [arch], "methods": [method], "seeds": [seed], "spread_seeds": []}
    closer_look.compute_table2(one, profile, progress=False)
    return arch, method, seed


def run_table2_sweep(cfg: dict, profile: str, *, workers: int = 2, threads_per_worker: int = 1) -> list[tuple]:
    """Every (arch, method, seed) of ``cfg`` in ``workers`` processes; returns them in completion order."""
    grid = closer_look.table2_grid(cfg)
    done = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_one, cfg, profile, a, m, s, threads_per_worker) for a, m, s in grid]
        for fut in tqdm(as_completed(futures), total=len(futures), desc="sweep"):
            done.append(fut.result())
    return done
