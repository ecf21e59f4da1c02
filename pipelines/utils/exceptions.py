"""Exceptions raised by the shared framework code of `pipelines.utils`.

Each class names one condition; messages say what failed, the offending value, what
was expected and how to fix it.
"""


class PipelinesError(Exception):
    """Base class of every error raised on purpose by this repository."""


class UnknownOwnerError(PipelinesError, ValueError):
    """A flow names a code owner that is not in `pipelines/owners.toml`."""


class MissingOwnersError(PipelinesError, ValueError):
    """A flow was declared without any code owner."""


class InvalidParameterError(PipelinesError, ValueError):
    """A flow or task parameter has a value outside what it accepts."""


class PartitionValueError(PipelinesError, ValueError):
    """Rows cannot be placed in a partition: the date is missing or unreadable."""


class DatalakeWriteError(PipelinesError, RuntimeError):
    """Data could not be written to the datalake; what was there is untouched."""
