"""Choosing and configuring the datalake backend from environment variables.

- `PIPELINES_DATALAKE_BACKEND`: `local` (default) or `bigquery`.
- `PIPELINES_DATALAKE_ROOT`: folder of the local datalake, `.datalake` (relative to
  the working directory) by default.
"""

import os
from pathlib import Path

from pipelines.utils.datalake.base import Datalake
from pipelines.utils.exceptions import InvalidParameterError

BACKEND_ENV_VAR = "PIPELINES_DATALAKE_BACKEND"
ROOT_ENV_VAR = "PIPELINES_DATALAKE_ROOT"
DEFAULT_BACKEND = "local"
DEFAULT_ROOT = ".datalake"
BACKENDS = ("local", "bigquery")


def get_datalake() -> Datalake:
    """Returns the datalake configured by the environment.

    Raises:
        InvalidParameterError: `PIPELINES_DATALAKE_BACKEND` names no known backend.
    """
    backend = os.environ.get(BACKEND_ENV_VAR, DEFAULT_BACKEND).strip().lower()
    if backend == "local":
        from pipelines.utils.datalake.local import LocalDatalake

        return LocalDatalake(local_root())
    if backend == "bigquery":
        from pipelines.utils.datalake.bigquery import BigQueryDatalake

        return BigQueryDatalake()
    raise InvalidParameterError(
        f"{BACKEND_ENV_VAR}={backend!r} is not a datalake backend; expected one of "
        f"{BACKENDS!r}. Unset it to use the local datalake."
    )


def local_root() -> Path:
    """The folder of the local datalake, made absolute."""
    return Path(os.environ.get(ROOT_ENV_VAR, DEFAULT_ROOT)).expanduser().resolve()
