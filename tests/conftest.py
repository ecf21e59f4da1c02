"""Fixtures for every test: an isolated local datalake, no shared Vault, the data samples.

No test may touch the repository's own `.datalake`: each test gets a fresh datalake
folder through `PIPELINES_DATALAKE_ROOT`, and the backend is the local one whatever
the developer's shell says.
"""

import os
from pathlib import Path

import pytest

from pipelines.utils.datalake.config import BACKEND_ENV_VAR, ROOT_ENV_VAR

DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_datalake(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Points the local datalake at a fresh folder of this test; returns the root used.

    A root that a module- or session-scoped fixture already put inside pytest's
    temporary folder is kept, so tests sharing one expensive flow run see its data.
    """
    monkeypatch.delenv(BACKEND_ENV_VAR, raising=False)
    current = os.environ.get(ROOT_ENV_VAR)
    base = tmp_path_factory.getbasetemp().resolve()
    if current and Path(current).resolve().is_relative_to(base):
        return Path(current)
    root = tmp_path / "datalake"
    monkeypatch.setenv(ROOT_ENV_VAR, str(root))
    return root


@pytest.fixture(autouse=True)
def no_shared_vault(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsets the developer's Vault settings, so a failing flow in a test never reads
    real secrets nor posts a real notification; Vault tests start their own server."""
    for name in ("VAULT_ADDRESS", "VAULT_TOKEN", "VAULT_ADDR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir() -> Path:
    """The folder of real data samples (`tests/data`), each described in a `.md`."""
    return DATA_DIR
