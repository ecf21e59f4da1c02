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
STANDIN = ROOT / "tests" / "pipelines_cli" / "registration" / "prefect_server_standin.py"
PIPELINES = ROOT / ".venv" / "bin" / "pipelines"
ORGAOS = 10
PROJECTS_PER_ORGAO = 30
SHARED_TASKS = "pipelines/utils/bench_tasks.py"


def main() -> None:
    """Builds the repository, runs the commands, prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
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
    logger.info("Templates copied by generated flows: %s", ", ".join(t[0] for t in templates))

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
    imports = []
    for o in range(ORGAOS):
        orgao = f"rj_bench{o:02d}"
        imports.append(f"from pipelines import {orgao}  # noqa: F401\n")
        project_imports = []
        for name in ("constants", "flows", "schedules", "tasks", "utils"):
            write(repo / f"pipelines/{orgao}/{name}.py", f'"""{name} of {orgao}."""\n')
        for p in range(PROJECTS_PER_ORGAO):
            project = f"projeto{p:02d}"
            base = repo / "pipelines" / orgao / project
            number = o * PROJECTS_PER_ORGAO + p
            flow_name = f"B{o:02d}: {project} - Fluxo {number:03d}"
            kind = ("template copy", "shared task", "own task")[number % 3]
            kinds[kind] += 1
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
            write(base / "flows.py", flow_module(kind, flow_name, orgao, project, templates, number))
            project_imports.append(
                f"from pipelines.{orgao}.{project}.flows import *  # noqa: F401,F403\n"
            )
        write(
            repo / f"pipelines/{orgao}/__init__.py",
            f'"""Generated orgao {orgao}."""\n\n' + "".join(project_imports),
        )
    with open(repo / "pipelines" / "__init__.py", "a", encoding="utf-8") as file:
        file.write("\n" + "".join(imports))
    return kinds


def flow_module(
    kind: str,
    flow_name: str,
    orgao: str,
    project: str,
    templates: list[tuple[str, str]],
    number: int,
) -> str:
    """The source of one generated `flows.py`."""
    schedule = f'''
        every_day = Schedule(
            clocks=[
                IntervalClock(
                    interval=timedelta(hours=24),
                    start_date=pendulum.datetime(2021, 1, 1, {number % 24}, tz="America/Sao_Paulo"),
                    labels=[constants.RJ_ESCRITORIO_DEV_AGENT_LABEL.value],
                )
            ]
        )
    '''
    header = f'''
        """Generated flow {number} of {orgao}.{project} ({kind})."""

        from copy import deepcopy
        from datetime import timedelta

        import pendulum
        from prefect import Parameter
        from prefect.run_configs import KubernetesRun
        from prefect.schedules import Schedule
        from prefect.schedules.clocks import IntervalClock

        from pipelines.constants import constants
        from pipelines.utils.decorators import Flow
        from pipelines.{orgao}.{project}.tasks import shout
    '''
    if kind == "template copy":
        module, attribute = templates[number % len(templates)]
        body = f'''
        from {module} import {attribute}

        flow_{number:03d} = deepcopy({attribute})
        flow_{number:03d}.name = "{flow_name}"
        flow_{number:03d}.code_owners = ["escritorio"]
        flow_{number:03d}.run_config = KubernetesRun(labels=[constants.RJ_ESCRITORIO_AGENT_LABEL.value])
        '''
    elif kind == "shared task":
        body = f'''
        from pipelines.utils.bench_tasks import count_rows
        {schedule}
        with Flow("{flow_name}", code_owners=["paty"]) as flow_{number:03d}:
            rows = Parameter("rows", default=[1, 2, 3])
            text = Parameter("text", default="oi")
            shout(text, upstream_tasks=[count_rows(rows)])

        flow_{number:03d}.schedule = every_day
        '''
    else:
        body = f'''
        {schedule}
        with Flow("{flow_name}", code_owners=["gabriel"]) as flow_{number:03d}:
            text = Parameter("text", default="oi")
            shout(shout(text))

        flow_{number:03d}.schedule = every_day
        '''
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
    """Registers once, edits the shared task, and times the two commands."""
    standin_module = load_standin()
    server = standin_module.PrefectServerStandIn(("staging", "production")).start()
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
        first, output = timed([str(PIPELINES), "register", "--project", "production"], env, repo)
        total = count_flows(server)
        logger.info("First registration: %d flows in %.1f s", total, first)
        logger.debug("%s", output[-2000:])

        with open(repo / SHARED_TASKS, "a", encoding="utf-8") as file:
            file.write("\n\nBATCH_SIZE = 100  # edited by the benchmark\n")

        list_command = [str(PIPELINES), "list"]
        plan_command = [str(PIPELINES), "register", "--project", "production", "--plan"]
        timed(list_command, env, repo)  # warm-up: bytecode of the generated modules
        list_times, plan_times, list_cpu, plan_cpu = [], [], [], []
        for _ in range(runs):
            seconds, output, cpu = timed_with_cpu(list_command, env, repo)
            list_times.append(seconds)
            list_cpu.append(cpu)
            seconds, plan_output, cpu = timed_with_cpu(plan_command, env, repo)
            plan_times.append(seconds)
            plan_cpu.append(cpu)
        summary = re.search(r"(\d+) new, (\d+) changed, (\d+) invalid, (\d+) unchanged", plan_output)
        if summary is None:
            raise SystemExit(f"The plan printed no summary:\n{plan_output[-3000:]}")
        new, changed, invalid, unchanged = (int(value) for value in summary.groups())
        if (new, changed, invalid) != (0, kinds["shared task"], 0):
            raise SystemExit(
                f"The plan should list the {kinds['shared task']} flows using the shared task "
                f"as changed, and nothing new or invalid; it printed {summary.group(0)!r}."
            )
    finally:
        server.stop()

    print()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"{total} flows ({total - sum(kinds.values())} of the checkout + "
        f"{sum(kinds.values())} generated: {kinds}), median of {runs} runs, "
        f"{os.cpu_count()} cores, load average {load}:"
    )
    print()
    print("| command | wall time | CPU time | target |")
    print("|---|---|---|---|")
    print(
        f"| `pipelines list` | {statistics.median(list_times):.2f} s | "
        f"{statistics.median(list_cpu):.2f} s | < 3 s |"
    )
    print(
        f"| `pipelines register --plan` ({changed} changed, {unchanged} unchanged) | "
        f"{statistics.median(plan_times):.2f} s | {statistics.median(plan_cpu):.2f} s | < 30 s |"
    )
    print(
        f"| first `pipelines register` ({total} new, stand-in server, cold bytecode) "
        f"| {first:.1f} s | - | - |"
    )


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    """Runs a command; returns its wall time and output, or stops on failure."""
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:])} failed ({result.returncode}):\n{output[-3000:]}")
    return seconds, output


def timed_with_cpu(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str, float]:
    """`timed`, plus the CPU time (user + system) the command used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, output = timed(command, env, cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, output, cpu


def count_flows(server: object) -> int:
    """Flows registered in the stand-in's production project."""
    return len(server.flows("production"))  # type: ignore[attr-defined]


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
