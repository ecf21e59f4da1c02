"""Running every check on one repository: gather its facts, then apply each rule.

The facts come from a child Python process that imports the repository's flows
(`collect.py`); the rules are plain functions of those facts and of the file tree.
"""

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipelines_cli.checks import labels, layout, names, owners, schedules
from pipelines_cli.checks.exceptions import CheckRunError
from pipelines_cli.checks.facts import RepositoryFacts
from pipelines_cli.checks.problems import Problem, sort_problems

Rule = Callable[[RepositoryFacts, Path], list[Problem]]

# Each rule family, in the order of the README's list.
RULE_FAMILIES: tuple[Rule, ...] = (
    names.check,
    owners.check,
    labels.check,
    schedules.check,
    layout.check,
)

# Seconds the child process may take to import every flow.
COLLECT_TIMEOUT = 600


@dataclass
class CheckReport:
    """The outcome of `run_checks`: the problems and what was looked at."""

    root: Path
    facts: RepositoryFacts
    problems: list[Problem]

    @property
    def is_clean(self) -> bool:
        """Whether no convention is broken."""
        return not self.problems


def run_checks(root: Path, *, python: str | None = None) -> CheckReport:
    """Checks every convention of the repository at `root`.

    Args:
        root: the repository root (holding `pipelines/`).
        python: the interpreter that imports the flows (default: this one).

    Returns:
        The report, problems sorted by file and line.

    Raises:
        CheckRunError: the flows could not even be looked at (see the message).
    """
    facts = collect_facts(root, python=python)
    problems: list[Problem] = []
    for rule in RULE_FAMILIES:
        problems.extend(rule(facts, root))
    return CheckReport(root=root, facts=facts, problems=sort_problems(problems))


def collect_facts(root: Path, *, python: str | None = None) -> RepositoryFacts:
    """Imports the flows of `root` in a child process and returns what it found.

    Raises:
        CheckRunError: the child process failed or timed out.
    """
    root = root.resolve()
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(root), *filter(None, [environment.get("PYTHONPATH")])]
    )
    with tempfile.TemporaryDirectory(prefix="pipelines-check-") as folder:
        output = Path(folder) / "facts.json"
        command = [
            python or sys.executable,
            "-m",
            "pipelines_cli.checks.collect",
            str(root),
            str(output),
        ]
        try:
            completed = subprocess.run(
                command,
                cwd=root,
                env=environment,
                capture_output=True,
                text=True,
                timeout=COLLECT_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CheckRunError(
                f"Importing the flows of {root} took more than {COLLECT_TIMEOUT} s; "
                "look for a flows module that does work at import time."
            ) from exc
        if completed.returncode != 0 or not output.is_file():
            tail = " | ".join(completed.stderr.strip().splitlines()[-3:])
            raise CheckRunError(
                f"Collecting the flows of {root} failed (exit status "
                f"{completed.returncode}): {tail or 'no output'}"
            )
        return RepositoryFacts.from_json(output.read_text(encoding="utf-8"))
