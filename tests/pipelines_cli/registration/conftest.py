"""Fixtures of the registration tests: a generated repository and a Prefect Server stand-in.

The fixtures live in `harness.py`, shared with `tests/pipelines_cli/test_deploy_commands.py`.
"""

import importlib.util
import sys
from pathlib import Path


def _load_harness() -> object:
    name = "registration_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parent / "harness.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


harness = _load_harness()
sample_repo = harness.sample_repo
standin = harness.standin
prefect_server = harness.prefect_server
