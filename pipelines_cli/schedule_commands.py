"""`pipelines schedule`: a flow's next runs, or every flow's runs per hour of the week."""

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from pipelines_cli.errors import CliError
from pipelines_cli.local_run import find_flow
from pipelines_cli.registry import load_registry
from pipelines_cli.schedule_preview import (
    count_runs_per_hour,
    draw_weekly_load,
    format_weekly_load,
    next_runs,
)

if TYPE_CHECKING:
    from pipelines.flows import RegisteredFlow


def schedule(
    flow_name: str | None = typer.Argument(
        None, help="The flow's exact name (see 'pipelines list').", show_default=False
    ),
    count: int = typer.Option(
        10, "--count", "-n", min=1, max=1000, help="How many runs."
    ),
    all_flows: bool = typer.Option(
        False,
        "--all",
        help="Count every flow's runs per hour of the week, per agent label.",
    ),
    chart: Path | None = typer.Option(
        None,
        "--chart",
        dir_okay=False,
        help="With --all: also draw the counts as a PNG file.",
    ),
) -> None:
    """Show a flow's next runs with each clock's labels and parameters, or (--all)
    how many runs start in each hour of the week, per agent label."""
    if all_flows == (flow_name is not None):
        raise CliError(
            "Pass either a flow name (its next runs) or --all (every flow per hour of "
            "the week), not both and not neither; e.g. pipelines schedule --all."
        )
    if chart is not None:
        _validate_chart_path(chart, all_flows)

    registry = load_registry()
    # NOTE: imported after the registry, so that an orgao's import error is reported
    # by load_registry in one line.
    from pipelines.constants import constants

    timezone = constants.DEFAULT_TIMEZONE.value
    if flow_name is not None:
        _show_next_runs(find_flow(registry.by_name(), flow_name), count, timezone)
        return

    scheduled = [
        (entry.flow.schedule, _run_config_labels(entry))
        for entry in registry.flows
        if entry.flow.schedule is not None
    ]
    load = count_runs_per_hour(scheduled, timezone=timezone)
    typer.echo(format_weekly_load(load))
    if chart is not None:
        draw_weekly_load(load, chart)
        typer.echo(
            f"Chart of {load.flows_counted} scheduled flow(s) written to {chart}"
        )


def register(app: typer.Typer) -> None:
    """Adds `schedule` to the app."""
    app.command("schedule")(schedule)


def _show_next_runs(entry: "RegisteredFlow", count: int, timezone: str) -> None:
    flow = entry.flow
    if flow.schedule is None:
        raise CliError(
            f"Flow {flow.name!r} has no schedule; assign one in {entry.module} "
            "(flow.schedule = ..., from its schedules.py) to see its runs."
        )
    runs = next_runs(
        flow.schedule,
        count,
        timezone=timezone,
        default_labels=_run_config_labels(entry),
    )
    if not runs:
        raise CliError(f"Flow {flow.name!r} has no future runs: every clock has ended.")
    # NOTE: a console per call, so that it takes the terminal width of this run.
    console = Console(highlight=False)
    table = Table(title=f"Next {len(runs)} run(s) of {flow.name!r}")
    table.add_column(f"start ({timezone})", no_wrap=True)
    for column in ("clock", "labels", "parameters"):
        table.add_column(column, overflow="fold")
    for run in runs:
        table.add_row(
            run.start.format("ddd YYYY-MM-DD HH:mm"),
            f"#{run.clock_index} {run.clock_description}",
            ", ".join(run.labels) or "(none)",
            json.dumps(run.parameters, ensure_ascii=False, default=str, sort_keys=True),
        )
    console.print(table)
    if len(runs) < count:
        console.print(f"Only {len(runs)} run(s): the clocks end before {count}.")


def _run_config_labels(entry: "RegisteredFlow") -> list[str]:
    run_config = entry.flow.run_config
    return sorted(getattr(run_config, "labels", None) or [])


def _validate_chart_path(chart: Path, all_flows: bool) -> None:
    if not all_flows:
        raise CliError("--chart draws the week of every flow: use it with --all.")
    if chart.suffix.lower() != ".png":
        raise CliError(
            f"--chart {str(chart)!r} must name a .png file, e.g. schedules.png."
        )
    if not chart.parent.resolve().is_dir():
        raise CliError(
            f"--chart {str(chart)!r}: folder {str(chart.parent)!r} does not exist; "
            "create it or write the chart elsewhere."
        )
