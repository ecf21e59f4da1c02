"""Helpers for registration tests: a generated repository, and the CLI run inside it.

`SampleRepo.create()` writes a temporary repository: this checkout's real
`pipelines/flows.py`, `pipelines/constants.py`, `pipelines/owners.toml`,
`pipelines/utils/` and `requirements.lock`, plus generated orgaos whose flows use a
shared task, copy a pre-defined flow with `deepcopy`, or use only a task of their own.
`activated(repo)` makes that copy *the* `pipelines` package of this process for a block
(the real one is put back afterwards), and `invoke()` runs the `pipelines` CLI there.
The fixtures at the end tie these to the Prefect Server stand-in.

Tests load this module by path (pytest runs with `--import-mode=importlib`) and bind
the fixtures they use to names of their own module.
"""

import contextlib
import importlib
import importlib.util
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest
from click.testing import Result
from typer.testing import CliRunner

CHECKOUT = Path(__file__).resolve().parents[3]
STANDIN_PATH = Path(__file__).resolve().parent / "prefect_server_standin.py"

# Flow names of the generated repository, and the modules that define them.
SHARED_TASK_FLOW = "ALFA: ingest - Contar linhas"
COPIED_FLOW = "ALFA: copies - Copia do template"
OWN_TASK_FLOW = "ALFA: own - Tarefa propria"
REPORT_FLOW = "BETA: report - Relatorio diario"
ALL_FLOWS = (SHARED_TASK_FLOW, COPIED_FLOW, OWN_TASK_FLOW, REPORT_FLOW)
SHARED_TASK_FILE = "pipelines/utils/sample_tasks.py"
TEMPLATE_FILE = "pipelines/utils/sample_template/flows.py"

PROJECT_FILES = ("constants", "flows", "schedules", "tasks", "utils")

API_KEY = "test-api-key"
IMAGE_TAG = "0123456789abcdef0123456789abcdef01234567"


def load_by_path(name: str, path: Path) -> ModuleType:
    """Imports a helper module of the tests by its file path, once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class SampleRepo:
    """A generated repository on disk."""

    root: Path

    @classmethod
    def create(cls, root: Path) -> "SampleRepo":
        """Writes the repository under `root` (which must not exist yet)."""
        package = root / "pipelines"
        package.mkdir(parents=True)
        for name in ("flows.py", "constants.py", "owners.toml"):
            shutil.copy2(CHECKOUT / "pipelines" / name, package / name)
        shutil.copytree(
            CHECKOUT / "pipelines" / "utils",
            package / "utils",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        shutil.copy2(CHECKOUT / "requirements.lock", root / "requirements.lock")
        repo = cls(root)
        repo.write_sample_code()
        return repo

    def path(self, relative: str) -> Path:
        """A file of the repository, by its repository-relative path."""
        return self.root / relative

    def write(self, relative: str, text: str) -> None:
        """Writes a file, creating its folder."""
        path = self.path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")

    def append(self, relative: str, text: str) -> None:
        """Appends text to a file (a change that keeps it valid Python)."""
        with self.path(relative).open("a", encoding="utf-8") as file:
            file.write(text)

    def write_sample_code(self) -> None:
        """The generated orgaos, the shared task and the pre-defined flow they copy."""
        self.write(
            "pipelines/__init__.py",
            '''
            """Generated test repository: importing it imports every orgao."""

            from pipelines import rj_alfa, rj_beta  # noqa: F401
            ''',
        )
        self.write(
            SHARED_TASK_FILE,
            '''
            """Shared tasks of the generated repository."""

            from prefect import task


            @task
            def count_rows(rows: list) -> int:
                """Counts the rows it is given."""
                return len(rows)
            ''',
        )
        self.write(
            "pipelines/utils/sample_template/__init__.py",
            '"""Pre-defined flow: count rows."""\n',
        )
        self.write(
            TEMPLATE_FILE,
            '''
            """The pre-defined flow that orgaos copy."""

            from prefect import Parameter

            from pipelines.utils.decorators import Flow
            from pipelines.utils.sample_tasks import count_rows

            with Flow("EMD: template - Contar linhas", code_owners=["escritorio"]) as template_flow:
                rows = Parameter("rows", default=[1, 2, 3])
                count_rows(rows)
            ''',
        )
        self._write_orgao("rj_alfa", ["ingest", "copies", "own"])
        self._write_orgao("rj_beta", ["report"])
        self.write(
            "pipelines/rj_alfa/schedules.py",
            '''
            """Schedules shared by the projects of rj_alfa."""

            from datetime import timedelta

            import pendulum
            from prefect.schedules import Schedule
            from prefect.schedules.clocks import IntervalClock

            from pipelines.constants import constants

            every_day = Schedule(
                clocks=[
                    IntervalClock(
                        interval=timedelta(days=1),
                        start_date=pendulum.datetime(2021, 1, 1, 4, tz="America/Sao_Paulo"),
                        labels=[constants.RJ_ESCRITORIO_DEV_AGENT_LABEL.value],
                    )
                ]
            )
            ''',
        )
        self.write(
            "pipelines/rj_alfa/ingest/flows.py",
            f'''
            """A flow that uses the shared task."""

            from prefect import Parameter

            from pipelines.rj_alfa.schedules import every_day
            from pipelines.utils.decorators import Flow
            from pipelines.utils.sample_tasks import count_rows

            with Flow("{SHARED_TASK_FLOW}", code_owners=["paty"]) as ingest_flow:
                rows = Parameter("rows", default=[1])
                count_rows(rows)

            ingest_flow.schedule = every_day
            ''',
        )
        self.write(
            "pipelines/rj_alfa/copies/flows.py",
            f'''
            """A copy of the pre-defined flow, as orgaos make them."""

            from copy import deepcopy

            from pipelines.rj_alfa.schedules import every_day
            from pipelines.utils.sample_template.flows import template_flow

            copied_flow = deepcopy(template_flow)
            copied_flow.name = "{COPIED_FLOW}"
            copied_flow.code_owners = ["diego"]
            copied_flow.schedule = every_day
            ''',
        )
        self.write(
            "pipelines/rj_alfa/own/tasks.py",
            '''
            """Tasks of the own project."""

            from prefect import task


            @task
            def shout(text: str) -> str:
                """Upper-cases a text."""
                return text.upper()
            ''',
        )
        self.write(
            "pipelines/rj_alfa/own/flows.py",
            f'''
            """A flow that uses only its own task."""

            from prefect import Parameter

            from pipelines.rj_alfa.own.tasks import shout
            from pipelines.rj_alfa.schedules import every_day
            from pipelines.utils.decorators import Flow

            with Flow("{OWN_TASK_FLOW}", code_owners=["gabriel"]) as own_flow:
                text = Parameter("text", default="oi")
                shout(text)

            own_flow.schedule = every_day
            ''',
        )
        self.write(
            "pipelines/rj_beta/report/flows.py",
            f'''
            """A flow with its own Kubernetes settings and no schedule."""

            from prefect import Parameter
            from prefect.run_configs import KubernetesRun

            from pipelines.constants import constants
            from pipelines.rj_beta.report.tasks import render
            from pipelines.utils.decorators import Flow

            with Flow("{REPORT_FLOW}", code_owners=["paty", "diego"]) as report_flow:
                day = Parameter("day", required=True)
                render(day)

            report_flow.run_config = KubernetesRun(
                labels=[constants.RJ_ESCRITORIO_AGENT_LABEL.value], cpu_request="500m"
            )
            ''',
        )
        self.write(
            "pipelines/rj_beta/report/tasks.py",
            '''
            """Tasks of the report project."""

            from prefect import task


            @task
            def render(day: str) -> str:
                """Renders the report of a day."""
                return f"report {day}"
            ''',
        )

    def _write_orgao(self, orgao: str, projects: list[str]) -> None:
        imports = "".join(
            f"from pipelines.{orgao}.{project}.flows import *  # noqa: F401,F403\n"
            for project in projects
        )
        self.write(
            f"pipelines/{orgao}/__init__.py", f'"""Orgao {orgao}."""\n\n{imports}'
        )
        for name in PROJECT_FILES:
            self.write(f"pipelines/{orgao}/{name}.py", f'"""{name} of {orgao}."""\n')
        for project in projects:
            self.write(
                f"pipelines/{orgao}/{project}/__init__.py", f'"""{project}."""\n'
            )
            for name in PROJECT_FILES:
                self.write(
                    f"pipelines/{orgao}/{project}/{name}.py",
                    f'"""{name} of {project}."""\n',
                )


def _is_pipelines_module(name: str) -> bool:
    return name == "pipelines" or name.startswith("pipelines.")


def forget_pipelines_modules() -> None:
    """Drops `pipelines` and its modules from `sys.modules`, so edits are re-imported."""
    for name in [name for name in sys.modules if _is_pipelines_module(name)]:
        del sys.modules[name]
    importlib.invalidate_caches()


@contextlib.contextmanager
def activated(repo: SampleRepo) -> Iterator[SampleRepo]:
    """Makes the repository's `pipelines` the one imported by this process, for a block."""
    # The CLI's own modules come from the real checkout, imported before the swap.
    import pipelines_cli.app  # pylint: disable=unused-import

    saved = {
        name: module
        for name, module in sys.modules.items()
        if _is_pipelines_module(name)
    }
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = (
        True  # edits within one second must not hit stale .pyc files
    )
    sys.path.insert(0, str(repo.root))
    forget_pipelines_modules()
    try:
        yield repo
    finally:
        forget_pipelines_modules()
        sys.modules.update(saved)
        sys.path.remove(str(repo.root))
        sys.dont_write_bytecode = writes_bytecode
        importlib.invalidate_caches()


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    """Runs `pipelines <args>` through Click's runner in the activated repository.

    Unexpected exceptions are raised, not hidden in the result.
    """
    from pipelines_cli.app import app

    forget_pipelines_modules()
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250", **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture
def sample_repo(tmp_path: Path) -> Iterator[SampleRepo]:
    """The generated repository, activated as `pipelines` for the test."""
    with activated(SampleRepo.create(tmp_path / "repo")) as repo:
        yield repo


@pytest.fixture
def standin() -> Iterator[object]:
    """A Prefect Server stand-in with projects `staging` and `production`."""
    module = load_by_path("prefect_server_standin", STANDIN_PATH)
    with module.PrefectServerStandIn(
        ("staging", "production"), api_key=API_KEY
    ) as server:
        yield server
    assert not server.internal_errors, "the stand-in failed:\n" + "\n".join(
        server.internal_errors
    )


@pytest.fixture
def prefect_server(
    standin: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """Prefect configured for the stand-in, fast retries, and an image tag set.

    Prefect reads its configuration from the environment once, at import; the test
    sets the same keys the environment would (`PREFECT__BACKEND`,
    `PREFECT__CLOUD__API`, `PREFECT__CLOUD__API_KEY`) with Prefect's own helper.
    """
    from prefect.utilities.configuration import set_temporary_config

    from pipelines_cli.registration import client

    monkeypatch.setattr(
        client,
        "DEFAULT_RETRY_POLICY",
        client.RetryPolicy(attempts=3, first_delay_seconds=0.01, multiplier=2.0),
    )
    monkeypatch.setenv("PIPELINES_IMAGE_TAG", IMAGE_TAG)
    config = {
        "backend": "server",
        "cloud.api": standin.url,  # type: ignore[attr-defined]
        "cloud.api_key": API_KEY,
        "home_dir": str(tmp_path / "prefect-home"),
    }
    with set_temporary_config(config):
        yield standin
