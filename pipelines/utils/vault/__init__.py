"""Secrets from Vault (or OpenBao, which speaks the same API), read through `hvac`.

`get_vault_secret("riomidia")` returns the secret's own keys (``{"username": ...}``)
and masks their values in Prefect's logs from then on. Files:

- `settings.py`: the `VAULT_*` environment variables, their defaults and checks;
- `reader.py`: the client, the read with bounded retries, the helpers flows use;
- `errors.py`: how hvac and requests failures become clear, specific exceptions.
"""

from pipelines.utils.vault.reader import (
    get_username_and_password_from_secret,
    get_vault_client,
    get_vault_secret,
    get_vault_secret_value,
    pick_secret_key,
)
from pipelines.utils.vault.settings import (
    ADDRESS_ENV_VAR,
    DEFAULT_KV_VERSION,
    DEFAULT_MOUNT_POINT,
    KV_VERSION_ENV_VAR,
    MAX_ATTEMPTS_ENV_VAR,
    MOUNT_POINT_ENV_VAR,
    TIMEOUT_ENV_VAR,
    TOKEN_ENV_VAR,
    VaultSettings,
    kv_version_from_env,
)

__all__ = [
    "ADDRESS_ENV_VAR",
    "DEFAULT_KV_VERSION",
    "DEFAULT_MOUNT_POINT",
    "KV_VERSION_ENV_VAR",
    "MAX_ATTEMPTS_ENV_VAR",
    "MOUNT_POINT_ENV_VAR",
    "TIMEOUT_ENV_VAR",
    "TOKEN_ENV_VAR",
    "VaultSettings",
    "get_username_and_password_from_secret",
    "get_vault_client",
    "get_vault_secret",
    "get_vault_secret_value",
    "kv_version_from_env",
    "pick_secret_key",
]
