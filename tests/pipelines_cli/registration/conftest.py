"""Fixtures of the registration tests: a generated repository and a Prefect Server stand-in.

The fixtures live in `harness.py`, shared with `tests/pipelines_cli/test_deploy_commands.py`.
"""

from tests.pipelines_cli.registration import harness

sample_repo = harness.sample_repo
standin = harness.standin
prefect_server = harness.prefect_server
