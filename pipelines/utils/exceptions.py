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


class DownloadError(PipelinesError, RuntimeError):
    """A file could not be fetched whole from its URL or path."""


class FileFormatError(PipelinesError, ValueError):
    """A file cannot be read as the delimited text it is said to be."""


class MaterializationError(PipelinesError, RuntimeError):
    """dbt failed to build the tables asked for."""


class VaultSecretError(PipelinesError):
    """A secret could not be read from Vault; the message names the secret path."""


class VaultConfigurationError(VaultSecretError, RuntimeError):
    """The Vault settings (`VAULT_ADDRESS`, `VAULT_TOKEN`, ...) are unset or invalid."""


class VaultUnreachableError(VaultSecretError, ConnectionError):
    """Vault did not answer (refused, reset or timed out), even after retries."""


class VaultServerError(VaultSecretError, RuntimeError):
    """Vault answered with a server error (5xx, sealed), even after retries."""


class VaultTokenError(VaultSecretError, PermissionError):
    """Vault refused the token itself: it is wrong, expired or revoked (403)."""


class VaultPermissionDeniedError(VaultSecretError, PermissionError):
    """The token is valid but its policies do not allow reading the path (403)."""


class VaultMountNotFoundError(VaultSecretError, LookupError):
    """No secrets engine is mounted at the configured mount point."""


class VaultKVVersionError(VaultSecretError, ValueError):
    """The mount is a KV engine of another version than the one configured."""


class SecretNotFoundError(VaultSecretError, LookupError):
    """No secret exists at the path (or its latest version was deleted)."""


class SecretKeyNotFoundError(VaultSecretError, LookupError):
    """The secret exists but has no such key."""


class NotificationNotSentError(PipelinesError, RuntimeError):
    """A failure notification could not be delivered to the chat webhook."""


class UnknownDatabaseTypeError(InvalidParameterError):
    """A dump names a `db_type` that no reader supports."""


class DatabaseConnectionError(PipelinesError, ConnectionError):
    """A database could not be reached or used; the message names host and database."""


class DatabaseUnreachableError(DatabaseConnectionError):
    """No answer from the database server: host unknown, port closed or timeout."""


class DatabaseLoginError(DatabaseConnectionError, PermissionError):
    """The server refused the login: wrong user or password, or no such database."""


class DatabaseConnectionLostError(DatabaseConnectionError):
    """The connection dropped while a dump was reading, even after retries."""


class DatabaseQueryError(PipelinesError, ValueError):
    """The database refused or failed the dump's query."""


class UnsupportedColumnTypeError(PipelinesError, TypeError):
    """A column's database type has no faithful Arrow/Parquet counterpart."""


class ColumnValueError(PipelinesError, ValueError):
    """A value read from a database does not fit the type of its column."""
