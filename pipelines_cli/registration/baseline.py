"""A plan with no Prefect server: the flows of a git revision stand in for the project.

`pipelines register --plan --against master` fingerprints the flows as they are at
`master` and compares the working tree with them, exactly as it would compare with
the fingerprints a Prefect project recorded at registration. It answers "what would
my branch re-register?" on a laptop, or in CI for pull requests that get no secrets.

The revision's files are extracted with `git archive` into a temporary folder, with
this checkout's `pipelines_cli` in place of the revision's own, and fingerprinted in
a child process, so that the two versions of `pipelines` never meet in one process.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines_cli.registration.client import RemoteFlow
from pipelines_cli.registration.exceptions import RevisionError

# Run in the child process, inside the extracted revision: prints {name: key}.
_FINGERPRINT_SCRIPT = """
import json, sys
from pipelines.flows import discover_flows
from pipelines_cli.registration import fingerprint, plan
registry = discover_flows(strict=False)
index = fingerprint.SourceIndex.build()
flows = plan.prepare_local_flows(registry.flows, index, sys.argv[1])
json.dump({f.name: f.fingerprint.idempotency_key for f in flows if f.fingerprint}, sys.stdout)
"""


def flows_at_revision(
    repo_root: Path, revision: str, image: str
) -> dict[str, RemoteFlow]:
    """Fingerprints the flows of `revision`, shaped as a project's registered flows.

    Args:
        repo_root: the git checkout.
        revision: any git revision: a branch, a tag, a commit.
        image: the image reference (its tag does not enter fingerprints).

    Returns:
        The revision's flows by name; `version` 0 and no id, since none is registered.

    Raises:
        RevisionError: the revision is unknown, or its flows cannot be imported.
    """
    cli_package = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="plan-baseline-") as folder:
        tree = Path(folder) / "tree"
        tree.mkdir()
        _extract(repo_root, revision, tree)
        shutil.rmtree(tree / cli_package.name, ignore_errors=True)
        (tree / cli_package.name).symlink_to(cli_package, target_is_directory=True)
        environment = {
            **os.environ,
            "PYTHONPATH": str(tree),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        child = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT_SCRIPT, image],
            cwd=tree,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    if child.returncode != 0:
        last_line = (child.stderr.strip().splitlines() or ["no output"])[-1]
        raise RevisionError(
            f"Fingerprinting the flows of revision {revision!r} failed: {last_line}. "
            "Check that the revision has the same layout (pipelines/, requirements.lock)."
        )
    keys = json.loads(child.stdout)
    return {
        name: RemoteFlow(
            id="",
            name=name,
            version=0,
            idempotency_key=key,
            is_schedule_active=False,
        )
        for name, key in keys.items()
    }


def _extract(repo_root: Path, revision: str, destination: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(repo_root), "archive", "--format=tar", revision],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise RevisionError(
            f"Git revision {revision!r} cannot be read: "
            f"{archive.stderr.decode(errors='replace').strip()}. Pass a branch, tag or "
            "commit of this repository, e.g. --against master."
        )
    subprocess.run(
        ["tar", "-x", "-C", str(destination)], input=archive.stdout, check=True
    )
