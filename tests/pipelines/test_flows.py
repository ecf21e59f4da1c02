"""The flow registry: every flow found once, duplicates and unreachable flows named."""

import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from pipelines.flows import FlowRegistryError, discover_flows

FLOW_MODULE = """
from copy import deepcopy
from pipelines.utils.decorators import Flow
{extra}
with Flow({name!r}, code_owners=["paty"]) as {attribute}:
    pass
"""


@pytest.fixture
def make_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Writes a throw-away top package of orgaos and returns its name."""
    name = f"fakepipes_{uuid.uuid4().hex[:8]}"
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(files: dict[str, str]) -> str:
        orgaos = sorted(
            {relative.split("/")[0] for relative in files if "/" in relative}
        )
        top = "".join(f"from PKG import {orgao}\n" for orgao in orgaos)
        for relative, source in {"__init__.py": top, **files}.items():
            path = tmp_path / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source).replace("PKG", name))
        return name

    yield write
    for module in [m for m in sys.modules if m.startswith(name)]:
        del sys.modules[module]


def flow_source(name: str, attribute: str, extra: str = "") -> str:
    return FLOW_MODULE.format(name=name, attribute=attribute, extra=extra)


def test_discover_flows_finds_each_flow_once(make_package) -> None:
    package = make_package(
        {
            "rj_a/__init__.py": (
                "from PKG.rj_a.proj.flows import *\nfrom PKG.rj_a.other.flows import *\n"
            ),
            "rj_a/proj/__init__.py": "",
            "rj_a/proj/flows.py": flow_source("A: proj - um", "flow_one"),
            "rj_a/other/__init__.py": "",
            # imports a flow of another project and defines its own
            "rj_a/other/flows.py": flow_source(
                "A: other - dois",
                "flow_two",
                "from PKG.rj_a.proj.flows import flow_one",
            ),
        }
    )
    registry = discover_flows(package=package)
    assert [(entry.name, entry.module) for entry in registry.flows] == [
        ("A: other - dois", f"{package}.rj_a.other.flows"),
        ("A: proj - um", f"{package}.rj_a.proj.flows"),
    ]
    assert registry.flows[0].code_owners == ["paty"]
    assert registry.flows[0].path.name == "flows.py"


def test_discover_flows_rejects_duplicate_names_naming_both_places(
    make_package,
) -> None:
    package = make_package(
        {
            "rj_a/__init__.py": "from PKG.rj_a.proj.flows import *\n",
            "rj_a/proj/__init__.py": "",
            "rj_a/proj/flows.py": flow_source("A: proj - mesmo nome", "flow_a"),
            "rj_b/__init__.py": "from PKG.rj_b.proj.flows import *\n",
            "rj_b/proj/__init__.py": "",
            "rj_b/proj/flows.py": flow_source("A: proj - mesmo nome", "flow_b"),
        }
    )
    with pytest.raises(FlowRegistryError, match="also used by") as error:
        discover_flows(package=package)
    message = str(error.value)
    assert f"{package}.rj_a.proj.flows.flow_a" in message
    assert f"{package}.rj_b.proj.flows.flow_b" in message


def test_discover_flows_reports_flow_not_imported_by_its_orgao(make_package) -> None:
    package = make_package(
        {
            "rj_a/__init__.py": "",
            "rj_a/proj/__init__.py": "",
            "rj_a/proj/flows.py": flow_source("A: proj - esquecido", "forgotten_flow"),
        }
    )
    with pytest.raises(FlowRegistryError, match="is not imported by") as error:
        discover_flows(package=package)
    assert f"from {package}.rj_a.proj.flows import forgotten_flow" in str(error.value)

    registry = discover_flows(strict=False, package=package)
    assert [entry.name for entry in registry.flows] == ["A: proj - esquecido"]
    assert len(registry.problems) == 1


def test_discover_flows_counts_a_copied_template_where_it_is_copied(
    make_package,
) -> None:
    extra = "from pipelines.utils.dump_url.flows import dump_url_flow\n"
    package = make_package(
        {
            "rj_a/__init__.py": "from PKG.rj_a.proj.flows import *\n",
            "rj_a/proj/__init__.py": "",
            "rj_a/proj/flows.py": extra
            + "from copy import deepcopy\n"
            + "copied_flow = deepcopy(dump_url_flow)\n"
            + "copied_flow.name = 'A: proj - copia do template'\n",
        }
    )
    registry = discover_flows(package=package)
    assert [entry.name for entry in registry.flows] == ["A: proj - copia do template"]
    assert registry.flows[0].code_owners == ["escritorio"]


def test_discover_flows_on_the_repository_lists_the_geolocator() -> None:
    registry = discover_flows()
    names = registry.by_name()
    assert "EMD: escritorio - Geolocalizacao de chamados 1746" in names
    assert not registry.problems


def test_discover_flows_reports_orgao_not_imported_by_the_top_package(
    make_package,
) -> None:
    package = make_package(
        {
            "__init__.py": "",
            "rj_a/__init__.py": "from PKG.rj_a.proj.flows import *\n",
            "rj_a/proj/__init__.py": "",
            "rj_a/proj/flows.py": flow_source("A: proj - um", "flow_one"),
        }
    )
    with pytest.raises(
        FlowRegistryError,
        match=f"orgao 'rj_a' is not imported here; add 'from {package} import rj_a'",
    ):
        discover_flows(package=package)
