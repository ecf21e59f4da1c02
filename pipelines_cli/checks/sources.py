"""Reading the repository's source files without importing them: lines and literals.

Flows are objects at run time, but a problem is reported at a line: these helpers
find, with `ast`, the line that binds a flow (``with Flow(...) as name:`` or
``name = ...``), the line that sets one of its attributes, the SIGLA an orgao
declares and the orgaos that `pipelines/__init__.py` imports.
"""

import ast
from functools import lru_cache
from pathlib import Path

# The six files of every orgao and project folder, as the tutorial lists them.
PACKAGE_FILES = (
    "__init__.py",
    "constants.py",
    "flows.py",
    "schedules.py",
    "tasks.py",
    "utils.py",
)

# Folders of `pipelines/` that are not orgaos.
NON_ORGAO_FOLDERS = frozenset({"utils"})


def parse_module(path: Path) -> ast.Module | None:
    """The syntax tree of a Python file, None if it is missing or does not parse."""
    try:
        status = path.stat()
    except OSError:
        return None
    return _parse(path, status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=256)
def _parse(path: Path, mtime_ns: int, size: int) -> ast.Module | None:
    """Parses a file once per version of it (the key includes time and size)."""
    del mtime_ns, size
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None


def find_binding_line(path: Path, name: str) -> int | None:
    """The first module-level line that binds `name`: a `with ... as name:` or an
    assignment `name = ...`; None when the source binds it nowhere visible."""
    tree = parse_module(path)
    if tree is None:
        return None
    for node in tree.body:
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if (
                    isinstance(item.optional_vars, ast.Name)
                    and item.optional_vars.id == name
                ):
                    return node.lineno
        targets = _assignment_targets(node)
        if any(
            isinstance(target, ast.Name) and target.id == name for target in targets
        ):
            return node.lineno
    return None


def find_attribute_assignment_line(path: Path, name: str, attribute: str) -> int | None:
    """The last module-level line that assigns `name.attribute = ...`."""
    tree = parse_module(path)
    if tree is None:
        return None
    found = None
    for node in tree.body:
        for target in _assignment_targets(node):
            if (
                isinstance(target, ast.Attribute)
                and target.attr == attribute
                and isinstance(target.value, ast.Name)
                and target.value.id == name
            ):
                found = node.lineno
    return found


def read_constant(path: Path, member: str) -> tuple[str | None, int | None]:
    """A string member of the `constants` Enum of a `constants.py`, and its line.

    Returns:
        The value and line, or (None, None) when the member is not a literal string
        of a class named `constants` in that file.
    """
    tree = parse_module(path)
    if tree is None:
        return None, None
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name == "constants"):
            continue
        for statement in node.body:
            for target in _assignment_targets(statement):
                if isinstance(target, ast.Name) and target.id == member:
                    value = statement.value  # type: ignore[attr-defined]
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        return value.value, statement.lineno
                    return None, statement.lineno
    return None, None


def imported_orgaos(init_path: Path) -> set[str]:
    """The orgaos that `pipelines/__init__.py` imports (``from pipelines import x``
    or ``import pipelines.x``)."""
    tree = parse_module(init_path)
    if tree is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts == ["pipelines"]:
                found.update(alias.name for alias in node.names)
            elif parts[0] == "pipelines" and len(parts) > 1:
                found.add(parts[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pipelines" and len(parts) > 1:
                    found.add(parts[1])
    return found


def list_orgao_folders(pipelines_dir: Path) -> list[Path]:
    """Folders under `pipelines/` that hold an orgao: any folder with Python files
    (at any depth), except `utils` and hidden or private ones."""
    return [
        path
        for path in _code_folders(pipelines_dir)
        if path.name not in NON_ORGAO_FOLDERS
    ]


def list_project_folders(orgao_dir: Path) -> list[Path]:
    """Folders of an orgao that hold a project: any sub-folder with Python files
    (a folder of data files only is not a project)."""
    return _code_folders(orgao_dir)


def _code_folders(parent: Path) -> list[Path]:
    if not parent.is_dir():
        return []
    return sorted(
        path
        for path in parent.iterdir()
        if path.is_dir()
        and not path.name.startswith((".", "_"))
        and any(path.rglob("*.py"))
    )


def _assignment_targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets: list[ast.expr] = []
        for target in node.targets:
            targets.extend(target.elts if isinstance(target, ast.Tuple) else [target])
        return targets
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return [node.target]
    return []
