"""`pipelines list` and `pipelines run`: see every flow, run one on this machine."""

import os
from pathlib import Path

import pendulum
import typer
from rich.console import Console
from rich.table import Table

from pipelines.flows import RegisteredFlow
from pipelines.utils.reports import DataReport
from pipelines_cli.errors import CliError
from pipelines_cli.local_run import find_flow, parse_parameters, run_flow_locally
from pipelines_cli.registry import load_registry


def _console() -> Console:
    """stdout console, made per command so that COLUMNS set by a caller applies.

    Output that is not a terminal (a pipe, a file) gets wide lines instead of rich's
    80 columns, so flow names stay whole for grep and copy-paste.
    """
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=250)
    return console


def list_flows() -> None:
    """List every flow: name, module, owners, labels and next scheduled run."""
    registry = load_registry()
    table = Table(title=f"{len(registry.flows)} flows", show_lines=False)
    for column in (
        "name",
        "module",
        "owners",
        "labels",
        "next run (America/Sao_Paulo)",
    ):
        table.add_column(column, overflow="fold")
    for entry in registry.flows:
        table.add_row(
            entry.name,
            entry.module,
            ", ".join(entry.code_owners),
            ", ".join(sorted(_labels(entry))),
            _next_run(entry),
        )
    _console().print(table)


def run(
    flow_name: str = typer.Argument(
        ..., help="The flow's exact name (see 'pipelines list')."
    ),
    parameter: list[str] = typer.Option(
        [], "--parameter", "-p", help="A parameter as key=value; repeat for more."
    ),
) -> None:
    """Run a flow now on this machine; exit status 0 only if the run succeeded."""
    registry = load_registry()
    entry = find_flow(registry.by_name(), flow_name)
    parameters = parse_parameters(entry, parameter)
    result = run_flow_locally(entry, parameters)

    console = _console()
    if result.reports:
        console.print("\n[bold]Where the data landed[/bold]")
        for report in result.reports:
            console.print(_describe_report(report), soft_wrap=True)
    if not result.is_successful:
        from pipelines.utils.notifications import find_failed_task

        failed = find_failed_task(entry.flow, result.state)
        reason = (
            f"task {failed[0]!r} failed: {failed[1]}"
            if failed
            else result.state.message
        )
        raise CliError(f"Flow run of {entry.name!r} failed; {reason}")
    console.print(f"[green]Flow run of {entry.name!r} succeeded.[/green]")


def register(app: typer.Typer) -> None:
    """Adds these commands to the app."""
    app.command("list")(list_flows)
    app.command("run")(run)


def _describe_report(report: DataReport) -> str:
    rows = f"{report.rows:,} rows" if report.rows is not None else "? rows"
    details = ", ".join(f"{key}={value}" for key, value in report.details.items())
    return (
        f"  {report.step:<16} {report.table}: [bold]{rows}[/bold]\n"
        f"  {'':<16} {_relative(report.location)}"
        + (f" ({details})" if details else "")
    )


def _relative(location: str) -> str:
    try:
        return str(Path(location).relative_to(Path.cwd()))
    except ValueError:
        return location


def _labels(entry: RegisteredFlow) -> set[str]:
    labels = set(getattr(entry.flow.run_config, "labels", None) or [])
    schedule = entry.flow.schedule
    for clock in getattr(schedule, "clocks", None) or []:
        labels.update(clock.labels or [])
    return labels


def _next_run(entry: RegisteredFlow) -> str:
    schedule = entry.flow.schedule
    if schedule is None:
        return "-"
    upcoming = schedule.next(1)
    if not upcoming:
        return "-"
    return (
        pendulum.instance(upcoming[0])
        .in_tz("America/Sao_Paulo")
        .format("YYYY-MM-DD HH:mm")
    )
