"""Errors of flow registration, one class per condition.

Each message says what failed, the offending value, what was expected and how to fix
it; the CLI prints it as one line.
"""


class RegistrationError(Exception):
    """Base class of every error raised on purpose while registering flows."""


class FingerprintError(RegistrationError):
    """What a flow would run cannot be read: a missing lock file or module source."""


class ImageTagError(RegistrationError):
    """No image tag was given, or the one given is not a valid Docker tag."""


class RunConfigError(RegistrationError):
    """A flow cannot be given a Kubernetes run config: wrong type or no agent label."""


class UnschedulableFlowError(RegistrationError):
    """A flow's schedule would start runs without values for its required parameters."""


class ProjectNotFoundError(RegistrationError):
    """The Prefect project to register into does not exist on the server."""


class PrefectApiError(RegistrationError):
    """A call to the Prefect API failed for good, after the retries it was allowed.

    Attributes:
        attempts: how many times the call was sent.
        is_transient: whether the last failure was of a kind worth retrying (the
            retries ran out) rather than a refusal by the server.
    """

    def __init__(self, message: str, *, attempts: int, is_transient: bool) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.is_transient = is_transient


class RevisionError(RegistrationError):
    """A git revision to plan against cannot be read or fingerprinted."""
