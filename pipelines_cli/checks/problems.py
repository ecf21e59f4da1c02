"""A problem found by `pipelines check`: where it is, which rule, and how to fix it."""

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True, order=True)
class Problem:
    """One broken convention, located in a file of the repository.

    Attributes:
        path: the file or folder, relative to the repository root, with `/`.
        line: the line in `path`, when the problem has one.
        rule: the rule's id, as listed in the README ("flow-name", "labels", ...).
        message: what is wrong, the offending value, what is expected and the fix.
    """

    path: str
    line: int | None
    rule: str
    message: str

    def format(self) -> str:
        """The problem as one line: `path:line: [rule] message`."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: [{self.rule}] {self.message}"

    def is_under(self, prefixes: list[str]) -> bool:
        """Whether the problem lies in one of the given repository-relative paths."""
        own = PurePosixPath(self.path)
        for prefix in prefixes:
            if prefix in ("", "."):
                return True
            other = PurePosixPath(prefix)
            if own == other or other in own.parents:
                return True
        return False


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """The problems without duplicates, by file, line and rule."""
    unique = set(problems)
    return sorted(
        unique, key=lambda item: (item.path, item.line or 0, item.rule, item.message)
    )
