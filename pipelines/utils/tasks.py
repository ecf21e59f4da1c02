"""Prefect tasks that every orgao reuses: reading a secret from Vault."""

from typing import Any

from prefect import task

from pipelines.utils.vault import get_vault_secret, pick_secret_key


# NOTE: checkpoint=False keeps the secret out of result storage: with a flow result
# configured, a checkpointed task would write its return value to a bucket.
@task(checkpoint=False)
def get_secret(secret_path: str, key: str | None = None) -> Any:
    """Reads a secret from Vault for the tasks downstream.

    Reads `secret_path` from the KV mount set by `VAULT_MOUNT_POINT` (see
    `pipelines.utils.vault`); writes nothing, so re-running it is safe. The values
    read are masked (`***`) in the flow run's logs, and the result is never
    checkpointed.

    Args:
        secret_path: the secret's path inside the mount, such as `"riomidia"`.
        key: one key of the secret to return instead of the whole secret.

    Returns:
        The secret as a dict of its own keys, or the value of `key`.

    Raises:
        VaultSecretError: the secret could not be read; the message says why and
            what to do (see `get_vault_secret`).
        SecretKeyNotFoundError: the secret has no `key`; the keys it has are listed.
    """
    secret = get_vault_secret(secret_path)
    if key is None:
        return secret
    return pick_secret_key(secret, secret_path, key)
