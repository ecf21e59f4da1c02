"""How a flow runs in the cloud: this commit's image on Kubernetes, loaded from its module.

`prepare_flow` returns a copy of a flow with a `KubernetesRun` run config (the image of
the commit, the flow's agent labels, and any other setting the flow chose) and a
`Module` storage that imports the flow's module inside that image.
"""

import copy
import importlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import Flow as PrefectFlow
from prefect.run_configs import KubernetesRun
from prefect.storage import Module

from pipelines_cli.registration.exceptions import (
    ImageTagError,
    RunConfigError,
    UnschedulableFlowError,
)

# Docker's rule for tags: up to 128 characters, no leading '.' or '-'.
TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class ImageTag:
    """The tag of the image flows run with, and where it came from."""

    tag: str
    source: str


def global_constants() -> Any:
    """The `constants` enum of `pipelines.constants`, imported when first needed."""
    return importlib.import_module("pipelines.constants").constants


def resolve_image_tag(explicit: str | None, repo_root: Path) -> ImageTag:
    """Picks the image tag: `--image-tag`, else the environment, else the commit.

    Args:
        explicit: the value of `--image-tag`, if given.
        repo_root: the checkout whose HEAD commit names the image by default.

    Returns:
        The tag and its source.

    Raises:
        ImageTagError: no tag could be found, or it is not a valid Docker tag.
    """
    env_var = global_constants().DOCKER_TAG_ENV_VAR.value
    if explicit is not None:
        tag, source = explicit, "--image-tag"
    elif os.environ.get(env_var):
        tag, source = os.environ[env_var], env_var
    else:
        tag, source = _git_head(repo_root), "the HEAD commit"
        if tag is None:
            raise ImageTagError(
                f"No image tag: {env_var} is not set and {str(repo_root)!r} is not a git "
                f"checkout. Set {env_var} (CI sets it to the commit SHA) or pass "
                "--image-tag with the tag of an image CI pushed."
            )
    if not TAG_PATTERN.fullmatch(tag):
        raise ImageTagError(
            f"Image tag {tag!r} (from {source}) is not a valid Docker tag: expected 1 to "
            "128 letters, digits, '_', '.' or '-', not starting with '.' or '-'. CI tags "
            "images with the commit SHA."
        )
    return ImageTag(tag, source)


def image_reference(tag: str) -> str:
    """The full image reference for a tag, e.g. `ghcr.io/prefeitura-rio/pipelines:abc`."""
    return f"{global_constants().DOCKER_IMAGE_NAME.value}:{tag}"


def agent_labels(flow: PrefectFlow) -> list[str]:
    """The labels an agent must have to run the flow.

    Those of its run config when it sets any, else those of its schedule's clocks.
    """
    labels = set(getattr(flow.run_config, "labels", None) or ())
    if not labels:
        for clock in getattr(flow.schedule, "clocks", None) or ():
            labels.update(clock.labels or ())
    return sorted(labels)


def prepare_flow(flow: PrefectFlow, module: str, image: str) -> PrefectFlow:
    """A copy of a flow ready to register: Kubernetes run config and module storage.

    Args:
        flow: the flow as the registry found it; it is not modified.
        module: the module that defines it, imported by the storage at run time.
        image: the full image reference to run it with.

    Returns:
        The copy, its storage already holding it.

    Raises:
        RunConfigError: the flow sets a run config other than `KubernetesRun`, or no
            agent label at all.
        UnschedulableFlowError: a clock of its schedule leaves a required parameter
            without a value (the server would refuse the flow).
    """
    _check_schedule(flow, module)
    current = flow.run_config
    if current is not None and not isinstance(current, KubernetesRun):
        raise RunConfigError(
            f"Flow {flow.name!r} ({module}) sets a {type(current).__name__} run config; "
            "flows registered in Prefect run on Kubernetes. Use "
            "flow.run_config = KubernetesRun(labels=[...]) or set none (the labels of "
            "its schedule are then used)."
        )
    labels = agent_labels(flow)
    if not labels:
        raise RunConfigError(
            f"Flow {flow.name!r} ({module}) has no agent label, so no agent would run "
            "it. Set flow.run_config = KubernetesRun(labels=[constants."
            "RJ_<ORGAO>_AGENT_LABEL.value]) or give its schedule's clocks labels."
        )
    run_config = copy.copy(current) if current is not None else KubernetesRun()
    run_config.image = image
    run_config.labels = set(labels)

    prepared = flow.copy()
    prepared.run_config = run_config
    prepared.storage = Module(module)
    prepared.storage.add_flow(prepared)
    return prepared


def _check_schedule(flow: PrefectFlow, module: str) -> None:
    """Refuses what `Client.register` refuses: clocks without a required parameter."""
    required = sorted(
        parameter.name for parameter in flow.parameters() if parameter.required
    )
    clocks = getattr(flow.schedule, "clocks", None) or []
    for clock in clocks:
        missing = [
            name for name in required if name not in (clock.parameter_defaults or {})
        ]
        if missing:
            raise UnschedulableFlowError(
                f"Flow {flow.name!r} ({module}) is scheduled, but a clock of its schedule "
                f"gives no value to the required parameter(s) {missing!r}; set them in the "
                "clock's parameter_defaults, or give the parameters a default."
            )


def uncommitted_files(repo_root: Path, paths: list[str]) -> list[str]:
    """Which of these repository paths differ from the HEAD commit (empty without git)."""
    if not paths:
        return []
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=repo_root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted(line[3:] for line in result.stdout.splitlines() if len(line) > 3)


def _git_head(repo_root: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "HEAD"],
            cwd=repo_root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    # NOTE: `git rev-parse` also answers inside a folder of *another* checkout; only a
    # repository rooted here names the image of this code.
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    if Path(top.stdout.strip() or "/nonexistent").resolve() != repo_root.resolve():
        return None
    return result.stdout.strip() or None
