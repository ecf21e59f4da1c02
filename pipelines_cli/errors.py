"""How the command line reports expected failures: one line on stderr, exit 1."""

import traceback
from typing import IO, Any

import click
from rich.console import Console


class CliError(click.ClickException):
    """An expected failure of a command: its message is the whole report.

    Raised from any command, it prints `Error: <message>` on stderr and exits 1
    (also under Typer's test runner); with `pipelines --debug` the traceback of the
    underlying cause is printed first.
    """

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        console = Console(
            file=file, stderr=file is None, highlight=False, soft_wrap=True
        )
        context = click.get_current_context(silent=True)
        is_debug = bool(context and (context.find_root().obj or {}).get("debug"))
        if is_debug and self.__cause__ is not None:
            console.print("".join(traceback.format_exception(self.__cause__)))
        console.print(f"[red]Error:[/red] {self.message}")
