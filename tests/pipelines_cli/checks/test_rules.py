"""Each rule of `pipelines check`, run through the CLI on example repositories.

A "bad" copy of the repository holds one example project per broken convention and
a "good" copy one project that follows them all, plus the tutorial's own flow; the
checks run once on each (a real child process imports the copy's flows) and every
test reads the lines of one rule.
"""

import textwrap
from pathlib import Path

import pytest

from tests.pipelines_cli.checks.examples import (
    CheckRun,
    copy_repository,
    line_of,
    run_check,
    write_orgao,
    write_project,
)

PROJECTS = "pipelines/rj_escritorio"

HEADER = '''
    """Example flows."""

    from datetime import datetime, timedelta

    import pendulum
    import pytz
    from prefect import Parameter, task
    from prefect.run_configs import LocalRun
    from prefect.schedules import Schedule
    from prefect.schedules.clocks import CronClock, IntervalClock

    from pipelines.constants import constants
    from pipelines.utils.decorators import Flow

    RIO = "America/Sao_Paulo"
    DEV = constants.RJ_ESCRITORIO_DEV_AGENT_LABEL.value


    @task
    def echo(value: str) -> str:
        """Returns its input."""
        return value

'''

BAD_PROJECTS: dict[str, str] = {
    "nome_ruim": """
        with Flow("captura de exemplo", code_owners=["paty"]) as nome_ruim_flow:
            echo("x")
    """,
    "sigla_errada": """
        with Flow("SMTR: sigla_errada - Captura", code_owners=["paty"]) as sigla_flow:
            echo("x")
    """,
    "duplicado_a": """
        with Flow("EMD: duplicado - Captura", code_owners=["paty"]) as duplicado_a_flow:
            echo("a")
    """,
    "duplicado_b": """
        with Flow("EMD: duplicado - Captura", code_owners=["diego"]) as duplicado_b_flow:
            echo("b")
    """,
    "prefect_puro": """
        from prefect import Flow as PrefectFlow

        with PrefectFlow("EMD: prefect_puro - Captura") as prefect_puro_flow:
            echo("x")
    """,
    "rotulo": """
        with Flow("EMD: rotulo - Captura", code_owners=["paty"]) as rotulo_flow:
            echo("x")

        rotulo_flow.run_config = LocalRun(labels=["rj-escritorio-dev2"])
        rotulo_flow.schedule = Schedule(
            clocks=[
                IntervalClock(
                    timedelta(days=1),
                    start_date=pendulum.datetime(2021, 1, 1, 4, tz=RIO),
                    labels=["rj-escritorio-teste"],
                ),
                IntervalClock(
                    timedelta(days=1),
                    start_date=pendulum.datetime(2021, 1, 1, 5, tz=RIO),
                ),
            ]
        )
    """,
    "fuso": """
        with Flow("EMD: fuso - Captura", code_owners=["paty"]) as fuso_flow:
            echo("x")

        fuso_flow.schedule = Schedule(
            clocks=[
                IntervalClock(
                    timedelta(days=1),
                    start_date=datetime(2021, 1, 1, 4),
                    labels=[DEV],
                ),
                IntervalClock(
                    timedelta(days=1),
                    start_date=datetime(2021, 1, 1, 5, tzinfo=pytz.timezone(RIO)),
                    labels=[DEV],
                ),
                CronClock(
                    "0 6 * * *",
                    labels=[DEV],
                ),
            ]
        )
    """,
    "parametros": """
        with Flow("EMD: parametros - Captura", code_owners=["paty"]) as parametros_flow:
            table_id = Parameter("table_id")
            mode = Parameter("materialization_mode", default="dev")
            echo(table_id)
            echo(mode)

        parametros_flow.schedule = Schedule(
            clocks=[
                IntervalClock(
                    timedelta(days=1),
                    start_date=pendulum.datetime(2021, 1, 1, 4, tz=RIO),
                    labels=[DEV],
                    parameter_defaults={"materialization_mod": "prod"},
                ),
            ]
        )
    """,
    "colisao": """
        with Flow("EMD: colisao - Captura", code_owners=["paty"]) as colisao_flow:
            echo(Parameter("table_id", default="a"))

        colisao_flow.schedule = Schedule(
            clocks=[
                IntervalClock(
                    timedelta(days=1),
                    start_date=pendulum.datetime(2021, 1, 1, 4, tz=RIO),
                    labels=[DEV],
                    parameter_defaults={"table_id": "a"},
                ),
                CronClock(
                    "0 4 * * *",
                    start_date=pendulum.datetime(2021, 1, 1, tz=RIO),
                    labels=[DEV],
                    parameter_defaults={"table_id": "b"},
                ),
            ]
        )
    """,
    "inalcancavel": """
        with Flow("EMD: inalcancavel - Captura", code_owners=["paty"]) as perdido_flow:
            echo("x")
    """,
}

GOOD_PROJECT = """
    with Flow(
        "EMD: sistema livre - Captura diaria de exemplo",
        code_owners=["paty", "diego"],
    ) as exemplo_bom_flow:
        table_id = Parameter("table_id")
        mode = Parameter("materialization_mode", default="dev")
        echo(table_id)
        echo(mode)

    exemplo_bom_flow.run_config = LocalRun(labels=[DEV])
    exemplo_bom_flow.schedule = Schedule(
        clocks=[
            IntervalClock(
                timedelta(days=1),
                start_date=pendulum.datetime(2021, 1, 1, 4, tz=RIO),
                labels=[DEV],
                parameter_defaults={"table_id": "a"},
            ),
            CronClock(
                "30 4 * * *",
                start_date=pendulum.datetime(2021, 1, 1, tz=RIO),
                labels=[constants.RJ_ESCRITORIO_AGENT_LABEL.value],
                parameter_defaults={"table_id": "b", "materialization_mode": "prod"},
            ),
            IntervalClock(
                timedelta(days=7),
                start_date=pytz.timezone(RIO).localize(datetime(2021, 1, 1, 5)),
                labels=[DEV],
                parameter_defaults={"table_id": "c"},
            ),
            # Fires with clock 1 every other day, with the same run: no run is lost.
            IntervalClock(
                timedelta(days=2),
                start_date=pendulum.datetime(2021, 1, 1, 4, tz=RIO),
                labels=[DEV],
                parameter_defaults={"table_id": "a"},
            ),
        ]
    )
"""

ORFAO_CONSTANTS = '''
    """Constants of an orgao that pipelines/__init__.py forgets to import."""

    from enum import Enum


    class constants(Enum):
        """Values of rj_orfao."""

        ORGAO_SIGLA = "ORF"
'''

EVERY_RULE = (
    "flow-name",
    "flow-sigla",
    "flow-name-unique",
    "owners",
    "labels",
    "clock-timezone",
    "clock-parameters",
    "clock-collision",
    "layout-files",
    "layout-reachable",
    "import",
)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> CheckRun:
    """`pipelines check` on a copy with one example project per broken convention."""
    root = copy_repository(tmp_path_factory.mktemp("bad"))
    for projeto, body in BAD_PROJECTS.items():
        write_project(
            root,
            projeto,
            {"flows.py": flows_source(body)},
            is_wired=projeto != "inalcancavel",
        )
    write_project(root, "arquivos_faltando", {}, omit=("tasks.py", "utils.py"))
    write_orgao(root, "rj_orfao", ORFAO_CONSTANTS, is_wired=False)
    write_orgao(root, "rj_sem_sigla", '"""No SIGLA here."""\n')
    return run_check(root)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> CheckRun:
    """`pipelines check` on a copy with one project following every convention."""
    root = copy_repository(tmp_path_factory.mktemp("good"))
    write_project(root, "exemplo_bom", {"flows.py": flows_source(GOOD_PROJECT)})
    return run_check(root)


def flows_source(body: str) -> str:
    """An example `flows.py`: the common imports and `echo` task, then `body`."""
    return textwrap.dedent(HEADER).lstrip("\n") + textwrap.dedent(body).lstrip("\n")


def flows_path(run: CheckRun, projeto: str) -> Path:
    """The `flows.py` of an example project of the run's copy."""
    return run.root / PROJECTS / projeto / "flows.py"


def test_check_good_example_passes_with_exit_zero(good: CheckRun) -> None:
    assert good.exit_code == 0, "\n".join(good.lines) + good.stderr
    assert good.lines[-1].startswith("OK: ")
    assert "follow the conventions" in good.lines[-1]


@pytest.mark.parametrize("rule", EVERY_RULE)
def test_check_good_example_has_no_problem_of_rule(good: CheckRun, rule: str) -> None:
    assert good.problems(rule) == []


def test_check_bad_example_exits_non_zero_with_one_line_per_problem(
    bad: CheckRun,
) -> None:
    assert bad.exit_code == 1
    assert "convention problem(s)" in bad.stderr
    assert "Traceback" not in bad.stderr + "\n".join(bad.lines)
    assert all(": [" in line for line in bad.lines), bad.lines


def test_check_flow_name_reports_bad_format(bad: CheckRun) -> None:
    path = flows_path(bad, "nome_ruim")
    line = line_of(path, "with Flow(")
    [problem] = bad.problems_in("flow-name", f"{PROJECTS}/nome_ruim/flows.py")
    assert problem.startswith(f"{PROJECTS}/nome_ruim/flows.py:{line}: [flow-name] ")
    assert "'captura de exemplo'" in problem
    assert "'EMD: nome_ruim - <o que o flow faz>'" in problem


def test_check_flow_sigla_reports_other_orgao_sigla(bad: CheckRun) -> None:
    line = line_of(flows_path(bad, "sigla_errada"), "with Flow(")
    [problem] = bad.problems_in("flow-sigla", f"{PROJECTS}/sigla_errada/flows.py")
    assert f"flows.py:{line}: " in problem
    assert "'SMTR'" in problem and "ORGAO_SIGLA = 'EMD'" in problem


def test_check_flow_sigla_reports_orgao_without_sigla(bad: CheckRun) -> None:
    [problem] = bad.problems_in("flow-sigla", "pipelines/rj_sem_sigla/constants.py")
    assert "declares no SIGLA" in problem and "ORGAO_SIGLA" in problem


def test_check_flow_name_unique_reports_second_flow_with_first_place(
    bad: CheckRun,
) -> None:
    [problem] = bad.problems("flow-name-unique")
    first_line = line_of(flows_path(bad, "duplicado_a"), "with Flow(")
    second_line = line_of(flows_path(bad, "duplicado_b"), "with Flow(")
    assert problem.startswith(f"{PROJECTS}/duplicado_b/flows.py:{second_line}: ")
    assert f"{PROJECTS}/duplicado_a/flows.py:{first_line}" in problem


def test_check_owners_reports_flow_built_with_prefect_flow(bad: CheckRun) -> None:
    line = line_of(flows_path(bad, "prefect_puro"), "with PrefectFlow(")
    [problem] = bad.problems_in("owners", f"{PROJECTS}/prefect_puro/flows.py")
    assert f"flows.py:{line}: " in problem
    assert "from pipelines.utils.decorators import Flow" in problem


def test_check_labels_reports_unknown_run_config_and_clock_labels(
    bad: CheckRun,
) -> None:
    path = flows_path(bad, "rotulo")
    problems = bad.problems_in("labels", f"{PROJECTS}/rotulo/flows.py")
    run_config_line = line_of(path, "rotulo_flow.run_config =")
    clock_line = line_of(path, "IntervalClock(")
    assert any(
        f"flows.py:{run_config_line}: " in item and "'rj-escritorio-dev2'" in item
        for item in problems
    ), problems
    assert any(
        f"flows.py:{clock_line}: " in item
        and "'rj-escritorio-teste'" in item
        and "constants.RJ_ESCRITORIO_DEV_AGENT_LABEL.value" in item
        for item in problems
    ), problems


def test_check_labels_reports_clock_without_labels(bad: CheckRun) -> None:
    problems = bad.problems_in("labels", f"{PROJECTS}/rotulo/flows.py")
    assert len([item for item in problems if "has no labels" in item]) == 1
    assert len(problems) == 3


def test_check_clock_timezone_reports_naive_pytz_and_cron_without_start(
    bad: CheckRun,
) -> None:
    path = flows_path(bad, "fuso")
    problems = bad.problems_in("clock-timezone", f"{PROJECTS}/fuso/flows.py")
    assert len(problems) == 3, problems
    naive, lmt, cron = problems
    assert f"flows.py:{line_of(path, 'IntervalClock(')}: " in naive
    assert "without time zone" in naive and "UTC" in naive
    assert "-03:06" in lmt and "pytz" in lmt
    assert f"flows.py:{line_of(path, 'CronClock(')}: " in cron
    assert "no start_date" in cron and "'0 6 * * *'" in cron


def test_check_clock_parameters_reports_unknown_key_and_missing_required(
    bad: CheckRun,
) -> None:
    problems = bad.problems_in("clock-parameters", f"{PROJECTS}/parametros/flows.py")
    assert len(problems) == 2, problems
    assert any(
        "'materialization_mod'" in item
        and "Did you mean 'materialization_mode'?" in item
        for item in problems
    )
    assert any("'table_id', a required parameter" in item for item in problems)


def test_check_clock_collision_reports_clocks_firing_together(bad: CheckRun) -> None:
    path = flows_path(bad, "colisao")
    [problem] = bad.problems_in("clock-collision", f"{PROJECTS}/colisao/flows.py")
    assert problem.startswith(
        f"{PROJECTS}/colisao/flows.py:{line_of(path, 'CronClock(')}: "
    )
    assert f"#1 (line {line_of(path, 'IntervalClock(')})" in problem
    assert "04:00:00 -03:00" in problem


def test_check_layout_files_reports_missing_files(bad: CheckRun) -> None:
    [problem] = bad.problems("layout-files")
    assert problem.startswith(f"{PROJECTS}/arquivos_faltando: [layout-files] ")
    assert "lacks tasks.py, utils.py" in problem


def test_check_layout_reachable_reports_unwired_flow_and_orgao(bad: CheckRun) -> None:
    line = line_of(flows_path(bad, "inalcancavel"), "with Flow(")
    [flow_problem] = bad.problems_in(
        "layout-reachable", f"{PROJECTS}/inalcancavel/flows.py"
    )
    assert f"flows.py:{line}: " in flow_problem
    assert "from pipelines.rj_escritorio.inalcancavel.flows import *" in flow_problem
    [orgao_problem] = bad.problems_in("layout-reachable", "pipelines/__init__.py")
    assert (
        "'rj_orfao'" in orgao_problem
        and "from pipelines import rj_orfao" in orgao_problem
    )


def test_check_paths_limit_the_report(bad: CheckRun) -> None:
    only = run_check(bad.root, str(bad.root / PROJECTS / "fuso"))
    assert only.exit_code == 1
    assert len(only.lines) == 3
    assert all(line.startswith(f"{PROJECTS}/fuso/") for line in only.lines)


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        ("[]", "has no code owners"),
        ('["fulano"]', "unknown code owner(s) ['fulano']"),
    ],
)
def test_check_owners_import_failure_is_one_line_at_with_flow(
    tmp_path: Path, owners: str, expected: str
) -> None:
    root = copy_repository(tmp_path / "repository")
    body = f"""
        with Flow(
            "EMD: dono - Captura",
            code_owners={owners},
        ) as dono_flow:
            echo("x")
    """
    folder = write_project(root, "dono", {"flows.py": flows_source(body)})
    run = run_check(root)
    line = line_of(folder / "flows.py", "with Flow(")
    assert run.exit_code == 1
    [problem] = run.problems("owners")
    assert problem.startswith(f"{PROJECTS}/dono/flows.py:{line}: [owners] ")
    assert expected in problem
    assert "Traceback" not in run.stderr


def test_check_import_failure_names_file_line_and_error(tmp_path: Path) -> None:
    root = copy_repository(tmp_path / "repository")
    body = """
        with Flow("EMD: quebrado - Captura", code_owners=["paty"]) as quebrado_flow:
            undefined_task("x")
    """
    folder = write_project(root, "quebrado", {"flows.py": flows_source(body)})
    run = run_check(root)
    assert run.exit_code == 1
    [problem] = run.problems("import")
    line = line_of(folder / "flows.py", "undefined_task(")
    assert problem.startswith(f"{PROJECTS}/quebrado/flows.py:{line}: [import] ")
    assert "NameError" in problem and "undefined_task" in problem


def test_check_root_must_be_a_repository(tmp_path: Path) -> None:
    run = run_check(tmp_path)
    assert run.exit_code == 1
    assert "is not a root of the pipelines repository" in run.stderr


def test_check_path_outside_repository_is_refused(
    good: CheckRun, tmp_path: Path
) -> None:
    run = run_check(good.root, str(tmp_path))
    assert run.exit_code == 1
    assert "is outside the repository" in run.stderr
