"""Secrets from Vault (or OpenBao, which speaks the same API), read through `hvac`.

`get_vault_secret("riomidia")` returns the secret's own keys (``{"username": ...}``).
Settings come from `VAULT_ADDRESS`, `VAULT_TOKEN`, `VAULT_MOUNT_POINT` (default
`secret`), `VAULT_KV_VERSION` (`2` or `1`), `VAULT_TIMEOUT_SECONDS` and
`VAULT_MAX_ATTEMPTS`. Every value read is registered for masking in Prefect's logs.
"""

import difflib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import prefect

from pipelines.utils.exceptions import (
    InvalidParameterError,
    SecretKeyNotFoundError,
    SecretNotFoundError,
    VaultConfigurationError,
    VaultKVVersionError,
    VaultMountNotFoundError,
    VaultPermissionDeniedError,
    VaultSecretError,
    VaultServerError,
    VaultTokenError,
    VaultUnreachableError,
)
from pipelines.utils.log_masking import register_secret_values

if TYPE_CHECKING:  # hvac is imported where it is used: flows import this module
    import hvac

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

T = TypeVar("T")


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
            timeout_seconds=_read_number(environ, TIMEOUT_ENV_VAR, DEFAULT_TIMEOUT_SECONDS),
            max_attempts=int(_read_number(environ, MAX_ATTEMPTS_ENV_VAR, DEFAULT_MAX_ATTEMPTS)),
        )


def get_vault_client(settings: VaultSettings | None = None) -> "hvac.Client":
    """Builds an `hvac` client for the configured server and token.

    Args:
        settings: where and how to connect; read from the environment by default.

    Returns:
        A client whose requests time out after `settings.timeout_seconds`.

    Raises:
        VaultConfigurationError: the settings are missing or invalid.
    """
    import hvac  # pylint: disable=import-outside-toplevel  # keep flow imports light
    import requests  # pylint: disable=import-outside-toplevel

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


# ---------------------------------------------------------------------------------
# Reading and error translation


def _read_secret(client: "hvac.Client", path: str, settings: VaultSettings) -> dict[str, Any]:
    """One read of the secret, with hvac's response unwrapped."""
    if settings.kv_version == 2:
        response = client.secrets.kv.v2.read_secret_version(
            path=path, mount_point=settings.mount_point, raise_on_deleted_version=True
        )
        data = (response.get("data") or {}).get("data")
    else:
        response = client.secrets.kv.v1.read_secret(path=path, mount_point=settings.mount_point)
        data = response.get("data")
    if data is None:
        raise SecretNotFoundError(_not_found_message(path, settings))
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
        except Exception as exc:  # pylint: disable=broad-except  # translated below
            is_transient = _is_transient(exc, client)
            if not is_transient or attempt == settings.max_attempts:
                raise _translate_error(exc, client, path, settings) from exc
            delay = settings.retry_delay_seconds * 2 ** (attempt - 1)
            _logger().warning(
                "Vault at %r failed reading secret %r (attempt %d of %d: %s); "
                "retrying in %.1f s.",
                settings.address,
                path,
                attempt,
                settings.max_attempts,
                _describe_transient(exc, client),
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _is_transient(exc: Exception, client: "hvac.Client") -> bool:
    """Whether a failure may go away by itself: no answer, a reset, or a 5xx."""
    import hvac.exceptions  # pylint: disable=import-outside-toplevel
    import requests  # pylint: disable=import-outside-toplevel

    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(
        exc,
        (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ),
    ):
        return True
    if isinstance(
        exc,
        (
            hvac.exceptions.InternalServerError,
            hvac.exceptions.BadGateway,
            hvac.exceptions.VaultDown,
            hvac.exceptions.RateLimitExceeded,
        ),
    ):
        return True
    if isinstance(exc, hvac.exceptions.UnexpectedError):
        return _last_status_code(client) >= 500
    return False


def _translate_error(
    exc: Exception, client: "hvac.Client", path: str, settings: VaultSettings
) -> VaultSecretError:
    """Turns an hvac or requests error into one of ours, naming path and fix."""
    import hvac.exceptions  # pylint: disable=import-outside-toplevel
    import requests  # pylint: disable=import-outside-toplevel

    where = f"Vault at {settings.address!r}"
    tries = f"after {settings.max_attempts} attempt(s)"
    if isinstance(exc, requests.exceptions.SSLError):
        return VaultUnreachableError(
            f"{where} failed the TLS handshake reading secret {path!r}; check that "
            f"{ADDRESS_ENV_VAR} uses the right scheme (http/https) and that the "
            "server's certificate is trusted."
        )
    if isinstance(exc, (requests.exceptions.RequestException,)):
        return VaultUnreachableError(
            f"{where} did not answer reading secret {path!r} {tries} "
            f"({_describe_transient(exc, client)}). Check {ADDRESS_ENV_VAR}, your "
            "network or VPN, and that the server is running (locally: "
            "'pipelines vault dev')."
        )
    if _is_transient(exc, client):
        return VaultServerError(
            f"{where} answered {_describe_transient(exc, client)} reading secret "
            f"{path!r} {tries}. The server is sealed, overloaded or failing: try "
            "again later, and tell @pipeliners if it lasts."
        )
    if isinstance(exc, (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized)):
        return _forbidden_error(client, path, settings)
    if isinstance(exc, hvac.exceptions.InvalidPath):
        return _not_found_error(exc, client, path, settings)
    return VaultSecretError(
        f"{where} refused reading secret {path!r} ({type(exc).__name__}: "
        f"{_vault_errors(exc)}). Check the path and VAULT_MOUNT_POINT."
    )


def _forbidden_error(
    client: "hvac.Client", path: str, settings: VaultSettings
) -> VaultSecretError:
    """A 403: tells a dead token from a live one that lacks the policy."""
    try:
        token_info = client.auth.token.lookup_self().get("data") or {}
    except Exception:  # pylint: disable=broad-except  # any failure: the token is bad
        return VaultTokenError(
            f"Vault at {settings.address!r} refused {TOKEN_ENV_VAR} (403) reading "
            f"secret {path!r}: the token is wrong, expired or revoked. Get a new "
            f"token and export {TOKEN_ENV_VAR} again (locally: restart "
            "'pipelines vault dev')."
        )
    policies = sorted(token_info.get("policies") or [])
    api_path = _api_path(path, settings)
    return VaultPermissionDeniedError(
        f"{TOKEN_ENV_VAR} is valid but its policies {policies!r} do not allow "
        f"reading secret {path!r} (403 on {api_path!r}). Ask @pipeliners for read "
        f"access to {api_path!r}, or check the path and {MOUNT_POINT_ENV_VAR}."
    )


def _not_found_error(
    exc: Exception, client: "hvac.Client", path: str, settings: VaultSettings
) -> VaultSecretError:
    """A 404: tells a missing mount, a KV version mismatch and a missing secret apart."""
    details = f"{_vault_errors(exc)} {getattr(exc, 'text', '') or ''}"
    if "no handler for route" in details:
        return VaultMountNotFoundError(
            f"Nothing is mounted at {settings.mount_point!r} ({MOUNT_POINT_ENV_VAR}) on "
            f"Vault at {settings.address!r}; reading secret {path!r}. Set "
            f"{MOUNT_POINT_ENV_VAR} to the KV mount that holds the secret "
            f"(default {DEFAULT_MOUNT_POINT!r})."
        )
    if "versioned K/V" in details:
        return _kv_version_error(path, settings, actual=2)

    mount = _mount_info(client, settings.mount_point)
    if mount is not None and mount.get("type") not in ("kv", "generic"):
        return VaultMountNotFoundError(
            f"Mount {settings.mount_point!r} ({MOUNT_POINT_ENV_VAR}) is a "
            f"{mount.get('type')!r} engine, not a KV secrets engine; reading secret "
            f"{path!r}. Set {MOUNT_POINT_ENV_VAR} to the KV mount that holds it."
        )
    if mount is not None:
        actual = int((mount.get("options") or {}).get("version") or 1)
        if actual != settings.kv_version:
            return _kv_version_error(path, settings, actual=actual)
    return SecretNotFoundError(_not_found_message(path, settings))


def _kv_version_error(path: str, settings: VaultSettings, *, actual: int) -> VaultKVVersionError:
    return VaultKVVersionError(
        f"Mount {settings.mount_point!r} is a KV version {actual} engine but "
        f"{KV_VERSION_ENV_VAR} is {settings.kv_version}; reading secret {path!r}. "
        f"Set {KV_VERSION_ENV_VAR}={actual}."
    )


def _not_found_message(path: str, settings: VaultSettings) -> str:
    hint = ""
    if path.startswith((f"{settings.mount_point}/", "data/")):
        hint = (
            f" The path is relative to the mount: leave out the "
            f"{path.split('/', 1)[0]!r}/ prefix."
        )
    return (
        f"No secret at path {path!r} in mount {settings.mount_point!r} "
        f"(KV v{settings.kv_version}) of Vault at {settings.address!r}, or its latest "
        f"version was deleted.{hint} Check the path, ask @pipeliners to create the "
        "secret, or (locally) add it to your secrets file for 'pipelines vault dev'."
    )


def _mount_info(client: "hvac.Client", mount_point: str) -> dict[str, Any] | None:
    """The mount's type and options, or None when the token may not see them."""
    try:
        response = client.adapter.get(f"/v1/sys/internal/ui/mounts/{mount_point}")
    except Exception:  # pylint: disable=broad-except  # only a diagnosis, best effort
        return None
    return (response or {}).get("data") if isinstance(response, dict) else None


def _describe_transient(exc: Exception, client: "hvac.Client") -> str:
    """A short, value-free description: the kind of failure and the status code."""
    import requests  # pylint: disable=import-outside-toplevel

    if isinstance(exc, requests.exceptions.Timeout):
        return f"{type(exc).__name__}: no answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = "connection refused" if "refused" in str(exc).lower() else "connection failed"
        if "reset" in str(exc).lower() or "aborted" in str(exc).lower():
            reason = "connection reset"
        return f"{type(exc).__name__}: {reason}"
    status = _last_status_code(client)
    return f"HTTP {status} {type(exc).__name__}" if status else type(exc).__name__


def _vault_errors(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        return "; ".join(str(error) for error in errors)
    return str(exc.args[0]) if exc.args and exc.args[0] else ""


def _last_status_code(client: "hvac.Client") -> int:
    session = getattr(getattr(client, "adapter", None), "session", None)
    return int(getattr(session, "last_status_code", 0) or 0)


def _api_path(path: str, settings: VaultSettings) -> str:
    if settings.kv_version == 2:
        return f"{settings.mount_point}/data/{path}"
    return f"{settings.mount_point}/{path}"


# ---------------------------------------------------------------------------------
# Settings helpers


def _normalize_path(secret_path: str) -> str:
    path = (secret_path or "").strip().strip("/") if isinstance(secret_path, str) else ""
    if not path:
        raise InvalidParameterError(
            f"secret_path is {secret_path!r}; expected a non-empty Vault path inside "
            "the mount, such as 'riomidia' or 'discord_webhooks/flow_failures'."
        )
    return path


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


def _read_number(environ: Mapping[str, str], name: str, default: float) -> float:
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


def _logger() -> logging.Logger:
    """Prefect's context logger inside a flow run (lines reach the UI), else ours."""
    if prefect.context.get("flow_run_id"):
        return prefect.context.get("logger") or logging.getLogger(__name__)
    return logging.getLogger(__name__)


__all__ = [
    "VaultSettings",
    "get_username_and_password_from_secret",
    "get_vault_client",
    "get_vault_secret",
    "get_vault_secret_value",
    "kv_version_from_env",
    "pick_secret_key",
]
