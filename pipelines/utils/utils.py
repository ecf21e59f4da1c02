"""Helpers that orgao code imports the way the office's tutorial shows.

``from pipelines.utils.utils import get_vault_secret`` keeps working: the helpers
live in topic modules (`pipelines.utils.vault`, ...) and are re-exported here.
"""

from pipelines.utils.vault import (
    get_username_and_password_from_secret,
    get_vault_client,
    get_vault_secret,
    get_vault_secret_value,
)

__all__ = [
    "get_username_and_password_from_secret",
    "get_vault_client",
    "get_vault_secret",
    "get_vault_secret_value",
]
