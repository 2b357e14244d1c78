"""Profiles (``smoke``, ``cpu``, ``paper``) and the resolver of a section's configuration.

Each paper module declares its sections' settings (a base dictionary plus per-profile changes, see
:class:`reprolib.sections.Section`). ``resolve`` merges them with user overrides and validates the result, so a
notebook's parameters cell only names a profile and the values it wants to change.

* ``smoke``: seconds per notebook, for CI; numbers mean nothing.
* ``cpu``: what the published book shows, computed on 2 CPU cores (scaled down; every
  reduction is stated on the page).
* ``paper``: the papers' own hyperparameters, for users with a GPU.
"""
from __future__ import annotations

import copy
from numbers import Number
from typing import Any, Collection, Mapping

from . import sections as _sections
from .errors import ConfigError

PROFILES = ("smoke", "cpu", "paper")


def sections() -> list[str]:
    """Every section's name (the registry's order)."""
    return _sections.names()


_ZERO_SKIPS = ("n_eval_train", "lip_steps", "n_deepfool")


def _check(key: str, value: Any, choices: Mapping[str, Collection[str]]) -> None:
    """Validate one resolved value by what its name means; raise ConfigError naming it."""
    from . import data, models  # late import: profiles is imported by everything

    def number(v):
        return isinstance(v, Number) and not isinstance(v, bool)

    if key in _ZERO_SKIPS and value == 0:  # a grid's "leave this measurement out" (see reprolib.grid)
        return
    if (key.endswith("_grid") or key in ("angles", "shifts", "levels")) and isinstance(value, list):  # radii, ranges
        if not all(number(v) and v >= 0 for v in value):
            raise ConfigError(f"{key}={value!r} must be a list of non-negative numbers")
    elif key == "eps" or key.endswith("_eps"):
        if not number(value) or value < 0:
            raise ConfigError(f"{key}={value!r} must be a non-negative number")
    elif key.endswith("steps") and not key.startswith("n_"):
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{key}={value!r} must be an integer >= 1")
    elif key.endswith("step_size") or key in ("lr", "batch_size", "epochs"):
        if not number(value) or value <= 0:
            raise ConfigError(f"{key}={value!r} must be > 0")
    elif key.startswith("n_") and value is not None:
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{key}={value!r} must be an integer >= 1 or None (all)")
    elif key in ("dataset", "datasets"):
        for name in [value] if key == "dataset" else value:
            data.dataset_info(name)
    elif key in ("arch", "archs"):
        for name in [value] if key == "arch" else value:
            models.check_name(name)
    elif key in choices and value is not None:  # None: the section's own default ("all")
        unknown = [v for v in (value if isinstance(value, list) else [value]) if v not in choices[key]]
        if unknown:
            raise ConfigError(f"{key}: unknown {unknown}; known: {', '.join(map(str, choices[key]))}")
    elif key == "optimizer" and value not in ("sgd", "adam"):
        raise ConfigError(f"optimizer={value!r} unknown; known: sgd, adam")
    elif key == "precision" and value not in ("fp32", "bf16"):
        raise ConfigError(f"precision={value!r} unknown; known: fp32, bf16")


def resolve(section: str, profile: str = "cpu", **overrides: Any) -> dict[str, Any]:
    """The full configuration of ``section`` under ``profile`` with ``overrides`` applied.

    Overrides equal to ``None`` are ignored (a notebook's unset parameter); ``n_*="all"`` means no subset.
    """
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile '{profile}'; choose from {', '.join(PROFILES)}")
    spec = _sections.get(section)
    cfg = copy.deepcopy(dict(spec.profiles["base"]))
    cfg.update(copy.deepcopy(dict(spec.profiles.get(profile, {}))))
    for key, value in overrides.items():
        if value is None:  # a notebook parameter left at None keeps the profile's value
            continue
        if key.startswith("n_") and value == "all":
            value = None
        if key not in cfg:
            raise ConfigError(f"unknown parameter '{key}' for {section}; known: {', '.join(cfg)}")
        default = cfg[key]
        if value is None:
            cfg[key] = None
            continue
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if default is not None and value is not None and not isinstance(value, type(default)):
            raise ConfigError(f"parameter '{key}'={value!r} has type {type(value).__name__}, "
                              f"expected {type(default).__name__}")
        cfg[key] = value
    for key, value in cfg.items():
        _check(key, value, spec.choices)
    return cfg
