"""The registry of code owners, read from `pipelines/owners.toml`.

A flow's `code_owners` must all be keys of that file; failure notifications mention
each owner by the Discord id kept there.
"""

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

OWNERS_FILE = Path(__file__).resolve().parent.parent / "owners.toml"


@dataclass(frozen=True)
class Owner:
    """One person or team that answers for flows."""

    key: str
    name: str
    discord_user_id: str
    github: str


@lru_cache(maxsize=None)
def load_owners(path: Path = OWNERS_FILE) -> dict[str, Owner]:
    """Reads the owners registry.

    Args:
        path: the TOML file, `pipelines/owners.toml` by default.

    Returns:
        Owners by key, the name flows use in `code_owners`.
    """
    with open(path, "rb") as file:
        data = tomllib.load(file)
    return {
        key: Owner(
            key=key,
            name=entry.get("name", key),
            discord_user_id=str(entry.get("discord_user_id", "")),
            github=entry.get("github", ""),
        )
        for key, entry in data.get("owners", {}).items()
    }
