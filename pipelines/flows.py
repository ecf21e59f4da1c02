"""The registry of every flow in the repository, walked by tooling and registration.

`discover_flows()` imports each orgao, finds every `flows.py` module below it, and
returns one entry per flow. Two flows with one name, or a flow that its orgao's
`__init__.py` does not import, are reported with both places, never shadowed.
Tooling reaches flows only through this module.
"""

import importlib
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from prefect import Flow as PrefectFlow

PACKAGE_ROOT = Path(__file__).resolve().parent

# Sub-packages of `pipelines` that are not orgaos.
NON_ORGAO_PACKAGES = frozenset({"utils"})


class FlowRegistryError(Exception):
    """The repository's flows cannot be listed without ambiguity."""

    def __init__(self, problems: list["RegistryProblem"]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class RegistryProblem:
    """One thing wrong with the set of flows, located in a file."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class RegisteredFlow:
    """A flow of the repository and where it is defined."""

    name: str
    flow: PrefectFlow = field(compare=False, repr=False)
    module: str
    attribute: str
    orgao: str

    @property
    def path(self) -> Path:
        """The source file that defines the flow."""
        return Path(sys.modules[self.module].__file__)

    @property
    def code_owners(self) -> list[str]:
        """The flow's owners (empty for a plain Prefect flow)."""
        return list(getattr(self.flow, "code_owners", []) or [])


@dataclass
class FlowRegistry:
    """Every flow found, plus what is wrong with the set, if anything."""

    flows: list[RegisteredFlow]
    problems: list[RegistryProblem]

    def by_name(self) -> dict[str, RegisteredFlow]:
        """The flows keyed by name."""
        return {entry.name: entry for entry in self.flows}

    def raise_for_problems(self) -> None:
        """Raises `FlowRegistryError` when the set of flows is ambiguous."""
        if self.problems:
            raise FlowRegistryError(self.problems)


def list_orgaos(package: str = "pipelines") -> list[str]:
    """Names of the orgao packages of `package`, sorted."""
    root = Path(importlib.import_module(package).__file__).parent
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(root)])
        if info.ispkg and info.name not in NON_ORGAO_PACKAGES
    )


def discover_flows(strict: bool = True, package: str = "pipelines") -> FlowRegistry:
    """Imports every orgao and lists its flows.

    Args:
        strict: raise at once if the set of flows has problems; with False they are
            returned in `FlowRegistry.problems` (for `pipelines check`).
        package: the top package holding the orgaos; another one only in tests.

    Returns:
        The registry: flows sorted by name, and problems found.

    Raises:
        FlowRegistryError: two flows share a name, or a flow is not imported by its
            orgao's `__init__.py` (only when `strict`).
    """
    flows: list[RegisteredFlow] = []
    problems: list[RegistryProblem] = []
    top = importlib.import_module(package)
    # NOTE: read before the loop below imports the orgaos itself.
    imported_by_top = {
        name for name, value in vars(top).items() if isinstance(value, ModuleType)
    }
    for orgao in list_orgaos(package):
        if orgao not in imported_by_top:
            problems.append(
                RegistryProblem(
                    _relative(top.__file__),
                    f"orgao {orgao!r} is not imported here; add "
                    f"'from {package} import {orgao}' so its flows are importable.",
                )
            )
        orgao_package = importlib.import_module(f"{package}.{orgao}")
        reachable = {id(value) for value in vars(orgao_package).values()}
        for module in _flow_modules(orgao_package):
            for attribute, flow in _flows_defined_in(module):
                flows.append(
                    RegisteredFlow(flow.name, flow, module.__name__, attribute, orgao)
                )
                if id(flow) not in reachable:
                    problems.append(
                        RegistryProblem(
                            _relative(module.__file__),
                            f"flow {flow.name!r} ({attribute}) is not imported by "
                            f"{_relative(orgao_package.__file__)}; add "
                            f"'from {module.__name__} import {attribute}' there.",
                        )
                    )
    problems.extend(_duplicate_names(flows))
    registry = FlowRegistry(sorted(flows, key=lambda entry: entry.name), problems)
    if strict:
        registry.raise_for_problems()
    return registry


def _flow_modules(orgao_package: ModuleType) -> list[ModuleType]:
    """Imports every `flows.py` of an orgao: its own and its projects'."""
    orgao_dir = Path(orgao_package.__file__).parent
    modules = []
    for path in sorted(orgao_dir.rglob("flows.py")):
        parts = path.relative_to(orgao_dir).with_suffix("").parts
        modules.append(
            importlib.import_module(".".join((orgao_package.__name__, *parts)))
        )
    return modules


def _flows_defined_in(module: ModuleType) -> list[tuple[str, PrefectFlow]]:
    """Flows a module defines or copies, leaving out those it imports as they are."""
    found = []
    for attribute, value in vars(module).items():
        if not isinstance(value, PrefectFlow):
            continue
        origin = sys.modules.get(getattr(value, "defined_in", None) or module.__name__)
        is_imported = origin is not module and any(
            item is value for item in vars(origin or module).values()
        )
        if not is_imported:
            found.append((attribute, value))
    return found


def _duplicate_names(flows: list[RegisteredFlow]) -> list[RegistryProblem]:
    first_by_name: dict[str, RegisteredFlow] = {}
    problems = []
    for entry in flows:
        first = first_by_name.setdefault(entry.name, entry)
        if first is entry or first.flow is entry.flow:
            continue
        problems.append(
            RegistryProblem(
                _relative(entry.path),
                f"flow name {entry.name!r} ({entry.module}.{entry.attribute}) is also "
                f"used by {first.module}.{first.attribute} in {_relative(first.path)}; "
                "flow names must be unique: rename one of them.",
            )
        )
    return problems


def _relative(path: str | Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(PACKAGE_ROOT.parent))
    except ValueError:
        return str(path)
