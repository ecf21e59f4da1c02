"""Exceptions of `pipelines new`: each names the value, the rule and the fix."""


class ScaffoldError(Exception):
    """Base class: nothing was written, or what was written has been undone."""


class InvalidNameError(ScaffoldError, ValueError):
    """A slug or SIGLA does not follow the repository's naming rules."""


class NameTakenError(ScaffoldError):
    """An orgao, project, SIGLA or constant of that name already exists."""


class MissingOrgaoError(ScaffoldError):
    """A project was asked for in an orgao that does not exist or is incomplete."""


class ScaffoldWriteError(ScaffoldError):
    """Rendering or wiring the new files failed; every change was rolled back."""
