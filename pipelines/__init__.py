"""The office's flows: importing this package imports every orgao, so every flow is importable.

`pipelines new orgao <slug>` adds the import of a new orgao here.
"""

from pipelines import rj_escritorio  # noqa: F401
