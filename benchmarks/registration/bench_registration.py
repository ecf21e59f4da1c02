"""Benchmark: `pipelines list` and `pipelines register --plan` on a repository of 300 flows.

Copies this checkout's `pipelines/`, `queries/` and `requirements.lock` to a temporary
folder, generates 300 more flows there (10 orgaos of 30 projects, the six files each):
a third copy one of the real pre-defined flows of `pipelines/utils/` with `deepcopy`, a
third use a generated shared task, a third only a task of their own. It then starts the
Prefect Server stand-in of the tests (a Prefect 1 Server cannot run here), registers
every flow once into `production`, edits the shared task, and times, each in a fresh
process with the copy first on PYTHONPATH:

- `pipelines list`;
- `pipelines register --project production --plan` (the flows using the shared task
  must come out as changed, the others unchanged; the script checks it).

Each command runs once untimed first (Python then caches the bytecode of the 1,800
generated modules, as it does in a working checkout); the table gives the median wall
time and the median CPU time (user + system) of the timed runs. On a busy machine the
wall time grows while the CPU time does not; the load average is printed with them.

Run on demand, not in CI: `.venv/bin/python benchmarks/registration/bench_registration.py`
(`--help` for options). Results go to stdout as a Markdown table.
"""

import argparse
import ast
import importlib.util
import logging
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from types import ModuleType

logger = logging.getLogger("bench_registration")

ROOT = Path(__file__).resolve().parents[2]
STANDIN = (
    ROOT / "tests" / "pipelines_cli" / "registration" / "prefect_server_standin.py"
)
PIPELINES = ROOT / ".venv" / "bin" / "pipelines"
ORGAOS = 10
PROJECTS_PER_ORGAO = 30
SHARED_TASKS = "pipelines/utils/bench_tasks.py"


def main() -> None:
    """Builds the repository, runs the commands, prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=3, help="timed runs of each command"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated repository"
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    workdir = Path(tempfile.mkdtemp(prefix="bench-registration-"))
    try:
        repo = workdir / "repo"
        generated = build_repository(repo)
        run(arguments.runs, repo, generated)
    finally:
        if arguments.keep:
            logger.info("Generated repository kept at %s", workdir / "repo")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def build_repository(repo: Path) -> dict[str, int]:
    """Copies the checkout and writes the generated orgaos; returns flows per kind."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "target", "logs")
    shutil.copytree(ROOT / "pipelines", repo / "pipelines", ignore=ignore)
    shutil.copytree(ROOT / "queries", repo / "queries", ignore=ignore)
    shutil.copy2(ROOT / "requirements.lock", repo / "requirements.lock")
    templates = find_templates(repo / "pipelines" / "utils")
    logger.info(
        "Templates copied by generated flows: %s", ", ".join(t[0] for t in templates)
    )

    write(
        repo / SHARED_TASKS,
        '''
        """Shared tasks of the generated flows (the benchmark edits this file)."""

        from prefect import task


        @task
        def count_rows(rows: list) -> int:
            """Counts the rows it is given."""
            return len(rows)
        ''',
    )
    kinds = {"template copy": 0, "shared task": 0, "own task": 0}
    for o in range(ORGAOS):
        orgao = f"rj_bench{o:02d}"
        for name in ("constants", "flows", "schedules", "tasks", "utils"):
            write(repo / f"pipelines/{orgao}/{name}.py", f'"""{name} of {orgao}."""\n')
        project_imports = []
        for p in range(PROJECTS_PER_ORGAO):
            number = o * PROJECTS_PER_ORGAO + p
            kind = ("template copy", "shared task", "own task")[number % 3]
            kinds[kind] += 1
            project = write_project(repo, orgao, number, kind, templates)
            project_imports.append(
                f"from pipelines.{orgao}.{project}.flows import *  # noqa: F401,F403\n"
            )
        write(
            repo / f"pipelines/{orgao}/__init__.py",
            f'"""Generated orgao {orgao}."""\n\n' + "".join(project_imports),
        )
    with open(repo / "pipelines" / "__init__.py", "a", encoding="utf-8") as file:
        file.write("\n")
        for o in range(ORGAOS):
            file.write(f"from pipelines import rj_bench{o:02d}  # noqa: F401\n")
    return kinds


def write_project(
    repo: Path, orgao: str, number: int, kind: str, templates: list[tuple[str, str]]
) -> str:
    """Writes the six files of one generated project; returns the project's name."""
    project = f"projeto{number % PROJECTS_PER_ORGAO:02d}"
    base = repo / "pipelines" / orgao / project
    for name in ("__init__", "constants", "schedules", "utils"):
        write(base / f"{name}.py", f'"""{name} of {orgao}.{project}."""\n')
    write(
        base / "tasks.py",
        f'''
        """Tasks of {orgao}.{project}."""

        from prefect import task


        @task
        def shout(text: str) -> str:
            """Upper-cases a text."""
            return text.upper() + "{number}"
        ''',
    )
    flow_name = f"B{number // PROJECTS_PER_ORGAO:02d}: {project} - Fluxo {number:03d}"
    source = flow_module(
        kind, flow_name, number, module=f"{orgao}.{project}", templates=templates
    )
    write(base / "flows.py", source)
    return project


def flow_module(
    kind: str,
    flow_name: str,
    number: int,
    *,
    module: str,
    templates: list[tuple[str, str]],
) -> str:
    """The source of one generated `flows.py`."""
    schedule = f"""
        every_day = Schedule(
            clocks=[
                IntervalClock(
                    interval=timedelta(hours=24),
                    start_date=pendulum.datetime(2021, 1, 1, {number % 24}, tz="America/Sao_Paulo"),
                    labels=[constants.RJ_ESCRITORIO_DEV_AGENT_LABEL.value],
                )
            ]
        )
    """
    header = f'''
        """Generated flow {number} of {module} ({kind})."""

        from copy import deepcopy
        from datetime import timedelta

        import pendulum
        from prefect import Parameter
        from prefect.run_configs import KubernetesRun
        from prefect.schedules import Schedule
        from prefect.schedules.clocks import IntervalClock

        from pipelines.constants import constants
        from pipelines.utils.decorators import Flow
        from pipelines.{module}.tasks import shout
    '''
    if kind == "template copy":
        module, attribute = templates[number % len(templates)]
        body = f"""
        from {module} import {attribute}

        flow_{number:03d} = deepcopy({attribute})
        flow_{number:03d}.name = "{flow_name}"
        flow_{number:03d}.code_owners = ["escritorio"]
        flow_{number:03d}.run_config = KubernetesRun(labels=[constants.RJ_ESCRITORIO_AGENT_LABEL.value])
        """
    elif kind == "shared task":
        body = f"""
        from pipelines.utils.bench_tasks import count_rows
        {schedule}
        with Flow("{flow_name}", code_owners=["paty"]) as flow_{number:03d}:
            rows = Parameter("rows", default=[1, 2, 3])
            text = Parameter("text", default="oi")
            shout(text, upstream_tasks=[count_rows(rows)])

        flow_{number:03d}.schedule = every_day
        """
    else:
        body = f"""
        {schedule}
        with Flow("{flow_name}", code_owners=["gabriel"]) as flow_{number:03d}:
            text = Parameter("text", default="oi")
            shout(shout(text))

        flow_{number:03d}.schedule = every_day
        """
    return textwrap.dedent(header) + textwrap.dedent(body)


def find_templates(utils: Path) -> list[tuple[str, str]]:
    """(module, attribute) of each `with Flow(...) as name:` in pipelines/utils/*/flows.py."""
    found = []
    for path in sorted(utils.glob("*/flows.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.With):
                for item in node.items:
                    call = item.context_expr
                    if (
                        isinstance(call, ast.Call)
                        and getattr(call.func, "id", None) == "Flow"
                        and isinstance(item.optional_vars, ast.Name)
                    ):
                        module = "pipelines.utils." + path.parent.name + ".flows"
                        found.append((module, item.optional_vars.id))
    if not found:
        raise SystemExit(f"No pre-defined flow found under {utils}; nothing to copy.")
    return found


def run(runs: int, repo: Path, kinds: dict[str, int]) -> None:
    """Registers once, edits the shared task, times the two commands, prints the table."""
    server = load_standin().PrefectServerStandIn(("staging", "production")).start()
    env = {
        **os.environ,
        "PYTHONPATH": str(repo),
        "PREFECT__BACKEND": "server",
        "PREFECT__CLOUD__API": server.url,
        "PREFECT__HOME_DIR": str(repo.parent / "prefect-home"),
        "PIPELINES_IMAGE_TAG": "bench-0001",
        "COLUMNS": "200",
    }
    env.pop("PREFECT__CLOUD__API_KEY", None)
    try:
        first, _ = timed(
            [str(PIPELINES), "register", "--project", "production"], env, repo
        )
        total = len(server.flows("production"))
        logger.info("First registration: %d flows in %.1f s", total, first)
        with open(repo / SHARED_TASKS, "a", encoding="utf-8") as file:
            file.write("\n\nBATCH_SIZE = 100  # edited by the benchmark\n")
        timed(
            [str(PIPELINES), "list"], env, repo
        )  # warm-up: bytecode of generated modules
        figures = {
            "list": measure([str(PIPELINES), "list"], env, repo, runs),
            "plan": measure(
                [str(PIPELINES), "register", "--project", "production", "--plan"],
                env,
                repo,
                runs,
            ),
        }
    finally:
        server.stop()

    counts = plan_counts(figures["plan"][2], kinds["shared task"])
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\n{total} flows ({total - sum(kinds.values())} of the checkout + "
        f"{sum(kinds.values())} generated: {kinds}), median of {runs} runs, "
        f"{os.cpu_count()} cores, load average {load}:\n"
    )
    print("| command | wall time | CPU time | target |")
    print("|---|---|---|---|")
    wall, cpu, _ = figures["list"]
    print(f"| `pipelines list` | {wall:.2f} s | {cpu:.2f} s | < 3 s |")
    wall, cpu, _ = figures["plan"]
    print(
        f"| `pipelines register --plan` ({counts}) | {wall:.2f} s | {cpu:.2f} s | < 30 s |"
    )
    print(
        f"| first `pipelines register` ({total} new, cold bytecode) | {first:.1f} s | - | - |"
    )


def measure(
    command: list[str], env: dict[str, str], cwd: Path, runs: int
) -> tuple[float, float, str]:
    """Median wall and CPU seconds of a command over `runs` runs, and its last output."""
    walls, cpus, output = [], [], ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, output = timed(command, env, cwd)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(seconds)
        cpus.append(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        )
    return statistics.median(walls), statistics.median(cpus), output


def plan_counts(output: str, expected_changed: int) -> str:
    """Checks the plan's summary line: only the shared task's users changed."""
    summary = re.search(
        r"(\d+) new, (\d+) changed, (\d+) invalid, (\d+) unchanged", output
    )
    if summary is None:
        raise SystemExit(f"The plan printed no summary:\n{output[-3000:]}")
    new, changed, invalid, unchanged = (int(value) for value in summary.groups())
    if (new, changed, invalid) != (0, expected_changed, 0):
        raise SystemExit(
            f"The plan should list the {expected_changed} flows using the shared task as "
            f"changed, and nothing new or invalid; it printed {summary.group(0)!r}."
        )
    return f"{changed} changed, {unchanged} unchanged"


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    """Runs a command; returns its wall time and output, or stops on failure."""
    start = time.perf_counter()
    result = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command[1:])} failed ({result.returncode}):\n{output[-3000:]}"
        )
    return seconds, output


def load_standin() -> ModuleType:
    """The Prefect Server stand-in of the tests, imported by path."""
    spec = importlib.util.spec_from_file_location("prefect_server_standin", STANDIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def write(path: Path, text: str) -> None:
    """Writes a file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


if __name__ == "__main__":
    main()
