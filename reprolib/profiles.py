"""Profiles (``smoke``, ``cpu``, ``paper``) and the resolver of a section's configuration.

Each paper module declares its sections' settings: a typed settings class (:mod:`reprolib.settings`) and, per
profile, the values that differ from the class's defaults (:class:`reprolib.sections.Section`). ``resolve``
makes the settings of a profile with a user's overrides (validated once, by declared type and range) and returns
the flat configuration that notebooks read and records store.

* ``smoke``: seconds per notebook, for CI; numbers mean nothing.
* ``cpu``: a rerun in about an hour per notebook on 2 CPU cores (scaled down; every reduction is stated on the
  page).
* ``full``: the full training set at the paper's threat model and evaluation, on these CPUs over many sessions
  (declared only by the sections that train networks; epochs and attack steps as affordable, stated on the page).
* ``paper``: the papers' own hyperparameters, for users with a GPU.
"""
from __future__ import annotations

from typing import Any, Mapping

from . import sections as _sections
from .errors import ConfigError
from .settings import _plain

PROFILES = ("smoke", "cpu", "full", "paper")
# what each budget is, in a page's words (the page names the budget its numbers come from)
BUDGETS = {"smoke": "seconds per page, for CI: its numbers mean nothing",
           "cpu": "a reduced budget, rerun in about an hour on two CPU cores (every reduction stated on the page)",
           "full": "the full training set at the paper's threat model and evaluation, trained on two CPU cores over "
                   "several sessions (epochs and attack steps as affordable, stated on the page)",
           "paper": "the paper's own settings, for a GPU"}
DECLARED_ONLY = ("full",)  # profiles a section has only where it declares them
# what a notebook's parameters cell holds besides the section's settings
NOTEBOOK_PARAMETERS = ("profile", "recompute")


def sections() -> list[str]:
    """Every section's name (the registry's order)."""
    return _sections.names()


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile '{profile}'; choose from {', '.join(PROFILES)}")
    return profile


def settings(section: str, profile: str = "cpu", **overrides: Any):
    """The typed settings of ``section`` under ``profile`` with ``overrides`` applied (``None``: the profile's
    value; ``"all"`` for a count: no subset)."""
    check_profile(profile)
    spec = _sections.get(section)
    if profile in DECLARED_ONLY and profile not in spec.profiles:
        raise ConfigError(f"{section} has no '{profile}' profile (it trains no network, or not yet); "
                          f"profiles: {', '.join(available(section))}")
    values = {**spec.profiles.get("base", {}), **spec.profiles.get(profile, {}),
              **{k: v for k, v in overrides.items() if v is not None}}
    return spec.settings.make(section, values)


def available(section: str) -> list[str]:
    """The profiles ``section`` can run: smoke, cpu and paper, and those of :data:`DECLARED_ONLY` it declares."""
    spec = _sections.get(section)
    return [p for p in PROFILES if p not in DECLARED_ONLY or p in spec.profiles]


def published(section: str) -> str:
    """The budget the book shows for ``section``: ``full`` once the section's ``full`` record is stored (every
    network trained, measured and audited, the record merged), ``cpu`` until then."""
    from .results import artifact_path

    spec = _sections.get(section)
    grids = spec.sweep.grids if spec.sweep else ()
    if "full" in available(section) and grids and artifact_path(grids[0].artifact, "full").exists():
        return "full"
    return "cpu"


def resolve(section: str, profile: str = "cpu", **overrides: Any) -> dict[str, Any]:
    """The full configuration of ``section`` under ``profile`` with ``overrides`` applied, as a flat dict."""
    return settings(section, profile, **overrides).as_dict()


def parameters(section: str) -> list[str]:
    """The names a user may set for ``section`` (``run -p``, papermill ``-p``, a notebook's parameters cell)."""
    return [row["name"] for row in _sections.get(section).settings.describe()]


def from_notebook(section: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """A notebook's configuration: its ``profile`` and every parameter of the section that its parameters cell
    (or papermill's injected cell) set, read from the notebook's namespace, so that no parameter can be dropped
    between the command line and the computation."""
    given = {k: namespace[k] for k in parameters(section) if k in namespace}
    return resolve(section, namespace.get("profile", "cpu"), **given)


def deviations(section: str, cfg: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The settings of a resolved configuration ``cfg`` of ``section`` that differ from its ``paper`` profile (the
    paper's protocol): name -> (this value, the paper's)."""
    paper = resolve(section, "paper")
    return {k: (cfg.get(k), paper.get(k)) for k in parameters(section) if cfg.get(k) != paper.get(k)}


def table(section: str) -> list[dict[str, Any]]:
    """Each parameter of ``section``: name, type, allowed values, meaning and its value per profile."""
    rows = _sections.get(section).settings.describe()
    made = {p: settings(section, p) for p in available(section)}
    return [{**row, **{p: _plain(getattr(s, row["name"])) for p, s in made.items()}} for row in rows]
