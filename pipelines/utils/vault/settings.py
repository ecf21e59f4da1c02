"""Vault settings: where the server is, the token, the KV mount, and retry limits.

Read from `VAULT_ADDRESS`, `VAULT_TOKEN`, `VAULT_MOUNT_POINT` (default `secret`),
`VAULT_KV_VERSION` (`2` or `1`), `VAULT_TIMEOUT_SECONDS` and `VAULT_MAX_ATTEMPTS`;
whitespace around each value is ignored.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipelines.utils.exceptions import VaultConfigurationError

ADDRESS_ENV_VAR = "VAULT_ADDRESS"
TOKEN_ENV_VAR = "VAULT_TOKEN"
MOUNT_POINT_ENV_VAR = "VAULT_MOUNT_POINT"
KV_VERSION_ENV_VAR = "VAULT_KV_VERSION"
TIMEOUT_ENV_VAR = "VAULT_TIMEOUT_SECONDS"
MAX_ATTEMPTS_ENV_VAR = "VAULT_MAX_ATTEMPTS"

DEFAULT_MOUNT_POINT = "secret"
DEFAULT_KV_VERSION = 2
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_DELAY_SECONDS = 0.5

HOW_TO_CONFIGURE = (
    "export VAULT_ADDRESS and VAULT_TOKEN (for a local Vault, run "
    "'pipelines vault dev' and copy the export lines it prints)"
)


@dataclass(frozen=True)
class VaultSettings:
    """Where Vault is, how to authenticate, and how patient to be.

    Attributes:
        address: the server's URL, `http(s)://host:port`.
        token: the Vault token; left out of `repr` so it never reaches a log.
        mount_point: the KV secrets engine's mount point.
        kv_version: 2 (versioned KV, the default) or 1.
        timeout_seconds: how long one request may wait for an answer.
        max_attempts: tries of a request that fails in a transient way (connection
            refused or reset, timeout, 5xx); permanent errors are not retried.
        retry_delay_seconds: wait before the second try, doubled for each next one.
    """

    address: str
    token: str = field(repr=False)
    mount_point: str = DEFAULT_MOUNT_POINT
    kv_version: int = DEFAULT_KV_VERSION
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_delay_seconds: float = DEFAULT_RETRY_DELAY_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "VaultSettings":
        """Reads the settings from environment variables (whitespace around ignored).

        Args:
            environ: the variables to read; `os.environ` by default.

        Returns:
            The settings, validated.

        Raises:
            VaultConfigurationError: `VAULT_ADDRESS` or `VAULT_TOKEN` is unset, or a
                variable has a value outside what it accepts.
        """
        environ = os.environ if environ is None else environ
        address = environ.get(ADDRESS_ENV_VAR, "").strip()
        token = environ.get(TOKEN_ENV_VAR, "").strip()
        if not address:
            raise VaultConfigurationError(
                f"{ADDRESS_ENV_VAR} is not set; expected the Vault server's URL, "
                f"such as 'https://vault.example.org:8200'. To fix it, {HOW_TO_CONFIGURE}."
            )
        if not address.startswith(("http://", "https://")):
            raise VaultConfigurationError(
                f"{ADDRESS_ENV_VAR} is {address!r}; expected a URL starting with "
                "'http://' or 'https://', such as 'http://127.0.0.1:8200'."
            )
        if not token:
            raise VaultConfigurationError(
                f"{TOKEN_ENV_VAR} is not set (or blank); expected a Vault token. "
                f"To fix it, {HOW_TO_CONFIGURE}."
            )
        mount_point = environ.get(MOUNT_POINT_ENV_VAR, "").strip().strip("/")
        return cls(
            address=address.rstrip("/"),
            token=token,
            mount_point=mount_point or DEFAULT_MOUNT_POINT,
            kv_version=kv_version_from_env(environ),
            timeout_seconds=read_positive_number(
                environ, TIMEOUT_ENV_VAR, DEFAULT_TIMEOUT_SECONDS
            ),
            max_attempts=int(
                read_positive_number(
                    environ, MAX_ATTEMPTS_ENV_VAR, DEFAULT_MAX_ATTEMPTS
                )
            ),
        )


def kv_version_from_env(environ: Mapping[str, str] | None = None) -> int:
    """The KV version from `VAULT_KV_VERSION` (`1`, `2`, `v1`, `v2`), 2 when unset.

    Raises:
        VaultConfigurationError: the variable holds anything else.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(KV_VERSION_ENV_VAR, "").strip().lower().removeprefix("v")
    if not raw:
        return DEFAULT_KV_VERSION
    if raw not in ("1", "2"):
        raise VaultConfigurationError(
            f"{KV_VERSION_ENV_VAR} is {environ[KV_VERSION_ENV_VAR]!r}; expected 1 or 2 "
            "(the version of the KV secrets engine at VAULT_MOUNT_POINT). Unset it for "
            f"the default, {DEFAULT_KV_VERSION}."
        )
    return int(raw)


def read_positive_number(
    environ: Mapping[str, str], name: str, default: float
) -> float:
    """A positive number from a variable (a whole one for `VAULT_MAX_ATTEMPTS`).

    Raises:
        VaultConfigurationError: the variable holds anything else.
    """
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise VaultConfigurationError(
            f"{name} is {raw!r}; expected a positive number. Unset it for the "
            f"default, {default:g}."
        ) from exc
    if value <= 0 or (name == MAX_ATTEMPTS_ENV_VAR and value != int(value)):
        raise VaultConfigurationError(
            f"{name} is {raw!r}; expected a positive "
            f"{'whole number' if name == MAX_ATTEMPTS_ENV_VAR else 'number'}. Unset it "
            f"for the default, {default:g}."
        )
    return value
