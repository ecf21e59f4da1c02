"""Fingerprints: which files a flow runs, and what a change to each of them does."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipelines_cli.registration import fingerprint
from pipelines_cli.registration.deployment import prepare_flow
from pipelines_cli.registration.exceptions import FingerprintError
from pipelines_cli.registration.fingerprint import (
    Change,
    Fingerprint,
    RecordedFingerprint,
    SourceIndex,
    untagged_image,
)

INGEST = "pipelines.rj_alfa.ingest.flows"
COPIES = "pipelines.rj_alfa.copies.flows"
OWN = "pipelines.rj_alfa.own.flows"


def _flow(module: str) -> Any:
    """The first flow a module of the activated repository defines."""
    from prefect import Flow

    imported = __import__(module, fromlist=["_"])
    return next(value for value in vars(imported).values() if isinstance(value, Flow))


@pytest.mark.usefixtures("sample_repo")
def test_sources_of_follow_imports_transitively_into_copied_templates() -> None:
    index = SourceIndex.build()

    copies = index.sources_of(COPIES)

    assert "pipelines/rj_alfa/copies/flows.py" in copies
    assert "pipelines/utils/sample_template/flows.py" in copies  # the copied template
    assert "pipelines/utils/sample_tasks.py" in copies  # what the template imports
    assert "pipelines/utils/decorators.py" in copies  # and what that imports
    assert "pipelines/constants.py" in copies
    assert "pipelines/rj_alfa/own/tasks.py" not in copies
    assert "pipelines/flows.py" not in copies  # the registry is not run by flows
    assert "pipelines/rj_alfa/__init__.py" not in copies  # nor the orgao's re-exports
    assert "pipelines/rj_alfa/own/tasks.py" in index.sources_of(OWN)


@pytest.mark.parametrize(
    "has_init", [True, False], ids=["package", "namespace-package"]
)
def test_sources_of_see_shared_modules_with_or_without_utils_init(
    sample_repo: Any, has_init: bool
) -> None:
    init = sample_repo.path("pipelines/utils/__init__.py")
    if has_init:
        init.write_text('"""Shared code."""\n')
    elif init.exists():
        init.unlink()

    sources = SourceIndex.build().sources_of(INGEST)

    assert "pipelines/utils/sample_tasks.py" in sources


def test_sources_of_include_data_files_beside_modules_but_not_docs(
    sample_repo: Any,
) -> None:
    sample_repo.write("pipelines/rj_alfa/own/sql/select.sql", "select 1\n")
    sample_repo.write("pipelines/rj_alfa/own/notes.md", "# notes\n")
    sample_repo.write("pipelines/rj_alfa/own/config.yaml", "a: 1\n")

    sources = SourceIndex.build().sources_of(OWN)

    assert "pipelines/rj_alfa/own/sql/select.sql" in sources
    assert "pipelines/rj_alfa/own/config.yaml" in sources
    assert "pipelines/owners.toml" in sources  # beside pipelines/constants.py
    assert "pipelines/rj_alfa/own/notes.md" not in sources
    assert "pipelines/rj_alfa/own/sql/select.sql" not in SourceIndex.build().sources_of(
        INGEST
    )


def test_sources_of_modules_reading_an_external_folder_include_it(
    sample_repo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        fingerprint, "EXTERNAL_DATA", {"pipelines.utils.sample_tasks": ("queries",)}
    )
    sample_repo.write("queries/models/dataset/table.sql", "select 1\n")
    sample_repo.write("queries/target/compiled.sql", "select 1\n")

    sources = SourceIndex.build().sources_of(INGEST)

    assert "queries/models/dataset/table.sql" in sources
    assert "queries/target/compiled.sql" not in sources  # dbt's build output
    assert "queries/models/dataset/table.sql" not in SourceIndex.build().sources_of(OWN)


def test_external_data_names_modules_of_this_checkout() -> None:
    root = Path(__file__).resolve().parents[3]
    for module, folders in fingerprint.EXTERNAL_DATA.items():
        path = root.joinpath(*module.split(".")).with_suffix(".py")
        assert path.is_file(), f"{module} (EXTERNAL_DATA) has no file {path}"
        for folder in folders:
            assert (
                root / folder
            ).is_dir(), f"{folder!r} (EXTERNAL_DATA) is not a folder"


@pytest.mark.usefixtures("sample_repo")
def test_fingerprint_ignores_the_image_tag_but_not_the_run_config() -> None:
    index = SourceIndex.build()
    flow = _flow(INGEST)

    def digest(image: str, labels: list[str] | None = None) -> str:
        prepared = prepare_flow(flow, INGEST, image)
        if labels is not None:
            prepared.run_config.labels = set(labels)
        return index.fingerprint(prepared.serialize(), INGEST).digest

    assert digest("ghcr.io/org/pipelines:aaa") == digest("ghcr.io/org/pipelines:bbb")
    assert digest("ghcr.io/org/pipelines:aaa") != digest("ghcr.io/org/other:aaa")
    assert digest("ghcr.io/org/pipelines:aaa") != digest(
        "ghcr.io/org/pipelines:aaa", ["x"]
    )


def test_fingerprint_is_the_same_in_another_process(sample_repo: Any) -> None:
    script = (
        "import json, pipelines_cli.registration.fingerprint as f\n"
        "from pipelines.flows import discover_flows\n"
        "from pipelines_cli.registration.deployment import prepare_flow\n"
        "index = f.SourceIndex.build()\n"
        "print(json.dumps({e.name: index.fingerprint(prepare_flow(e.flow, e.module, "
        "'img:t').serialize(), e.module).digest for e in discover_flows().flows}))\n"
    )

    def digests(hash_seed: str) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": str(sample_repo.root),
            "PYTHONHASHSEED": hash_seed,
        }
        result = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            cwd=sample_repo.root,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout.splitlines()[-1])

    first = digests("1")
    assert len(first) == 4
    assert first == digests("2")


def test_fingerprint_key_round_trip_and_changes() -> None:
    files = {"pipelines/a.py": "1" * 64, "pipelines/b.py": "2" * 64}
    before = Fingerprint(flow="f" * 64, lock="l" * 64, files=files)
    after = Fingerprint(
        flow="f" * 64,
        lock="m" * 64,
        files={"pipelines/a.py": "3" * 64, "pipelines/c.py": "4" * 64},
    )

    recorded = RecordedFingerprint.from_key(before.idempotency_key)

    assert recorded is not None and recorded.digest == before.digest
    assert before.matches(before.idempotency_key)
    assert not before.changes_since(before.idempotency_key)
    assert after.changes_since(before.idempotency_key) == [
        Change("requirements.lock", "modified"),
        Change("pipelines/a.py", "modified"),
        Change("pipelines/b.py", "no longer imported"),
        Change("pipelines/c.py", "newly imported"),
    ]
    changed_flow = Fingerprint(flow="e" * 64, lock="l" * 64, files=files)
    assert changed_flow.changes_since(before.idempotency_key) == [
        Change("flow definition", "modified")
    ]


@pytest.mark.parametrize(
    "key", [None, "", "some-other-key", "pipelines-fingerprint/1:abc:not-base64!"]
)
def test_fingerprint_changes_since_a_foreign_key_say_none_was_recorded(
    key: str | None,
) -> None:
    current = Fingerprint(flow="f" * 64, lock="l" * 64, files={})

    assert not current.matches(key)
    assert current.changes_since(key) == [
        Change("fingerprint", "none recorded by the last registration")
    ]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("ghcr.io/prefeitura-rio/pipelines:abc123", "ghcr.io/prefeitura-rio/pipelines"),
        ("localhost:5000/pipelines", "localhost:5000/pipelines"),
        ("localhost:5000/pipelines:abc", "localhost:5000/pipelines"),
        ("pipelines@sha256:" + "0" * 64, "pipelines"),
        ("pipelines", "pipelines"),
    ],
)
def test_untagged_image_drops_tag_and_digest_only(image: str, expected: str) -> None:
    assert untagged_image(image) == expected


def test_lock_digest_ignores_comments_but_not_requirements(sample_repo: Any) -> None:
    before = SourceIndex.build().lock_digest

    sample_repo.append("requirements.lock", "    # via some-package\n\n")
    after_comment = SourceIndex.build().lock_digest
    sample_repo.append("requirements.lock", "extra-package==1.0.0  # pinned\n")
    after_package = SourceIndex.build().lock_digest

    assert after_comment == before
    assert after_package != before


def test_source_index_without_lock_file_says_where_it_looked(sample_repo: Any) -> None:
    sample_repo.path("requirements.lock").unlink()

    with pytest.raises(
        FingerprintError, match=r"Lock file '.*requirements\.lock' does not exist"
    ):
        SourceIndex.build()


@pytest.mark.usefixtures("sample_repo")
def test_source_index_names_a_module_it_cannot_parse(sample_repo: Any) -> None:
    sample_repo.write("pipelines/utils/broken.py", "def (:\n")

    with pytest.raises(
        FingerprintError, match=r"Syntax error in .*pipelines/utils/broken\.py"
    ):
        SourceIndex.build()


def test_sources_of_a_module_outside_the_graph_is_refused() -> None:
    with pytest.raises(
        FingerprintError, match="'elsewhere.flows' is not in the import graph"
    ):
        SourceIndex.build().sources_of("elsewhere.flows")
