"""`pipelines schedule` through the CLI's test runner, and the schedule preview logic.

The command runs on the repository's real registry (the tutorial's flow runs every
day at 04:00 in Rio); the preview functions run on real Prefect schedules built here.
"""

import struct
from datetime import timedelta
from pathlib import Path

import pendulum
import pytest
from prefect import Flow as PrefectFlow
from prefect.schedules import Schedule, filters
from prefect.schedules.clocks import CronClock, IntervalClock
from typer.testing import CliRunner, Result

from pipelines.flows import RegisteredFlow
from pipelines_cli.app import app
from pipelines_cli.errors import CliError
from pipelines_cli.schedule_commands import _show_next_runs
from pipelines_cli.schedule_preview import (
    count_runs_per_hour,
    describe_clock,
    find_collisions,
    format_weekly_load,
    next_runs,
)

TUTORIAL_FLOW = "EMD: escritorio - Geolocalizacao de chamados 1746"
RIO = "America/Sao_Paulo"
MONDAY = pendulum.datetime(2026, 1, 5, 0, 0, tz=RIO)


def invoke(*arguments: str) -> Result:
    """Runs `pipelines ARGUMENTS...` through the test runner, 220 columns wide."""
    return CliRunner().invoke(app, list(arguments), env={"COLUMNS": "220"})


def daily(hour: int, labels: list[str], **parameters: object) -> IntervalClock:
    """A daily clock at `hour` in Rio with these labels and parameters."""
    return IntervalClock(
        timedelta(days=1),
        start_date=pendulum.datetime(2021, 1, 1, hour, tz=RIO),
        labels=labels,
        parameter_defaults=dict(parameters),
    )


def test_schedule_flow_prints_next_runs_in_rio_time_with_clock_labels_parameters() -> (
    None
):
    result = invoke("schedule", TUTORIAL_FLOW, "-n", "3")

    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "#1 every 1 day" in line]
    assert len(rows) == 3
    for row in rows:
        assert " 04:00 " in row
        assert "rj-escritorio-dev" in row
        assert '"materialization_mode": "dev"' in row
    assert "start (America/Sao_Paulo)" in result.stdout


def test_schedule_unknown_flow_suggests_close_names() -> None:
    result = invoke("schedule", "EMD: escritorio - Geolocalizacao")
    assert result.exit_code == 1
    assert "No flow is named 'EMD: escritorio - Geolocalizacao'" in result.stderr
    assert TUTORIAL_FLOW in result.stderr


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ((), "Pass either a flow name"),
        ((TUTORIAL_FLOW, "--all"), "Pass either a flow name"),
        ((TUTORIAL_FLOW, "--chart", "week.png"), "use it with --all"),
        (("--all", "--chart", "week.svg"), "must name a .png file"),
        (("--all", "--chart", "missing-folder/week.png"), "does not exist"),
    ],
)
def test_schedule_bad_arguments_are_refused_in_one_line(
    arguments: tuple[str, ...], expected: str
) -> None:
    result = invoke("schedule", *arguments)
    assert result.exit_code == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_schedule_count_below_one_is_refused() -> None:
    result = invoke("schedule", TUTORIAL_FLOW, "-n", "0")
    assert result.exit_code == 2
    assert "0 is not in the range" in result.stderr


def test_schedule_flow_without_schedule_is_an_error() -> None:
    flow = PrefectFlow("EMD: exemplo - Sem agenda")
    entry = RegisteredFlow(
        flow.name, flow, "pipelines.rj_escritorio.flows", "flow", "rj_escritorio"
    )
    with pytest.raises(
        CliError, match="has no schedule; assign one in pipelines.rj_escritorio"
    ):
        _show_next_runs(entry, 3, RIO)


def test_schedule_all_writes_readable_png_and_prints_week_grid(tmp_path: Path) -> None:
    chart = tmp_path / "week.png"

    result = invoke("schedule", "--all", "--chart", str(chart))

    assert result.exit_code == 0, result.output
    assert f"written to {chart}" in result.stdout
    lines = result.stdout.splitlines()
    # The tutorial's flow runs every day at 04:00 on the dev agent; other flows may
    # add runs to that label, never remove these.
    start = next(
        i for i, line in enumerate(lines) if line.startswith("rj-escritorio-dev: ")
    )
    assert lines[start + 1].split()[:3] == ["00", "01", "02"]
    grid = [line.split() for line in lines[start + 2 : start + 9]]
    assert [row[0] for row in grid] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert all(row[1 + 4] != "." and int(row[1 + 4]) >= 1 for row in grid)
    header = chart.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert width > 800 and height > 200
    from matplotlib import image

    pixels = image.imread(chart)
    assert pixels.shape[:2] == (height, width)


def test_next_runs_merge_clocks_and_keep_each_clock() -> None:
    schedule = Schedule(
        clocks=[
            daily(4, ["rj-escritorio-dev"], mode="dev"),
            CronClock(
                "30 4 * * *",
                start_date=pendulum.datetime(2021, 1, 1, tz=RIO),
                labels=["rj-escritorio"],
                parameter_defaults={"mode": "prod"},
            ),
        ]
    )

    runs = next_runs(schedule, 4, timezone=RIO, after=MONDAY)

    assert [run.start.format("ddd HH:mm") for run in runs] == [
        "Mon 04:00",
        "Mon 04:30",
        "Tue 04:00",
        "Tue 04:30",
    ]
    assert [run.clock_index for run in runs] == [1, 2, 1, 2]
    assert runs[1].labels == ("rj-escritorio",) and runs[1].parameters == {
        "mode": "prod"
    }
    assert runs[0].clock_description == "every 1 day"
    assert runs[1].clock_description == "cron '30 4 * * *'"


def test_next_runs_apply_schedule_filters_and_default_labels() -> None:
    clock = IntervalClock(
        timedelta(days=1), start_date=pendulum.datetime(2021, 1, 1, 4, tz=RIO)
    )
    schedule = Schedule(clocks=[clock], filters=[filters.is_weekday])

    runs = next_runs(
        schedule, 6, timezone=RIO, after=MONDAY, default_labels=["rj-escritorio"]
    )

    assert [run.start.format("ddd") for run in runs] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Mon",
    ]
    assert all(run.labels == ("rj-escritorio",) for run in runs)


def test_find_collisions_reports_different_runs_at_one_instant_only() -> None:
    colliding = Schedule(
        clocks=[daily(4, ["a"], table="x"), daily(4, ["a"], table="y")]
    )
    same_run = Schedule(clocks=[daily(4, ["a"], table="x"), daily(4, ["a"], table="x")])
    apart = Schedule(clocks=[daily(4, ["a"], table="x"), daily(5, ["a"], table="y")])

    [collision] = find_collisions(colliding, after=MONDAY)

    assert (collision.first, collision.second) == (1, 2)
    assert collision.instant.in_tz(RIO).format("YYYY-MM-DD HH:mm") == "2026-01-05 04:00"
    assert find_collisions(same_run, after=MONDAY) == []
    assert find_collisions(apart, after=MONDAY) == []


def test_count_runs_per_hour_counts_each_label_set_per_weekday_and_hour() -> None:
    every_hour = Schedule(
        clocks=[
            CronClock(
                "0 * * * *",
                start_date=pendulum.datetime(2021, 1, 1, tz=RIO),
                labels=["rj-smtr"],
            )
        ]
    )
    two_at_four = Schedule(
        clocks=[daily(4, ["rj-escritorio-dev"]), daily(4, [], table="b")]
    )

    load = count_runs_per_hour(
        [(every_hour, []), (two_at_four, ["rj-escritorio"])], timezone=RIO, start=MONDAY
    )

    assert load.flows_counted == 2
    assert sorted(load.counts) == ["rj-escritorio", "rj-escritorio-dev", "rj-smtr"]
    assert load.total("rj-smtr") == 7 * 24
    assert load.counts["rj-escritorio-dev"][0][4] == 1
    assert load.counts["rj-escritorio"][6][4] == 1
    assert load.peak("rj-escritorio-dev") == (0, 4, 1)
    text = format_weekly_load(load)
    assert (
        "rj-smtr: 168 runs in the week from 2026-01-05 00:00 (America/Sao_Paulo)"
        in text
    )


def test_describe_clock_names_interval_and_cron() -> None:
    assert describe_clock(IntervalClock(timedelta(minutes=15))) == "every 15 minutes"
    assert describe_clock(IntervalClock(timedelta(hours=1))) == "every 1 hour"
    assert describe_clock(CronClock("0 4 * * 1")) == "cron '0 4 * * 1'"
