"""Gathers a repository's facts by importing its flows; runs in a child process.

``python -m pipelines_cli.checks.collect ROOT OUTPUT`` with ROOT first on
`PYTHONPATH` imports ROOT's `pipelines` package through its registry and writes
`RepositoryFacts` as JSON to OUTPUT. A fresh process imports exactly that copy of the
flows, and lets this module watch every schedule clock being built: Prefect turns a
`start_date` into a pendulum date at once, so whether it was naive or carried a pytz
zone can only be seen in the arguments, together with the line that built the clock.
"""

import importlib
import sys
from datetime import datetime
from functools import wraps
from pathlib import Path
from types import FrameType
from typing import Any, Callable

import prefect
import pytz
from prefect.schedules import clocks as prefect_clocks

from pipelines_cli.checks.exceptions import CollectorError
from pipelines_cli.checks.facts import (
    ClockFacts,
    CollisionFacts,
    FlowFacts,
    OrgaoFacts,
    ParameterFacts,
    RepositoryFacts,
)
from pipelines_cli.checks.import_errors import describe_import_failure
from pipelines_cli.checks.sources import (
    find_attribute_assignment_line,
    find_binding_line,
)
from pipelines_cli.schedule_preview import describe_clock, find_collisions

# Attributes the recorder sets on each clock built while the flows import.
ORIGIN_ATTRIBUTE = "_pipelines_check_origin"
RAW_START_ATTRIBUTE = "_pipelines_check_raw_start_date"

# Exit status of the collector when it cannot do its job at all.
EXIT_COLLECTOR_ERROR = 2

PREFECT_DIR = Path(prefect.__file__).resolve().parent


def gather_facts(root: Path) -> RepositoryFacts:
    """Imports the flows of the repository at `root` and describes them.

    Must run in a process that has not imported `pipelines` yet, with `root` first
    on `sys.path`.

    Args:
        root: the repository root (the folder holding `pipelines/`).

    Returns:
        The facts; `import_failure` is set, and `flows` empty, when the flows do not
        import.

    Raises:
        CollectorError: `pipelines` was already imported, or comes from elsewhere.
    """
    root = root.resolve()
    if "pipelines" in sys.modules:
        raise CollectorError("pipelines was imported before the clock recorder.")
    _record_clocks(root)
    facts = RepositoryFacts(root=str(root))
    try:
        package = importlib.import_module("pipelines")
        package_dir = Path(package.__file__).resolve().parent
        if package_dir != root / "pipelines":
            raise CollectorError(
                f"Imported pipelines from {package_dir}, not from {root / 'pipelines'}: "
                f"put {root} first on PYTHONPATH."
            )
        flows_module = importlib.import_module("pipelines.flows")
        registry = flows_module.discover_flows(strict=False)
    except CollectorError:
        raise
    except Exception as exc:  # pylint: disable=broad-exception-caught  # user code
        facts.import_failure = describe_import_failure(exc, root)
        return facts

    global_constants = importlib.import_module("pipelines.constants").constants
    facts.agent_labels = {
        member.value: name
        for name, member in global_constants.__members__.items()
        if name.endswith("_AGENT_LABEL")
    }
    timezone = global_constants.DEFAULT_TIMEZONE.value
    facts.orgaos = [
        OrgaoFacts(orgao, _read_sigla(orgao)) for orgao in flows_module.list_orgaos()
    ]
    seen: set[int] = set()
    for entry in registry.flows:
        if id(entry.flow) in seen:
            continue
        seen.add(id(entry.flow))
        facts.flows.append(_describe_flow(entry, root, timezone))
    return facts


def _describe_flow(entry: Any, root: Path, timezone: str) -> FlowFacts:
    flow = entry.flow
    path = Path(sys.modules[entry.module].__file__).resolve()
    orgao_package = sys.modules[f"pipelines.{entry.orgao}"]
    reachable = {id(value) for value in vars(orgao_package).values()}
    run_config = flow.run_config
    schedule = flow.schedule
    clocks = list(getattr(schedule, "clocks", None) or [])
    collisions = find_collisions(schedule) if len(clocks) > 1 else []
    return FlowFacts(
        name=flow.name,
        module=entry.module,
        attribute=entry.attribute,
        orgao=entry.orgao,
        path=_relative(path, root),
        line=find_binding_line(path, entry.attribute),
        is_reachable=id(flow) in reachable,
        has_owners_attribute=hasattr(flow, "code_owners"),
        code_owners=list(getattr(flow, "code_owners", None) or []),
        run_config_labels=(
            None
            if run_config is None
            else sorted(getattr(run_config, "labels", None) or [])
        ),
        run_config_line=find_attribute_assignment_line(
            path, entry.attribute, "run_config"
        ),
        parameters=sorted(
            (
                ParameterFacts(item.name, bool(item.required))
                for item in flow.parameters()
            ),
            key=lambda item: item.name,
        ),
        clocks=[_describe_clock(index, clock) for index, clock in enumerate(clocks, 1)],
        collisions=[
            CollisionFacts(
                collision.instant.in_tz(timezone).format("YYYY-MM-DD HH:mm:ss Z"),
                collision.first,
                collision.second,
            )
            for collision in collisions
        ],
    )


def _describe_clock(index: int, clock: prefect_clocks.Clock) -> ClockFacts:
    path, line = getattr(clock, ORIGIN_ATTRIBUTE, (None, None))
    raw = getattr(clock, RAW_START_ATTRIBUTE, clock.start_date)
    issue, offset = _classify_start_date(clock, raw)
    return ClockFacts(
        index=index,
        kind=type(clock).__name__,
        description=describe_clock(clock),
        path=path,
        line=line,
        labels=sorted(clock.labels or []),
        parameter_keys=sorted(str(key) for key in clock.parameter_defaults),
        start_date=raw.isoformat() if isinstance(raw, datetime) else None,
        timezone_issue=issue,
        utc_offset=offset,
    )


def _classify_start_date(
    clock: prefect_clocks.Clock, raw: Any
) -> tuple[str | None, str | None]:
    """Whether a clock's start date pins it to a real time zone, and its offset."""
    if raw is None:
        is_dated = isinstance(
            clock, (prefect_clocks.CronClock, prefect_clocks.IntervalClock)
        )
        return ("missing" if is_dated else None), None
    if not isinstance(raw, datetime):
        return None, None
    offset = raw.utcoffset()
    if raw.tzinfo is None or offset is None:
        return "naive", None
    text = _format_offset(offset.total_seconds())
    zone = getattr(raw.tzinfo, "zone", None)
    if zone and hasattr(raw.tzinfo, "localize"):
        # A pytz zone passed as tzinfo keeps the zone's first (LMT) offset.
        expected = pytz.timezone(zone).localize(raw.replace(tzinfo=None)).utcoffset()
        if expected != offset:
            return "pytz-lmt", text
    return None, text


def _record_clocks(root: Path) -> None:
    """Wraps `Clock.__init__` so that each clock keeps its raw start date and origin."""
    original: Callable[..., None] = prefect_clocks.Clock.__init__
    if getattr(original, "is_recording", False):
        return
    package_dir = root / "pipelines"

    @wraps(original)
    def recording_init(self: prefect_clocks.Clock, *args: Any, **kwargs: Any) -> None:
        raw = kwargs.get("start_date", args[0] if args else None)
        setattr(self, RAW_START_ATTRIBUTE, raw)
        caller = sys._getframe(1)  # pylint: disable=protected-access  # the call site
        setattr(self, ORIGIN_ATTRIBUTE, _origin(caller, package_dir, root))
        original(self, *args, **kwargs)

    recording_init.is_recording = True  # type: ignore[attr-defined]
    prefect_clocks.Clock.__init__ = recording_init  # type: ignore[method-assign]


def _origin(
    frame: FrameType | None, package_dir: Path, root: Path
) -> tuple[str | None, int | None]:
    """The file and line that built a clock: the innermost frame in an orgao's folder,
    else the innermost one outside Prefect."""
    outside_prefect = []
    while frame is not None:
        path = Path(frame.f_code.co_filename).resolve()
        if not path.is_relative_to(PREFECT_DIR) and path != Path(__file__).resolve():
            outside_prefect.append((path, frame.f_lineno))
        frame = frame.f_back
    for path, line in outside_prefect:
        in_orgao = path.is_relative_to(package_dir) and path.parent != package_dir
        if in_orgao and not path.is_relative_to(package_dir / "utils"):
            return _relative(path, root), line
    if outside_prefect:
        path, line = outside_prefect[0]
        return _relative(path, root), line
    return None, None


def _read_sigla(orgao: str) -> str | None:
    try:
        module = importlib.import_module(f"pipelines.{orgao}.constants")
        member = getattr(getattr(module, "constants", None), "ORGAO_SIGLA", None)
    except Exception:  # pylint: disable=broad-exception-caught  # reported as no SIGLA
        return None
    value = getattr(member, "value", None)
    return value if isinstance(value, str) else None


def _format_offset(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = int(abs(seconds)) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def main(argv: list[str]) -> int:
    """Command-line entry: `collect ROOT OUTPUT`; exit status 0, or 2 on misuse."""
    if len(argv) != 3:
        print(
            "usage: python -m pipelines_cli.checks.collect ROOT OUTPUT", file=sys.stderr
        )
        return EXIT_COLLECTOR_ERROR
    try:
        facts = gather_facts(Path(argv[1]))
    except CollectorError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_COLLECTOR_ERROR
    Path(argv[2]).write_text(facts.to_json(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
