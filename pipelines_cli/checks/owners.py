"""Rule `owners`: every flow names its code owners, each a key of `owners.toml`.

The office's `Flow` already refuses missing or unknown owners when the flow is
built; that failure reaches `pipelines check` as an import failure with the same
rule. What remains to check here is a flow built with Prefect's own `Flow`, which
has no owners at all, and owners unknown to the `owners.toml` of the checked copy.
"""

import difflib
import tomllib
from pathlib import Path

from pipelines_cli.checks.facts import RepositoryFacts
from pipelines_cli.checks.problems import Problem

OWNERS_PATH = "pipelines/owners.toml"


def check(facts: RepositoryFacts, root: Path) -> list[Problem]:
    """Runs the rule `owners`."""
    if not facts.flows:
        return []
    known, problem = _load_owner_keys(root)
    if problem is not None:
        return [problem]
    problems = []
    for flow in facts.flows:
        if not flow.has_owners_attribute:
            problems.append(
                Problem(
                    flow.path,
                    flow.line,
                    "owners",
                    f"flow {flow.name!r} is built with Prefect's Flow, which has no "
                    "code owners; use 'from pipelines.utils.decorators import Flow' "
                    "and pass code_owners=[...].",
                )
            )
        elif not flow.code_owners:
            problems.append(
                Problem(
                    flow.path,
                    flow.line,
                    "owners",
                    f"flow {flow.name!r} has no code owners; pass code_owners=[...] "
                    f"with at least one key of {OWNERS_PATH}.",
                )
            )
        for owner in flow.code_owners:
            if owner in known:
                continue
            close = difflib.get_close_matches(owner, sorted(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(
                    flow.path,
                    flow.line,
                    "owners",
                    f"flow {flow.name!r} names code owner {owner!r}, which is not a "
                    f"key of {OWNERS_PATH} (known: {sorted(known)!r}).{hint} Fix the "
                    "name or add the owner to that file.",
                )
            )
    return problems


def _load_owner_keys(root: Path) -> tuple[set[str], Problem | None]:
    path = root / OWNERS_PATH
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        message = f"{OWNERS_PATH} is missing; it lists the code owners flows name."
        return set(), Problem(OWNERS_PATH, None, "owners", message)
    except tomllib.TOMLDecodeError as exc:
        message = f"{OWNERS_PATH} is not valid TOML ({exc}); fix the file."
        return set(), Problem(OWNERS_PATH, None, "owners", message)
    return set(data.get("owners", {})), None
