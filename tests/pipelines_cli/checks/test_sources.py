"""Reading lines and literals from source files with `ast`, without importing them."""

import textwrap
from pathlib import Path

from pipelines_cli.checks.sources import (
    find_attribute_assignment_line,
    find_binding_line,
    imported_orgaos,
    list_orgao_folders,
    list_project_folders,
    read_constant,
)

FLOWS = '''
"""Flows."""

from pipelines.utils.decorators import Flow

with Flow(
    "EMD: a - b",
    code_owners=["paty"],
) as first_flow:
    pass

second_flow = first_flow.copy()
second_flow.name = "EMD: a - c"
second_flow.run_config = None
'''


def write(path: Path, text: str) -> Path:
    """Writes dedented `text` to `path`, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_find_binding_line_with_statement_and_assignment(tmp_path: Path) -> None:
    path = write(tmp_path / "flows.py", FLOWS)
    assert find_binding_line(path, "first_flow") == 5
    assert find_binding_line(path, "second_flow") == 11
    assert find_binding_line(path, "missing_flow") is None


def test_find_attribute_assignment_line_finds_run_config(tmp_path: Path) -> None:
    path = write(tmp_path / "flows.py", FLOWS)
    assert find_attribute_assignment_line(path, "second_flow", "run_config") == 13
    assert find_attribute_assignment_line(path, "first_flow", "run_config") is None


def test_find_binding_line_sees_a_rewritten_file(tmp_path: Path) -> None:
    path = write(tmp_path / "flows.py", FLOWS)
    assert find_binding_line(path, "first_flow") == 5
    write(path, '"""Moved."""\n\n\n' + textwrap.dedent(FLOWS).lstrip("\n"))
    assert find_binding_line(path, "first_flow") == 8


def test_read_constant_reads_the_enum_member(tmp_path: Path) -> None:
    path = write(
        tmp_path / "constants.py",
        '''
        from enum import Enum


        class constants(Enum):
            """Values."""

            ORGAO_SIGLA = "EMD"
            COMPUTED = "a" + "b"
        ''',
    )
    assert read_constant(path, "ORGAO_SIGLA") == ("EMD", 7)
    assert read_constant(path, "COMPUTED") == (None, 8)
    assert read_constant(path, "MISSING") == (None, None)
    assert read_constant(tmp_path / "absent.py", "ORGAO_SIGLA") == (None, None)


def test_imported_orgaos_reads_every_import_form(tmp_path: Path) -> None:
    path = write(
        tmp_path / "__init__.py",
        """
        from pipelines import rj_a, rj_b  # noqa: F401
        import pipelines.rj_c
        from pipelines.rj_d.flows import *
        from other import rj_e
        """,
    )
    assert imported_orgaos(path) == {"rj_a", "rj_b", "rj_c", "rj_d"}


def test_list_folders_skip_utils_hidden_and_folders_without_python(
    tmp_path: Path,
) -> None:
    pipelines_dir = tmp_path / "pipelines"
    for folder in ("rj_a", "rj_b/projeto", "utils", ".rj_c-staging", "__pycache__"):
        write(pipelines_dir / folder / "flows.py", '"""x."""\n')
    write(pipelines_dir / "rj_b" / "data" / "sample.csv", "a,b\n")
    orgaos = list_orgao_folders(pipelines_dir)
    assert [path.name for path in orgaos] == ["rj_a", "rj_b"]
    assert [path.name for path in list_project_folders(orgaos[1])] == ["projeto"]
