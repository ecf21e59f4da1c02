"""Changes `pipelines new` makes to existing files, and undoing them all on failure.

`Changes` records each file's text before its first edit and each folder it
created; leaving its `with` block by an exception restores the files and removes
the folders, so a failed scaffold leaves the repository as it was. The insertion
helpers are pure functions of a file's text.
"""

import ast
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from pipelines_cli.scaffold.exceptions import ScaffoldWriteError


class Changes:
    """Edits and new folders, applied now and undone together if anything fails."""

    def __init__(self) -> None:
        self._originals: dict[Path, str | None] = {}
        self._created_folders: list[Path] = []

    def __enter__(self) -> "Changes":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.rollback()

    def write_text(self, path: Path, text: str) -> None:
        """Replaces a file's text atomically, keeping the first original for undo."""
        if path not in self._originals:
            self._originals[path] = (
                path.read_text(encoding="utf-8") if path.exists() else None
            )
        _replace_atomically(path, text)

    def move_folder(self, source: Path, target: Path) -> None:
        """Moves a rendered folder into place; it must not exist yet."""
        if target.exists():
            raise ScaffoldWriteError(
                f"{target} appeared while the files were rendered."
            )
        shutil.move(str(source), str(target))
        self._created_folders.append(target)

    def rollback(self) -> None:
        """Restores every edited file and removes every created folder."""
        for folder in reversed(self._created_folders):
            shutil.rmtree(folder, ignore_errors=True)
        for path, original in self._originals.items():
            if original is None:
                path.unlink(missing_ok=True)
            else:
                _replace_atomically(path, original)
        self._created_folders.clear()
        self._originals.clear()

    @property
    def edited_files(self) -> list[Path]:
        """Files changed so far, in order."""
        return list(self._originals)


def insert_import_line(text: str, line: str, prefix: str, docstring: str) -> str:
    """Adds an import line among the lines that start with `prefix`, in sorted order.

    Args:
        text: the module's source.
        line: the import line to add (without newline).
        prefix: lines starting with it form the sorted block the line joins.
        docstring: the module docstring to write when the module is empty.

    Returns:
        The new source; unchanged when the line is already there.
    """
    lines = text.splitlines()
    if line in lines:
        return text
    block = [
        index for index, existing in enumerate(lines) if existing.startswith(prefix)
    ]
    if block:
        position = next(
            (index for index in block if lines[index] > line),
            block[-1] + 1,
        )
        lines.insert(position, line)
        return "\n".join(lines) + "\n"
    body = text.rstrip("\n")
    if not body.strip():
        body = f'"""{docstring}"""'
    return f"{body}\n\n{line}\n"


def insert_class_members(
    text: str, class_name: str, suffix: str, members: list[str]
) -> str:
    """Adds assignment lines to a class, after its last member whose name ends with
    `suffix` (or at the end of the class when none does).

    Args:
        text: the module's source.
        class_name: the class, e.g. "constants".
        suffix: e.g. "_AGENT_LABEL".
        members: the lines to add, without indentation, e.g. `X = "x"`.

    Returns:
        The new source.

    Raises:
        ScaffoldWriteError: the module does not parse or has no such class.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ScaffoldWriteError(f"The constants module does not parse: {exc}") from exc
    target = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.ClassDef) and node.name == class_name
        ),
        None,
    )
    if target is None:
        raise ScaffoldWriteError(f"The constants module has no class {class_name!r}.")
    after = target.body[-1].end_lineno
    for statement in target.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(name, ast.Name) and name.id.endswith(suffix)
            for name in statement.targets
        ):
            after = statement.end_lineno
    indent = " " * (target.body[0].col_offset)
    lines = text.splitlines()
    lines[after:after] = [f"{indent}{member}" for member in members]
    return "\n".join(lines) + "\n"


def _replace_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
