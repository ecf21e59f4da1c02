"""`pipelines register` and `pipelines run-cloud`: flows into a Prefect project.

`register` is what CI runs on `staging/*` branches and on master: it registers the
flows whose fingerprint changed (`--plan` only prints what it would do).
`run-cloud` registers one flow in the staging project from a laptop and starts a run.
Registration modules are imported inside the commands, so that `pipelines list`
does not pay for them.
"""

import contextlib
import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import typer
from rich.console import Console
from rich.table import Table

from pipelines_cli.errors import CliError
from pipelines_cli.local_run import find_flow, parse_parameters
from pipelines_cli.registry import load_registry

console = Console(highlight=False)
logger = logging.getLogger(__name__)


STATUS_STYLES = {
    "new": "green",
    "changed": "yellow",
    "invalid": "red",
    "unchanged": "dim",
    "gone": "magenta",
    "registered": "green",
    "failed": "red",
}


def register_flows(
    project: str = typer.Option(
        ..., "--project", help="The Prefect project to register into, e.g. 'staging'."
    ),
    plan_only: bool = typer.Option(
        False, "--plan", help="Print what would be registered, and register nothing."
    ),
    no_schedule: bool = typer.Option(
        False,
        "--no-schedule",
        help="Leave the schedules of registered flows inactive (the staging project).",
    ),
    *,
    image_tag: str | None = typer.Option(
        None,
        "--image-tag",
        help="Tag of the image flows run with; default: $PIPELINES_IMAGE_TAG, else the "
        "HEAD commit.",
    ),
    markdown: Path | None = typer.Option(
        None,
        "--markdown",
        help="Also write the plan (with --plan) or the results as Markdown to this file.",
        dir_okay=False,
    ),
    workers: int = typer.Option(
        4, "--workers", min=1, max=16, help="Registrations sent at the same time."
    ),
    against: str | None = typer.Option(
        None,
        "--against",
        help="With --plan: compare with the flows of this git revision (e.g. master) "
        "instead of asking the Prefect server; needs no server nor credentials.",
    ),
) -> None:
    """Register in Prefect the flows whose code changed; skip the others."""
    project = _checked_project(project, schedules_off=no_schedule)
    if against is not None and not plan_only:
        raise CliError(
            f"--against {against!r} only makes a plan: add --plan (registration always "
            "compares with the Prefect project itself)."
        )
    registry = load_registry()
    with _registration_errors():
        built = _build_plan(registry, project, image_tag, against=against)
    if plan_only:
        _show_plan(built.plan, markdown)
    else:
        _apply(
            built,
            activate_schedules=not no_schedule,
            workers=workers,
            markdown=markdown,
        )


def run_cloud(
    flow_name: str = typer.Argument(
        ..., help="The flow's exact name (see 'pipelines list')."
    ),
    label: list[str] = typer.Option(
        [],
        "--label",
        "-l",
        help="Agent label for this run (e.g. rj-escritorio-dev); repeat for more. "
        "Default: the flow's own labels.",
    ),
    parameter: list[str] = typer.Option(
        [], "--parameter", "-p", help="A parameter as key=value; repeat for more."
    ),
    *,
    image_tag: str | None = typer.Option(
        None,
        "--image-tag",
        help="Tag of the image to run; default: $PIPELINES_IMAGE_TAG, else the HEAD "
        "commit (the image CI built when it was pushed to a staging/* branch).",
    ),
) -> None:
    """Register one flow in the staging project and start a run of it there."""
    project = _global_constants().PREFECT_STAGING_PROJECT.value
    registry = load_registry()
    entry = find_flow(registry.by_name(), flow_name)
    parameters = parse_parameters(entry, parameter)
    labels = _checked_labels(label)

    with _registration_errors():
        built = _build_plan(registry, project, image_tag, only=[entry])
        registration = _register_for_run(built)
        run_id = built.api.create_flow_run(
            registration.flow_id, parameters=parameters, labels=labels or None
        )
        url = built.api.flow_run_url(run_id)
    console.print(f"[green]Flow run {run_id} created:[/green] {url}")


def register(app: typer.Typer) -> None:
    """Adds these commands to the app."""
    app.command("register")(register_flows)
    app.command("run-cloud")(run_cloud)


@dataclass(frozen=True)
class _BuiltPlan:
    """A plan with the API and source index it was built with."""

    plan: Any
    api: Any
    index: Any


def _build_plan(
    registry: Any,
    project: str,
    image_tag: str | None,
    only: list[Any] | None = None,
    *,
    against: str | None = None,
) -> _BuiltPlan:
    """Fingerprints the flows, asks the project (or a git revision) what it holds,
    and compares."""
    from pipelines_cli.registration import (
        baseline,
        client,
        deployment,
        fingerprint,
        plan,
    )

    index = fingerprint.SourceIndex.build()
    tag = deployment.resolve_image_tag(image_tag, index.repo_root)
    logger.info("Image tag %r comes from %s.", tag.tag, tag.source)
    image = deployment.image_reference(tag.tag)
    local_flows = plan.prepare_local_flows(only or registry.flows, index, image)

    if against is not None:
        remote = baseline.flows_at_revision(index.repo_root, against, image)
        compared = plan.compare(
            local_flows, remote, project=f"{project} (as of git {against})", image=image
        )
        return _BuiltPlan(compared, None, index)

    api = client.PrefectApi(retry=client.DEFAULT_RETRY_POLICY)
    remote = api.project_flows(api.project_id(project))
    if only is not None:  # one flow: the others of the project are not its business
        remote = {
            entry.name: remote[entry.name] for entry in only if entry.name in remote
        }
    compared = plan.compare(local_flows, remote, project=project, image=image)
    return _BuiltPlan(compared, api, index)


def _show_plan(plan: Any, markdown: Path | None) -> None:
    """Prints the plan (and writes it as Markdown); fails if a flow is invalid."""
    from pipelines_cli.registration.plan import Status, plan_markdown

    console.print(plan.summary())
    table = Table()
    for column in ("status", "flow", "owners", "why"):
        table.add_column(column, overflow="fold")
    for planned in plan.flows:
        table.add_row(
            _styled(planned.status.value),
            planned.name,
            ", ".join(planned.owners) or "-",
            planned.reason,
        )
    console.print(table)
    console.print(f"Image: {plan.image}")
    if markdown is not None:
        _write(markdown, plan_markdown(plan, _owner_handles()))
    invalid = plan.with_status(Status.INVALID)
    if invalid:
        raise CliError(
            f"{len(invalid)} flow(s) cannot be registered: "
            f"{', '.join(repr(item.name) for item in invalid)}; see the plan above."
        )


def _apply(
    built: _BuiltPlan, *, activate_schedules: bool, workers: int, markdown: Path | None
) -> None:
    """Registers what the plan says, prints the results; fails if a flow failed."""
    from pipelines_cli.registration.apply import Outcome, apply_plan
    from pipelines_cli.registration.plan import Status

    plan = built.plan
    console.print(plan.summary())
    schedules = "active" if activate_schedules else "inactive"
    console.print(f"Registering with image {plan.image!r}, schedules {schedules}.")
    results = apply_plan(
        built.api,
        plan,
        activate_schedules=activate_schedules,
        workers=workers,
        on_result=_print_progress,
    )
    _print_results(results, plan.project)
    for planned in plan.with_status(Status.GONE):
        console.print(
            f"[magenta]Gone from the code:[/magenta] {planned.name!r} (version "
            f"{planned.remote.version}) stays registered; archive it in the Prefect UI "
            "if it should stop running."
        )
    if markdown is not None:
        _write(markdown, _results_markdown(results, plan))
    failed = [result.name for result in results if result.outcome is Outcome.FAILED]
    if failed:
        raise CliError(
            f"{len(failed)} of {len(results)} flows failed to register: "
            f"{', '.join(map(repr, failed))}; see the table above."
        )


def _register_for_run(built: _BuiltPlan) -> Any:
    """Registers the one flow of a `run-cloud` plan (if it changed); returns the answer."""
    from pipelines_cli.registration.deployment import uncommitted_files

    plan = built.plan
    [planned] = plan.flows
    local = planned.local
    if local is None or local.flow is None or local.fingerprint is None:
        raise CliError(planned.reason)
    dirty = uncommitted_files(built.index.repo_root, list(local.fingerprint.files))
    if dirty:
        console.print(
            f"[yellow]Warning:[/yellow] {len(dirty)} file(s) this flow runs differ from "
            f"the last commit ({', '.join(dirty[:5])}); the cloud run uses the image "
            f"{plan.image!r}, built from committed code."
        )
    registration = built.api.register(
        local.flow,
        project=plan.project,
        idempotency_key=local.fingerprint.idempotency_key,
        activate_schedule=False,
    )
    what = "unchanged" if planned.status.value == "unchanged" else "registered"
    console.print(
        f"Flow {planned.name!r} {what} in project {plan.project!r}: version "
        f"{registration.version}, image {plan.image!r}."
    )
    return registration


@contextlib.contextmanager
def _registration_errors() -> Iterator[None]:
    """Turns registration errors into one-line CLI errors."""
    from pipelines_cli.registration.exceptions import RegistrationError

    try:
        yield
    except RegistrationError as exc:
        raise CliError(str(exc)) from exc


def _checked_project(project: str, *, schedules_off: bool) -> str:
    name = project.strip()
    if not name:
        raise CliError(
            "--project is empty; give the Prefect project to register into, e.g. "
            "--project staging."
        )
    staging = _global_constants().PREFECT_STAGING_PROJECT.value
    if name == staging and not schedules_off:
        raise CliError(
            f"Registering into the staging project {name!r} with schedules on would "
            "start every staging flow on its schedule; pass --no-schedule."
        )
    return name


def _checked_labels(labels: list[str]) -> list[str]:
    constants = _global_constants()
    known = sorted(
        member.value for member in constants if member.name.endswith("_AGENT_LABEL")
    )
    unknown = [label for label in labels if label not in known]
    if unknown:
        raise CliError(
            f"Unknown agent label(s) {unknown!r}; labels must be declared in "
            f"pipelines/constants.py, currently {known!r}."
        )
    return sorted(set(labels))


def _global_constants() -> Any:
    return importlib.import_module("pipelines.constants").constants


def _owner_handles() -> dict[str, str]:
    owners = importlib.import_module("pipelines.utils.owners").load_owners()
    return {key: owner.github for key, owner in owners.items() if owner.github}


def _styled(value: str) -> str:
    style = STATUS_STYLES.get(value)
    return f"[{style}]{value}[/{style}]" if style else value


def _print_progress(result: Any) -> None:
    if result.outcome.value == "unchanged" and result.attempts == 0:
        return
    attempts = f" after {result.attempts} attempts" if result.attempts > 1 else ""
    version = f" as version {result.version}" if result.version is not None else ""
    console.print(f"{_styled(result.outcome.value)} {result.name!r}{version}{attempts}")


def _print_results(results: list[Any], project: str) -> None:
    table = Table(title=f"Registration in project {project!r}", title_justify="left")
    for column in ("flow", "plan", "result", "version", "attempts", "detail"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(
            result.name,
            result.status.value,
            _styled(result.outcome.value),
            "-" if result.version is None else str(result.version),
            str(result.attempts),
            result.detail,
        )
    console.print(table)
    outcomes = [result.outcome.value for result in results]
    console.print(
        f"{outcomes.count('registered')} registered, {outcomes.count('unchanged')} "
        f"unchanged, {outcomes.count('failed')} failed."
    )


def _results_markdown(results: list[Any], plan: Any) -> str:
    lines = [
        f"### Registration in Prefect project `{plan.project}`",
        "",
        f"Image `{plan.image}`.",
        "",
        "| flow | result | version | attempts | detail |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        if result.outcome.value == "unchanged" and result.attempts == 0:
            continue
        detail = result.detail.replace("|", "\\|")
        lines.append(
            f"| {result.name} | {result.outcome.value} | {result.version or '-'} "
            f"| {result.attempts} | {detail} |"
        )
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(
            f"Cannot write {str(path)!r}: {exc.strerror}; check --markdown."
        ) from exc
