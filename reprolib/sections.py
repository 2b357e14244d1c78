"""Every section's computation by name: what the notebooks call and ``python -m reprolib compute`` runs.

Each entry is ``run(cfg, profile, recompute=False, progress=True) -> {artifact: record}``.
"""
from .closer_look import SECTIONS as _CLOSER_LOOK
from .theory_runs import THEORY_SECTIONS as _THEORY

SECTIONS = {**_CLOSER_LOOK, **_THEORY}
