"""reprolib: the library behind the robustness-accuracy reproduction book.

Modules (each says which paper section it implements): ``data``, ``profiles``, ``results``,
``separation``, ``models``, ``attacks``, ``losses``, ``train``, ``metrics``, ``invariance``,
``construction``, ``gcnn``, ``theory``, ``claims``, ``plotting``, ``report``, ``scorecard``; ``sections`` maps
each book section to its computation.
"""
__version__ = "0.1.0"

from . import profiles, results  # noqa: E402,F401  (cheap, always needed)
from .errors import ConfigError, DataError, ReproError  # noqa: E402,F401
