"""reprolib: the library behind the robustness-accuracy reproduction book.

Shared machinery, one job per module: ``data`` (datasets, offline sources), ``models`` (every network, the p4
group-equivariant layers of ``gcnn`` included), ``attacks`` (one PGD core, step rules and objectives),
``losses`` (training methods as losses for the one loop), ``train`` (that loop), ``metrics``, ``invariance``,
``separation``, ``parallel``, ``numerics``, ``results`` (the records store), ``profiles`` (the resolver),
``sections`` (the registry), ``sweep``, ``pipeline`` (notebooks through papermill), ``report``, ``plotting``,
``claims``, ``scorecard`` and the CLI (``__main__``).

Everything that only one paper needs is in ``reprolib.papers.<paper>`` (``trades``, ``closer_look``,
``spatial``, ``cake``): its distributions, sections and their profiles, computations, claims, paper values.
Shared modules never import a paper module; the registry finds them through ``reprolib.papers.PAPERS``.
"""
__version__ = "0.1.0"

from . import profiles, results  # noqa: E402,F401  (cheap, always needed)
from .errors import ConfigError, DataError, ReproError  # noqa: E402,F401
