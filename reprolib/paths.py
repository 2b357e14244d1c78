"""Where things live: repository root, data cache, results store, artifacts (checkpoints)."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Data cache (``$REPROLIB_DATA``, default ``<repo>/data``; git-ignored)."""
    return Path(os.environ.get("REPROLIB_DATA", REPO_ROOT / "data"))


def results_dir() -> Path:
    """Results store (``$REPROLIB_RESULTS``, default the committed ``<repo>/results``)."""
    return Path(os.environ.get("REPROLIB_RESULTS", REPO_ROOT / "results"))


def artifacts_dir() -> Path:
    """Checkpoints and other build products (``$REPROLIB_ARTIFACTS``, default ``<repo>/artifacts``)."""
    return Path(os.environ.get("REPROLIB_ARTIFACTS", REPO_ROOT / "artifacts"))


def stand_ins() -> tuple[str, ...]:
    """Datasets replaced by random images of their exact shape and class count (``$REPROLIB_STAND_IN``, a comma
    list; empty by default): the `paper` rehearsal's stand-in for datasets this offline machine does not have.
    Records computed with one say so in their provenance."""
    return tuple(sorted(n for n in os.environ.get("REPROLIB_STAND_IN", "").split(",") if n.strip()))
