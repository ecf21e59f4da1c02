"""Reading secrets: an hvac client, one read with bounded retries, the secret's keys.

Every value read is registered for masking in Prefect's logs
(`pipelines.utils.log_masking`).
"""

import difflib
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import prefect

from pipelines.utils.exceptions import (
    InvalidParameterError,
    SecretKeyNotFoundError,
    SecretNotFoundError,
    VaultConfigurationError,
    VaultSecretError,
)
from pipelines.utils.log_masking import register_secret_values
from pipelines.utils.vault.errors import (
    describe_transient,
    is_transient,
    not_found_message,
    translate_error,
)
from pipelines.utils.vault.settings import VaultSettings

if TYPE_CHECKING:  # hvac is imported where it is used: flows import this package
    import hvac

T = TypeVar("T")


def get_vault_client(settings: VaultSettings | None = None) -> "hvac.Client":
    """Builds an `hvac` client for the configured server and token.

    Args:
        settings: where and how to connect; read from the environment by default.

    Returns:
        A client whose requests time out after `settings.timeout_seconds`.

    Raises:
        VaultConfigurationError: the settings are missing or invalid.
    """
    import hvac  # keep flow imports light
    import requests

    settings = settings or VaultSettings.from_env()
    session = requests.Session()
    # NOTE: hvac maps some 5xx codes (504, ...) to one UnexpectedError class; the last
    # status code seen tells a transient server error from a permanent one.
    session.hooks["response"].append(
        lambda response, *args, **kwargs: setattr(
            session, "last_status_code", response.status_code
        )
    )
    return hvac.Client(
        url=settings.address,
        token=settings.token,
        timeout=settings.timeout_seconds,
        session=session,
    )


def get_vault_secret(
    secret_path: str,
    client: "hvac.Client | None" = None,
    *,
    settings: VaultSettings | None = None,
) -> dict[str, Any]:
    """Reads one secret and returns its own keys and values.

    The values are registered for masking: from now on they show as `***` in every
    line of Prefect's logs in this process.

    Args:
        secret_path: the secret's path inside the mount, such as `"riomidia"` or
            `"discord_webhooks/flow_failures"` (no mount nor `data/` prefix).
        client: an `hvac` client to reuse; one is built from `settings` otherwise.
        settings: mount point, KV version and retries; from the environment otherwise.

    Returns:
        The secret as a dict, `{"username": ..., "password": ...}`.

    Raises:
        InvalidParameterError: `secret_path` is empty.
        VaultConfigurationError: `VAULT_ADDRESS`/`VAULT_TOKEN` unset or invalid.
        VaultUnreachableError: no answer (refused, reset, timeout) after retries.
        VaultServerError: a 5xx answer (sealed, overloaded) after retries.
        VaultTokenError: the token is wrong, expired or revoked.
        VaultPermissionDeniedError: the token may not read this path.
        VaultMountNotFoundError: nothing is mounted at the mount point.
        VaultKVVersionError: the mount's KV version differs from the configured one.
        SecretNotFoundError: no secret at this path.
    """
    path = _normalize_path(secret_path)
    if settings is None:
        try:
            settings = VaultSettings.from_env()
        except VaultConfigurationError as exc:
            raise VaultConfigurationError(
                f"Cannot read secret {path!r}: {exc}"
            ) from exc
    client = client or get_vault_client(settings)

    secret = _call_with_retries(
        lambda: _read_secret(client, path, settings), client, path, settings
    )
    register_secret_values(secret.values())
    _logger().debug("Read secret %r from Vault (keys %r).", path, sorted(secret))
    return secret


def get_vault_secret_value(
    secret_path: str,
    key: str,
    client: "hvac.Client | None" = None,
    *,
    settings: VaultSettings | None = None,
) -> Any:
    """Reads one key of a secret.

    Args:
        secret_path: the secret's path inside the mount.
        key: the key inside the secret, such as `"password"`.
        client: an `hvac` client to reuse, optional.
        settings: Vault settings; from the environment otherwise.

    Returns:
        The value stored under `key`.

    Raises:
        SecretKeyNotFoundError: the secret has no such key; the message lists the
            keys it has (never their values).
        VaultSecretError: the secret itself could not be read (see `get_vault_secret`).
    """
    secret = get_vault_secret(secret_path, client, settings=settings)
    return pick_secret_key(secret, secret_path, key)


def get_username_and_password_from_secret(
    secret_path: str, client: "hvac.Client | None" = None
) -> tuple[str, str]:
    """Reads the `username` and `password` keys of a secret, as database dumps need.

    Args:
        secret_path: the secret's path inside the mount.
        client: an `hvac` client to reuse, optional.

    Returns:
        `(username, password)`.

    Raises:
        SecretKeyNotFoundError: the secret lacks `username` or `password`.
        VaultSecretError: the secret could not be read (see `get_vault_secret`).
    """
    secret = get_vault_secret(secret_path, client)
    return (
        pick_secret_key(secret, secret_path, "username"),
        pick_secret_key(secret, secret_path, "password"),
    )


def pick_secret_key(secret: Mapping[str, Any], secret_path: str, key: str) -> Any:
    """Returns `secret[key]`, or an error that lists the keys the secret has.

    Args:
        secret: a secret as returned by `get_vault_secret`.
        secret_path: its path, for the error message.
        key: the key wanted.

    Raises:
        SecretKeyNotFoundError: no such key; the message lists the existing keys.
    """
    if key in secret:
        return secret[key]
    close = difflib.get_close_matches(key, [str(name) for name in secret], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise SecretKeyNotFoundError(
        f"Secret {secret_path!r} has no key {key!r}; its keys are "
        f"{sorted(map(str, secret))!r}.{hint} Fix the key in the code, or add it to "
        "the secret in Vault (ask @pipeliners) or to your local secrets file."
    )


def _read_secret(
    client: "hvac.Client", path: str, settings: VaultSettings
) -> dict[str, Any]:
    """One read of the secret, with hvac's response unwrapped."""
    if settings.kv_version == 2:
        response = client.secrets.kv.v2.read_secret_version(
            path=path, mount_point=settings.mount_point, raise_on_deleted_version=True
        )
        data = (response.get("data") or {}).get("data")
    else:
        response = client.secrets.kv.v1.read_secret(
            path=path, mount_point=settings.mount_point
        )
        data = response.get("data")
    if data is None:
        raise SecretNotFoundError(not_found_message(path, settings))
    return dict(data)


def _call_with_retries(
    operation: Callable[[], T],
    client: "hvac.Client",
    path: str,
    settings: VaultSettings,
) -> T:
    """Runs `operation`, retrying transient failures, translating the final one."""
    for attempt in range(1, settings.max_attempts + 1):
        try:
            return operation()
        except VaultSecretError:
            raise
        # every failure is either retried or translated into one of ours below
        except Exception as exc:  # pylint: disable=broad-exception-caught
            should_retry = is_transient(exc, client)
            if not should_retry or attempt == settings.max_attempts:
                raise translate_error(exc, client, path, settings) from exc
            delay = settings.retry_delay_seconds * 2 ** (attempt - 1)
            _logger().warning(
                "Vault at %r failed reading secret %r (attempt %d of %d: %s); "
                "retrying in %.1f s.",
                settings.address,
                path,
                attempt,
                settings.max_attempts,
                describe_transient(exc, client),
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _normalize_path(secret_path: str) -> str:
    path = (
        (secret_path or "").strip().strip("/") if isinstance(secret_path, str) else ""
    )
    if not path:
        raise InvalidParameterError(
            f"secret_path is {secret_path!r}; expected a non-empty Vault path inside "
            "the mount, such as 'riomidia' or 'discord_webhooks/flow_failures'."
        )
    return path


def _logger() -> logging.Logger:
    """Prefect's context logger inside a flow run (lines reach the UI), else ours."""
    if prefect.context.get("flow_run_id"):
        return prefect.context.get("logger") or logging.getLogger(__name__)
    return logging.getLogger(__name__)
