"""The `pipelines` command: one Typer app, one module per group of commands.

Expected failures raise `CliError`: one red line on stderr and exit status 1;
`pipelines --debug ...` shows the traceback as well.
"""

import logging

import click
import typer

from pipelines_cli import check_commands
from pipelines_cli import deploy_commands
from pipelines_cli import flows_commands
from pipelines_cli import new_commands
from pipelines_cli import schedule_commands
from pipelines_cli import vault_commands

app = typer.Typer(
    name="pipelines",
    help="Scaffold, list, run, check, schedule and register the office's flows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click error output: one "Error: ..." line on stderr, not a rich panel
    rich_markup_mode=None,
)


@app.callback()
def configure(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
) -> None:
    """Options common to every command."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    cli_logger = logging.getLogger("pipelines_cli")
    cli_logger.addHandler(handler)
    cli_logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    click.get_current_context().obj = {"debug": debug}


flows_commands.register(app)
deploy_commands.register(app)
vault_commands.register(app)
check_commands.register(app)
new_commands.register(app)
schedule_commands.register(app)
