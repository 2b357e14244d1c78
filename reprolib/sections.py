"""The section registry: every section of the book, assembled from the paper modules.

A *section* is one notebook (``notebooks/<paper>/<name>.md``) and its computation. Each paper module of
:mod:`reprolib.papers` declares, in one place, a ``SECTIONS`` tuple of :class:`Section` (configuration per
profile, runner, allowed values, sweep) and a ``CATALOGUE`` tuple of scorecard rows. This module collects them:
it reads the list of paper modules from ``reprolib.papers.PAPERS`` and imports them by name when the registry is
first asked for, so the shared machinery (profiles, pipeline, CLI, scorecard) never imports a paper module, and
a new paper is one new module plus its name in ``PAPERS``. The book-wide sections (``BOOK_WIDE``: the
scorecard and the pages on audits and costs) are added last.
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import ConfigError
from .settings import Settings

Runner = Callable[..., dict]  # run(cfg, profile, recompute=False, progress=True) -> {artifact: record}


@dataclass(frozen=True)
class Sweep:
    """A section whose computation is a grid of independent configurations (one training each).

    ``points(cfg)`` lists the overrides that make ``cfg`` one configuration; ``run(one_cfg, profile,
    progress=False)`` computes and stores that configuration (``results.cached_run``), without the section's
    merged record, which the notebook (or ``compute``) then assembles from the stored configurations.
    ``stored(one_cfg, profile)`` tells whether that configuration is stored already (hashed exactly as ``run``
    hashes it), so that a sweep submits no job for it; without it every point is run (and reuses what it finds).
    ``runs(cfg, profile)`` lists the files that store ``cfg``'s configurations: a stored run that no profile lists
    is an orphan (tests/test_profiles_results.py keeps the committed ones free of them). ``grids`` names the tables
of trainings behind it, for whatever reads them all (tests, the zoo), and ``as_grid`` the section's settings as
they read them."""
    points: Callable[[dict], list[dict]]
    run: Callable[..., Any]
    stored: Callable[[dict, str], bool] | None = None
    runs: Callable[[dict, str], list[Path]] | None = None
    grids: tuple = ()  # the tables of trainings (reprolib.grid.MethodGrid) whose networks it trains, main first
    # the section's settings as its grids read them (``archs``, ``methods``, ``seeds``, the audit's ...), for a
    # section whose own settings say it otherwise (TRADES Table 3: one architecture, a list of λ)
    as_grid: Callable[[dict], dict] = lambda cfg: cfg
    # each table of trainings with the settings it runs with, for a section that runs more than one
    # (reprolib.grid.variant_sweep); None: the main grid with ``as_grid(cfg)``
    parts: Callable[[dict], list[tuple[Any, dict]]] | None = None

    def grid_settings(self, cfg: dict) -> list[tuple[Any, dict]]:
        """Each table of trainings behind the section, with the settings it runs with for the section's ``cfg``."""
        return self.parts(cfg) if self.parts else [(self.grids[0], self.as_grid(cfg))]


@dataclass(frozen=True)
class Section:
    """One notebook's configuration and computation.

    ``settings`` is its typed settings class (:mod:`reprolib.settings`: every parameter with its type, range and
    default); ``profiles`` maps ``"base"`` and any of ``smoke`` / ``cpu`` / ``paper`` to the values that differ from
    those defaults (the profile's entries update the base's)."""
    name: str
    settings: type[Settings] = Settings
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    run: Runner | None = None
    sweep: Sweep | None = None
    # other sections whose stored records (or runs) this one's notebook reads; a section without ``run`` reads
    # every computing section's (the closing pages, the scorecard)
    reads: tuple[str, ...] = ()


# The book-wide pages: they read every other section's records and compute nothing; executed last.
BOOK_WIDE = (Section("audits"), Section("costs"), Section("scorecard"))


def paper_modules() -> list:
    """The paper modules, in the book's order (``reprolib.papers.PAPERS``)."""
    papers = importlib.import_module(f"{__package__}.papers")
    return [importlib.import_module(f"{papers.__name__}.{name}") for name in papers.PAPERS]


@functools.lru_cache(maxsize=None)
def registry() -> dict[str, Section]:
    """Every section by name: the papers' sections in the book's order, then the book-wide pages."""
    out: dict[str, Section] = {}
    for module in paper_modules():
        for section in getattr(module, "SECTIONS", ()):
            if section.name in out:
                raise ConfigError(f"section '{section.name}' is declared twice")
            out[section.name] = section
    out.update((s.name, s) for s in BOOK_WIDE)
    for section in out.values():
        unknown = [r for r in section.reads if r not in out]
        if unknown:
            raise ConfigError(f"section '{section.name}' reads={unknown!r}: no such section")
    return out


def names() -> list[str]:
    return list(registry())


def get(name: str) -> Section:
    sections = registry()
    if name not in sections:
        raise ConfigError(f"unknown section '{name}'; known: {', '.join(sections)}")
    return sections[name]


def catalogue() -> list:
    """Every artifact of the four papers (``scorecard.Artifact`` rows), paper by paper."""
    return [row for module in paper_modules() for row in getattr(module, "CATALOGUE", ())]
