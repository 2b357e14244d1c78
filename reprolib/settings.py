"""Typed section settings: every parameter declared once, with its type, range or allowed values and meaning.

A section's settings are a frozen dataclass (a subclass of :class:`Settings`), composed of the named parts that
several sections share: the data (:class:`Data`), the threat model of training (:class:`Threat`), the training
schedule (:class:`Schedule`), the evaluation (:class:`Evaluation`), the rows of a grid of trainings
(:class:`Rows`) and the AutoAttack audit (:class:`Audit`). :class:`GridSettings` is all of them, with the defaults
of closer_look Table 2's protocol, stated once. A section declares its settings class (a grid's adds its methods
and any setting of its own) and its profiles as overrides of that class's defaults (``reprolib.sections``), so a
budget is a few lines per section.

Validation happens once, when the dataclass is made: each value is checked against its declared type (ints stay
ints, a float accepts an int, a list becomes a tuple) and range or choices, and a bad one raises a
:class:`reprolib.errors.ConfigError` that names the parameter. :meth:`Settings.as_dict` gives the flat dictionary
that notebooks read and records store (lists, not tuples), so stored configurations and their hashes are those of
the dictionaries this module replaced.
"""
from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass, field, fields
from numbers import Real
from types import UnionType
from typing import Any, Callable, ClassVar, Collection, Mapping

from .errors import ConfigError


def param(default: Any = None, doc: str = "", *, ge: float | None = None, gt: float | None = None,
          le: float | None = None, choices: str | Callable[[], Collection] | Collection | None = None,
          none: str | None = None, since: bool = False, kind: str | None = None):
    """A declared setting.

    ``ge`` / ``gt`` / ``le`` bound a number (or every number of a list); ``choices`` are the allowed values of a
    string (or of every item of a list): a collection, a function returning one (looked up when checked, so a
    registry may grow), or the name of a class attribute of the settings class (a grid's ``METHODS``). ``none``
    says what ``None`` means for an optional setting (``"all"``: the string ``all`` given by a user is ``None``).
    ``since``: a setting added after records were stored; while at its default it is left out of
    :meth:`Settings.as_dict`, so those records keep their configurations and hashes. ``kind``: ``"count"`` (a
    number of images, points, ...), ``"steps"`` (of an attack, a training, ...) or ``"seeds"`` (a list of seeds),
    ``"rows"`` (a table's methods) or ``"audited"`` (the networks audited): what a rehearsal shrinks (:mod:`reprolib.rehearsal`).
    """
    meta = {"doc": doc, "ge": ge, "gt": gt, "le": le, "choices": choices, "none": none, "since": since, "kind": kind}
    return field(default=tuple(default) if isinstance(default, list) else default, metadata=meta)


# ---- the common kinds of setting, declared once ----------------------------------------------------------------

def count(default: int | None, doc: str, *, zero: str | None = None):
    """A number of images, points, ... (``None``: all of them; ``zero``: what 0 means, when 0 is allowed)."""
    return param(default, doc + (f"; 0: {zero}" if zero else ""), ge=0 if zero else 1, none="all", kind="count")


def radius(default: float, doc: str = "L∞ radius (pixels in [0, 1])"):
    return param(default, doc, ge=0.0)


def steps(default: int, doc: str, *, zero: str | None = None):
    return param(default, doc + (f"; 0: {zero}" if zero else ""), ge=0 if zero else 1, kind="steps")


def positive(default: float, doc: str):
    return param(default, doc, gt=0.0)


def seed(default: int = 0, doc: str = "random seed"):
    return param(default, doc, ge=0)


def _models() -> Collection[str]:
    from . import models  # late: models imports torch; settings is imported by the registry

    return models.MODELS


def _datasets() -> Collection[str]:
    from . import data

    return data.DATASETS


def dataset(default: str = "mnist", doc: str = "dataset"):
    return param(default, doc, choices=_datasets)


def datasets(default: list[str], doc: str = "datasets"):
    return param(default, doc, choices=_datasets)


def arch(default: str, doc: str = "architecture (reprolib.models)"):
    return param(default, doc, choices=_models)


def archs(default: list[str], doc: str = "architectures (reprolib.models)"):
    return param(default, doc, choices=_models)


# ---- the base class ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """Base of every section's settings: flat, typed, validated fields (declare them with :func:`param`)."""

    def __post_init__(self):
        hints = _hints(type(self))
        for f in fields(self):
            value = _coerce(f.name, hints[f.name], getattr(self, f.name), f.metadata)
            object.__setattr__(self, f.name, _check(self, f, value))
        self.check()

    def check(self) -> None:
        """Checks across settings (a subclass adds its own; raise ConfigError naming the parameter)."""
        for f in fields(self):
            if f.metadata.get("overrides") and getattr(self, f.name):
                try:  # a dict of overrides of this section's own settings: valid if they make valid settings
                    dataclasses.replace(self, **{f.name: None, **getattr(self, f.name)})
                except (ConfigError, TypeError) as exc:
                    raise ConfigError(f"{f.name}: {_message(exc, type(self))}") from None

    @classmethod
    def make(cls, section: str, values: Mapping[str, Any]) -> "Settings":
        """The settings with ``values`` set; an unknown name or a bad value raises one ConfigError naming it."""
        known = {f.name: f for f in fields(cls)}
        unknown = [k for k in values if k not in known]
        if unknown:
            raise ConfigError(f"unknown parameter '{unknown[0]}' for {section}; known: {', '.join(known)}")
        values = {k: None if v == "all" and known[k].metadata.get("none") == "all" else v for k, v in values.items()}
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The flat configuration: every setting (lists as lists), in declaration order; a ``since`` setting only
        when it is not at its default."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)
                if not (f.metadata.get("since") and getattr(self, f.name) == f.default)}

    @classmethod
    def describe(cls) -> list[dict[str, str]]:
        """Each setting's name, type, allowed values and meaning (``python -m reprolib sections SECTION``)."""
        hints = _hints(cls)
        return [{"name": f.name, "type": _type_name(hints[f.name]), "allowed": _allowed(cls, f),
                 "doc": f.metadata.get("doc", "")} for f in fields(cls)]


@functools.lru_cache(maxsize=None)
def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _message(exc: Exception, cls) -> str:
    if isinstance(exc, TypeError):  # dataclasses.replace on an unknown name
        return f"{exc}; known: {', '.join(f.name for f in fields(cls))}"
    return str(exc)


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _optional(tp) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    if typing.get_origin(tp) in (typing.Union, UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), len(args) < len(typing.get_args(tp))
    return tp, False


def _coerce(name: str, tp, value, meta):
    """``value`` as type ``tp`` (int, float, str, bool, tuple[...] of them, dict, optional) or ConfigError."""
    inner, optional = _optional(tp)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{name}=None is not allowed; expected {_type_name(tp)}")
    if typing.get_origin(inner) is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name}={value!r} must be a list of {_type_name(typing.get_args(inner)[0])}")
        item = typing.get_args(inner)[0]
        return tuple(_coerce(f"{name}[{i}]", item, v, meta) for i, v in enumerate(value))
    if inner is float:
        if isinstance(value, Real) and not isinstance(value, bool):
            return float(value)
    elif inner is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif typing.get_origin(inner) is dict or inner is dict:
        if isinstance(value, Mapping):
            return dict(value)
    elif isinstance(inner, type) and isinstance(value, inner):
        return value
    raise ConfigError(f"{name}={value!r} has type {type(value).__name__}, expected {_type_name(tp)}")


def _choices(settings_cls, meta) -> Collection | None:
    choices = meta.get("choices")
    if isinstance(choices, str):
        return getattr(settings_cls, choices)
    return choices() if callable(choices) else choices


def _check(settings: Settings, f, value):
    """Range and choices of ``value`` (every item of a list)."""
    meta = f.metadata
    items = value if isinstance(value, tuple) else () if value is None else (value,)
    bounds = [(meta[k], test, words) for k, test, words in (("ge", lambda v, b: v >= b, "≥"),
                                                           ("gt", lambda v, b: v > b, ">"),
                                                           ("le", lambda v, b: v <= b, "≤")) if meta.get(k) is not None]
    for v in items:
        if isinstance(v, Real) and not isinstance(v, bool):
            for bound, test, words in bounds:
                if not test(v, bound):
                    raise ConfigError(f"{f.name}={_plain(value)!r} must be {words} {bound:g}"
                                      + (" (each item)" if isinstance(value, tuple) else ""))
    choices = _choices(type(settings), meta)
    if choices is not None:
        unknown = [v for v in items if v not in choices]
        if unknown:
            raise ConfigError(f"{f.name}: unknown {', '.join(map(repr, unknown))}; known: "
                              f"{', '.join(map(str, choices))}")
    return value


def _type_name(tp) -> str:
    inner, optional = _optional(tp)
    if typing.get_origin(inner) is tuple:
        name = f"list of {_type_name(typing.get_args(inner)[0])}"
    elif typing.get_origin(inner) is dict or inner is dict:
        name = "dict"
    else:
        name = getattr(inner, "__name__", str(inner))
    return name + (" or None" if optional else "")


def _allowed(cls, f) -> str:
    meta = f.metadata
    parts = [f"{words} {meta[k]:g}" for k, words in (("ge", "≥"), ("gt", ">"), ("le", "≤")) if meta.get(k) is not None]
    choices = _choices(cls, meta)
    if choices is not None:
        parts.append("one of " + ", ".join(map(str, choices)))
    if meta.get("none") and _optional(_hints(cls)[f.name])[1]:
        parts.append(f"None: {meta['none']}")
    if meta.get("overrides"):
        parts.append("overrides of this section's settings, or None")
    return "; ".join(parts)


def overrides(doc: str):
    """A dict of overrides of the section's own settings for a second run of its grid (``None``: no second run);
    valid when the settings with them applied are."""
    f = param(None, doc)
    return field(default=None, metadata={**f.metadata, "overrides": True})


# ---- the parts shared by the grids of trainings ------------------------------------------------------------------

@dataclass(frozen=True)
class Data(Settings):
    dataset: str = dataset()
    n_train: int | None = count(10000, "training images (a fixed subset per seed)")


@dataclass(frozen=True)
class Threat(Settings):
    """The threat model and the attack that training maximises (methods may declare their own, see losses)."""
    eps: float = radius(0.1)
    attack_steps: int = steps(10, "steps of the training attack")
    attack_step_size: float = positive(0.02, "step of the training attack")


@dataclass(frozen=True)
class Schedule(Settings):
    """The training loop's settings (reprolib.train.TrainConfig, all of them)."""
    epochs: int = steps(5, "epochs")
    batch_size: int = param(64, "batch size", ge=1)
    optimizer: str = param("sgd", "optimiser", choices=("sgd", "adam"))
    lr: float = positive(0.01, "learning rate")
    momentum: float = param(0.9, "SGD momentum", ge=0.0, le=1.0)
    weight_decay: float = param(0.0, "weight decay", ge=0.0, since=True)
    milestones: tuple[int, ...] = param((), "epochs after which the learning rate is multiplied by 0.1", ge=1)
    reduction: str = param("mean", "loss over a batch: mean, or sum (the closer_look code)", choices=("mean", "sum"))
    precision: str = param("fp32", "training precision (bf16: autocast; evaluation is always fp32)",
                           choices=("fp32", "bf16"))
    channels_last: bool = param(True, "NHWC memory layout (faster convolutions on the CPU; float rounding only)",
                                since=True)

    def check(self) -> None:
        super().check()
        late = [m for m in self.milestones if m > self.epochs]
        if late:
            raise ConfigError(f"milestones={list(self.milestones)!r}: {late} after the last epoch ({self.epochs})")


@dataclass(frozen=True)
class Evaluation(Settings):
    """Clean and PGD accuracy on fixed subsets, and the local Lipschitz estimate."""
    eval_steps: int = steps(10, "PGD steps of the evaluation")
    eval_step_size: float = positive(0.02, "PGD step of the evaluation")
    n_eval_train: int | None = count(1000, "training images evaluated (for the gaps)", zero="not evaluated")
    n_eval_test: int | None = count(1000, "test images evaluated (a fixed subset)")
    lip_steps: int = steps(10, "ascent steps of the Lipschitz estimate", zero="not estimated")
    lip_step_size: float = positive(0.02, "step of the Lipschitz estimate")
    curve_n: int = param(0, "test images of the training curve (clean and PGD accuracy after every epoch, on the "
                         "first curve_n evaluation images); 0: no curve", ge=0, since=True, kind="count")


@dataclass(frozen=True)
class Rows(Settings):
    """Which networks a grid trains: every method with ``seeds``, then ``spread_methods`` with ``spread_seeds``."""
    METHODS: ClassVar[Collection[str]] = ()
    archs: tuple[str, ...] = archs(["CNN1"])
    methods: tuple[str, ...] = param((), "rows of the table (method names)", choices="METHODS", kind="rows")
    seeds: tuple[int, ...] = param((0,), "seeds of every method", ge=0, kind="seeds")
    spread_methods: tuple[str, ...] = param((), "methods also trained with the spread seeds", choices="METHODS")
    spread_seeds: tuple[int, ...] = param((), "extra seeds (the seed spread)", ge=0, kind="seeds")


@dataclass(frozen=True)
class Audit(Settings):
    """AutoAttack beside PGD and the gradient-masking checks, on the first ``n_audit`` evaluation test images."""
    METHODS: ClassVar[Collection[str]] = ()
    audit_methods: tuple[str, ...] = param((), "methods whose networks are audited", choices="METHODS",
                                           kind="audited")
    audit_seeds: tuple[int, ...] = param((0,), "seeds audited", ge=0, kind="seeds")
    audit_archs: tuple[str, ...] | None = param(None, "architectures audited", choices=_models, none="every one")
    n_audit: int | None = count(500, "test images attacked by AutoAttack")
    audit_version: str = param("standard", "AutoAttack version (apgd: the standard version's APGD-CE and APGD-T only, "
                                           "benchmarks/audit_policy.py)", choices=("standard", "apgd", "plus", "rand"))


@dataclass(frozen=True)
class Kept(Settings):
    """Which of a grid's networks are committed at a budget that keeps networks (reprolib.zoo), within the
    repository's weights budget (the small networks first); the others stay as checkpoints in the cache."""
    METHODS: ClassVar[Collection[str]] = ()
    keep_methods: tuple[str, ...] | None = param(None, "methods whose networks are committed", choices="METHODS",
                                                 none="every one", since=True)
    keep_seeds: tuple[int, ...] | None = param(None, "seeds committed", ge=0, none="every one", since=True)
    keep_archs: tuple[str, ...] | None = param(None, "architectures committed", choices=_models, none="every one",
                                               since=True)
    weights_dtype: str = param("float32", "precision of the kept weights; every network of the grid is measured "
                               "with its weights rounded to it, so a kept network is the measured one",
                               choices=("float32", "float16"), since=True)


@dataclass(frozen=True)
class GridSettings(Kept, Audit, Evaluation, Schedule, Threat, Rows, Data):
    """A table of trainings (reprolib.grid.MethodGrid): the parts above, with closer_look Table 2's protocol as the
    defaults; another grid's section overrides what differs."""


def with_methods(cls: type[Settings], methods: Collection[str], name: str) -> type[Settings]:
    """``cls`` whose method names are ``methods`` (a grid's presets)."""
    return type(name, (cls,), {"METHODS": tuple(methods), "__module__": cls.__module__, "__qualname__": name})
