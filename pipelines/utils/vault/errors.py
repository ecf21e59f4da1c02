"""How hvac and requests failures become this package's exceptions.

Transient failures (no answer, connection reset, 5xx) are told from permanent ones;
a 403 is told apart into a dead token or a missing policy, and a 404 into a missing
mount, a KV version mismatch or a missing secret. No message holds a secret value.
"""

from typing import TYPE_CHECKING, Any

from pipelines.utils.exceptions import (
    SecretNotFoundError,
    VaultKVVersionError,
    VaultMountNotFoundError,
    VaultPermissionDeniedError,
    VaultSecretError,
    VaultServerError,
    VaultTokenError,
    VaultUnreachableError,
)
from pipelines.utils.vault.settings import (
    ADDRESS_ENV_VAR,
    DEFAULT_MOUNT_POINT,
    KV_VERSION_ENV_VAR,
    MOUNT_POINT_ENV_VAR,
    TOKEN_ENV_VAR,
    VaultSettings,
)

if TYPE_CHECKING:
    import hvac


def is_transient(exc: Exception, client: "hvac.Client") -> bool:
    """Whether a failure may go away by itself: no answer, a reset, or a 5xx."""
    import hvac.exceptions
    import requests

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
        return last_status_code(client) >= 500
    return False


def translate_error(
    exc: Exception, client: "hvac.Client", path: str, settings: VaultSettings
) -> VaultSecretError:
    """Turns an hvac or requests error into one of ours, naming path and fix."""
    import hvac.exceptions
    import requests

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
            f"({describe_transient(exc, client)}). Check {ADDRESS_ENV_VAR}, your "
            "network or VPN, and that the server is running (locally: "
            "'pipelines vault dev')."
        )
    if is_transient(exc, client):
        return VaultServerError(
            f"{where} answered {describe_transient(exc, client)} reading secret "
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
    import hvac.exceptions

    api_path = _api_path(path, settings)
    try:
        token_info = client.auth.token.lookup_self().get("data") or {}
    except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
        return VaultTokenError(
            f"Vault at {settings.address!r} refused {TOKEN_ENV_VAR} (403) reading "
            f"secret {path!r}: the token is wrong, expired or revoked. Get a new "
            f"token and export {TOKEN_ENV_VAR} again (locally: restart "
            "'pipelines vault dev')."
        )
    # the check itself failed (network, server): say both possible causes
    except Exception:  # pylint: disable=broad-exception-caught
        return VaultPermissionDeniedError(
            f"Vault at {settings.address!r} refused reading secret {path!r} (403 on "
            f"{api_path!r}) and the token could not be checked: {TOKEN_ENV_VAR} is "
            "expired, or its policies do not allow this path. Export a fresh token, "
            "or ask @pipeliners for read access."
        )
    policies = sorted(token_info.get("policies") or [])
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
    return SecretNotFoundError(not_found_message(path, settings))


def _kv_version_error(
    path: str, settings: VaultSettings, *, actual: int
) -> VaultKVVersionError:
    return VaultKVVersionError(
        f"Mount {settings.mount_point!r} is a KV version {actual} engine but "
        f"{KV_VERSION_ENV_VAR} is {settings.kv_version}; reading secret {path!r}. "
        f"Set {KV_VERSION_ENV_VAR}={actual}."
    )


def not_found_message(path: str, settings: VaultSettings) -> str:
    """The message for a missing secret, with a hint when the path has a prefix."""
    hint = ""
    if path.startswith((f"{settings.mount_point}/", "data/")):
        hint = (
            " The path is relative to the mount: leave out the "
            f"'{path.split('/', 1)[0]}/' prefix."
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
    # only a diagnosis, best effort
    except Exception:  # pylint: disable=broad-exception-caught
        return None
    return (response or {}).get("data") if isinstance(response, dict) else None


def describe_transient(exc: Exception, client: "hvac.Client") -> str:
    """A short, value-free description: the kind of failure and the status code."""
    import requests

    if isinstance(exc, requests.exceptions.Timeout):
        return f"{type(exc).__name__}: no answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = (
            "connection refused"
            if "refused" in str(exc).lower()
            else "connection failed"
        )
        if "reset" in str(exc).lower() or "aborted" in str(exc).lower():
            reason = "connection reset"
        return f"{type(exc).__name__}: {reason}"
    status = last_status_code(client)
    return f"HTTP {status} {type(exc).__name__}" if status else type(exc).__name__


def _vault_errors(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        return "; ".join(str(error) for error in errors)
    return str(exc.args[0]) if exc.args and exc.args[0] else ""


def last_status_code(client: "hvac.Client") -> int:
    """The status of the client's last answer (0 if none), recorded by its session."""
    session = getattr(getattr(client, "adapter", None), "session", None)
    return int(getattr(session, "last_status_code", 0) or 0)


def _api_path(path: str, settings: VaultSettings) -> str:
    if settings.kv_version == 2:
        return f"{settings.mount_point}/data/{path}"
    return f"{settings.mount_point}/{path}"
