"""Exceptions of `pipelines check` itself (not the problems it finds)."""


class CheckRunError(Exception):
    """The checks could not run at all: the flows could not be looked at."""


class RepositoryNotFoundError(Exception):
    """No repository root where a command was asked to work."""


class CollectorError(Exception):
    """The collector was pointed at the wrong place: nothing was checked."""
