"""Profiles (``smoke``, ``cpu``, ``paper``): every section's configuration, in one place.

A section's configuration is a base dictionary plus per-profile changes. ``resolve`` merges
them with user overrides and validates the result, so a notebook's parameters cell only
names a profile and the values it wants to change.

* ``smoke``: seconds per notebook, for CI; numbers mean nothing.
* ``cpu``: what the published book shows, computed on 2 CPU cores (scaled down; every
  reduction is stated on the page).
* ``paper``: the papers' own hyperparameters, for users with a GPU.
"""
from __future__ import annotations

import copy
from numbers import Number
from typing import Any

from .errors import ConfigError

PROFILES = ("smoke", "cpu", "paper")

# TRADES weight beta, RST lambda etc. per closer_look Table 2 row (REPRO_SPEC Part II §2.3).
CLOSER_LOOK_METHODS = {
    "Natural": {"method": "natural"},
    "GR": {"method": "gr", "gr_lambda": 1.0, "gr_h": 1.0},
    # The released code's effective LLR (what produced Table 2); Qin et al.'s form collapsed to a constant
    # classifier at the cpu budget (see the Table 2 page). ``losses.LLR(form="qin")`` remains available.
    "LLR": {"method": "llr", "llr_lambda": 4.0, "llr_mu": 3.0, "steps": 2, "form": "c1"},
    "AT": {"method": "at"},
    "RST(λ=.5)": {"method": "rst", "rst_lambda": 0.5},
    "RST(λ=1)": {"method": "rst", "rst_lambda": 1.0},
    "RST(λ=2)": {"method": "rst", "rst_lambda": 2.0},
    "TRADES(β=1)": {"method": "trades", "beta": 1.0},
    "TRADES(β=3)": {"method": "trades", "beta": 3.0},
    "TRADES(β=6)": {"method": "trades", "beta": 6.0},
}

_SECTIONS: dict[str, dict[str, Any]] = {
    # closer_look Table 1 / Fig 3 and cake Table 2: exact L-inf separation.
    "closer_look/separation": {
        "base": {"datasets": ["mnist", "fashion_mnist"], "n_train": None, "n_test": None, "seed": 0},
        "smoke": {"n_train": 3000, "n_test": 300},
        "paper": {"datasets": ["mnist", "fashion_mnist", "cifar10", "svhn"]},
    },
    # closer_look Thm 4.2: the distance-to-class construction as a classifier.
    "closer_look/existence": {
        "base": {"datasets": ["mnist", "fashion_mnist"], "n_train": None, "n_test": 1000,
                 "n_pairs": 2000, "seed": 0, "spiral_points": 200, "grid": 300},
        "smoke": {"datasets": ["mnist"], "n_train": 2000, "n_test": 100, "n_pairs": 200, "grid": 60},
        "paper": {"n_test": None},
    },
    # closer_look Table 2: MNIST, eps = 0.1, methods x architectures.
    "closer_look/table2": {
        "base": {
            "dataset": "mnist", "eps": 0.1, "archs": ["CNN1"],
            "methods": list(CLOSER_LOOK_METHODS),
            "seeds": [0], "spread_methods": ["Natural", "AT", "TRADES(β=6)"], "spread_seeds": [1],
            "n_train": 10000, "epochs": 5, "batch_size": 64,
            "optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "milestones": [], "reduction": "mean",
            "attack_steps": 10, "attack_step_size": 0.02,
            "eval_steps": 10, "eval_step_size": 0.02, "n_eval_train": 1000, "n_eval_test": 1000,
            "lip_steps": 10, "lip_step_size": 0.02, "precision": "fp32",
        },
        "cpu": {"archs": ["CNN1", "CNN2"]},
        "smoke": {"methods": ["Natural", "AT", "TRADES(β=1)"], "spread_seeds": [], "n_train": 600, "epochs": 1,
                  "n_eval_train": 100, "n_eval_test": 100},
        "paper": {"archs": ["CNN1", "CNN2"], "n_train": None,
                  "epochs": 160, "lr": 1e-4, "reduction": "sum", "milestones": [40, 80, 120, 140],
                  "n_eval_train": None, "n_eval_test": None},
    },
    # spatial §3 Prop 1 and Thm 2 on the cyclic-code distribution (REPRO_SPEC Part II §4): closed forms + numpy
    # Monte Carlo. ds pick the stored generators (reprolib.theory.DEFAULT_GENERATOR); shifts by m = shift_fraction·d.
    "spatial/theory": {
        "base": {"ds": [8, 16, 64], "ps": [0.5, 0.55, 0.6, 0.7, 0.9], "shift_fraction": 0.25,
                 "m_fractions": [0.125, 0.25, 0.5], "etas": [0.0, 0.01, 0.05, 0.1],
                 "family_d": 64, "family_p": 0.6, "betas": [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0],
                 "n_mc": 200000, "seed": 0},
        "smoke": {"ds": [8, 16], "ps": [0.5, 0.6], "betas": [0.0, 2.0, 8.0], "n_mc": 20000},
        "cpu": {"n_mc": 200000},  # the spec's n per Monte Carlo cell
    },
    # cake §3, Thm 3.1 (Tsipras et al.): p = 0.95, eta = eta_sqrt_d / sqrt(d), eps = 2 eta (REPRO_SPEC Part I §3).
    "cake/tsipras": {
        "base": {"p": 0.95, "d": 1000, "eta_sqrt_d": 3.0, "eta_sqrt_d_grid": [1.0, 2.0, 2.3263],
                 "clean_targets": [0.96, 0.99], "n_mc": 100000, "n_fit": 10000, "fit_steps": 300, "seed": 0},
        "smoke": {"d": 200, "n_mc": 20000, "n_fit": 1000, "fit_steps": 100},
        "cpu": {"n_mc": 100000},  # the spec's Monte Carlo size
    },
    # closer_look Table 4's protocol (dropout vs none) on Fashion-MNIST, a stand-in for SVHN / CIFAR-10.
    "closer_look/dropout": {
        "base": {},  # filled below from closer_look/table2's base
        "cpu": {"dataset": "fashion_mnist", "archs": ["CNN2", "CNN2-nodropout"],
                "methods": ["Natural", "AT", "TRADES(β=6)"], "spread_seeds": [], "n_train": 5000, "epochs": 4},
        "smoke": {"dataset": "fashion_mnist", "archs": ["CNN2", "CNN2-nodropout"], "methods": ["Natural", "AT"],
                  "spread_seeds": [], "n_train": 300, "epochs": 1, "n_eval_train": 50, "n_eval_test": 50},
        "paper": {"dataset": "svhn", "archs": ["WRN-40-10-drop50", "WRN-40-10"],
                  "methods": ["Natural", "AT", "RST(λ=2)", "TRADES(β=3)", "TRADES(β=6)"], "spread_seeds": [],
                  "eps": 0.031, "attack_step_size": 0.0062, "eval_step_size": 0.0062, "lip_step_size": 0.0062,
                  "n_train": None, "epochs": 60, "lr": 1e-2, "momentum": 0.0, "reduction": "sum",
                  "milestones": [30, 50], "n_eval_train": None, "n_eval_test": None},
    },
    # closer_look Table 3 (CIFAR-10 rows): rerun only in the paper profile (online data and a GPU).
    "closer_look/table3": {
        "base": {"rerun": False},  # completed below from closer_look/table2's base
        "paper": {"rerun": True, "dataset": "cifar10", "archs": ["WRN-40-10"], "eps": 0.031,
                  "attack_step_size": 0.0062, "eval_step_size": 0.0062, "lip_step_size": 0.0062, "spread_seeds": [],
                  "n_train": None, "epochs": 120, "lr": 1e-2, "momentum": 0.0, "reduction": "sum",
                  "milestones": [40, 80, 100], "n_eval_train": None, "n_eval_test": None},
    },
    # The scorecard: reads results only.
    "scorecard": {"base": {}},
}


_SECTIONS["closer_look/dropout"]["base"] = copy.deepcopy(_SECTIONS["closer_look/table2"]["base"])
_SECTIONS["closer_look/table3"]["base"] = {**copy.deepcopy(_SECTIONS["closer_look/table2"]["base"]), "rerun": False}


def sections() -> list[str]:
    return list(_SECTIONS)


def _check(key: str, value: Any) -> None:
    """Validate one resolved value by what its name means; raise ConfigError naming it."""
    from . import data, models  # late import: profiles is imported by everything

    def number(v):
        return isinstance(v, Number) and not isinstance(v, bool)

    if key == "eps" or key.endswith("_eps"):
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
    elif key in ("methods", "spread_methods"):
        unknown = [m for m in value if m not in CLOSER_LOOK_METHODS]
        if unknown:
            raise ConfigError(f"{key}: unknown {unknown}; known: {', '.join(CLOSER_LOOK_METHODS)}")
    elif key == "optimizer" and value not in ("sgd", "adam"):
        raise ConfigError(f"optimizer={value!r} unknown; known: sgd, adam")
    elif key == "precision" and value not in ("fp32", "bf16"):
        raise ConfigError(f"precision={value!r} unknown; known: fp32, bf16")


def resolve(section: str, profile: str = "cpu", **overrides: Any) -> dict[str, Any]:
    """The full configuration of ``section`` under ``profile`` with ``overrides`` applied.

    Overrides equal to ``None`` are ignored (a notebook's unset parameter); ``n_*="all"`` means no subset.
    """
    if section not in _SECTIONS:
        raise ConfigError(f"unknown section '{section}'; known: {', '.join(_SECTIONS)}")
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile '{profile}'; choose from {', '.join(PROFILES)}")
    spec = _SECTIONS[section]
    cfg = copy.deepcopy(spec["base"])
    cfg.update(copy.deepcopy(spec.get(profile, {})))
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
        _check(key, value)
    return cfg
