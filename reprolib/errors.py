"""Exceptions with one-line messages that name the bad parameter."""


class ReproError(Exception):
    """Base class: every error reprolib raises on bad input is one of these."""


class ConfigError(ReproError, ValueError):
    """A bad profile, override or argument (message names it)."""


class DataError(ReproError, RuntimeError):
    """A dataset that is missing, unavailable offline, or corrupt."""


class TrainingError(ReproError, RuntimeError):
    """A training that cannot go on (its loss is no longer a number): the message names the run and the epoch."""
