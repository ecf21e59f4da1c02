"""`pipelines list` and `pipelines run`, through the CLI's test runner."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines_cli.app import app

GEOLOCATOR = "EMD: escritorio - Geolocalizacao de chamados 1746"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()


def test_list_shows_name_module_owners_labels_and_next_run(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if GEOLOCATOR in line)
    assert "pipelines.rj_escritorio.geolocator.flows" in line
    assert "paty" in line
    assert "rj-escritorio-dev" in line
    assert " 04:00 " in line


def test_run_unknown_flow_lists_close_matches(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["run", "EMD: escritorio - Geolocalizacao de chamado 1746"]
    )
    assert result.exit_code == 1
    assert (
        "No flow is named 'EMD: escritorio - Geolocalizacao de chamado 1746'"
        in result.output
    )
    assert f"Did you mean {GEOLOCATOR!r}" in result.output


def test_run_unknown_parameter_lists_close_matches(runner: CliRunner) -> None:
    result = runner.invoke(app, ["run", GEOLOCATOR, "-p", "materialization_mod=prod"])
    assert result.exit_code == 1
    assert "has no parameter 'materialization_mod'" in result.output
    assert "Did you mean 'materialization_mode'" in result.output


def test_run_parameter_without_equals_sign_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(app, ["run", GEOLOCATOR, "-p", "dump_mode"])
    assert result.exit_code == 1
    assert "'dump_mode' is not of the form key=value" in result.output


def test_run_succeeds_and_prints_where_the_data_landed(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["run", GEOLOCATOR, "-p", "materialize_after_dump=false"]
    )
    assert result.exit_code == 0, result.output
    assert "adm_central_atendimento_1746_staging.chamado: 1,903 rows" in result.output
    assert "succeeded" in result.output


def test_run_exits_non_zero_when_the_flow_run_fails(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            GEOLOCATOR,
            "-p",
            "url=/nao/existe.csv",
            "-p",
            "materialize_after_dump=false",
        ],
    )
    assert result.exit_code == 1
    assert (
        f"Flow run of {GEOLOCATOR!r} failed; task 'download_data_to_file' failed:"
        in (result.output)
    )
    assert "/nao/existe.csv" in result.output


def test_run_with_unknown_materialization_mode_fails_before_writing(
    runner: CliRunner, isolated_datalake: Path
) -> None:
    result = runner.invoke(app, ["run", GEOLOCATOR, "-p", "materialization_mode=prd"])
    assert result.exit_code == 1
    assert "task 'check_materialization_mode' failed" in result.output
    assert "materialization_mode='prd' is not supported" in result.output
    assert not (isolated_datalake / "staging").exists()
