"""What a flow would run, reduced to one digest: the fingerprint that decides registration.

A flow's fingerprint covers:

- its serialized form (tasks, parameters, schedule, run config, storage) with the image
  tag left out, so that a new commit alone re-registers nothing;
- the source of its module and of every `pipelines` module that module imports,
  directly or through others (the import graph comes from grimp), so that a change in a
  shared task reaches every flow that uses it, copies of pre-defined flows included;
- the data files kept beside those modules (`.sql`, `.yml`, `.csv`, ...) and, for the
  modules in `EXTERNAL_DATA`, the repository folders they read (dbt's `queries/`);
- the locked dependencies, `requirements.lock` (its comments, such as uv's
  `# via ...` notes, left out).

The digest is sent as the flow's `idempotency_key`, followed by a compact manifest of
per-file digests, so that the next plan can say which files changed.
"""

import base64
import binascii
import hashlib
import importlib
import json
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from pipelines_cli.registration.exceptions import FingerprintError

PACKAGE = "pipelines"
LOCK_FILE = "requirements.lock"

# Idempotency keys written by this module start with this; change the number whenever
# what the digest covers changes, so that every flow is registered once more.
KEY_PREFIX = "pipelines-fingerprint/1"

# Digests kept in the manifest are shortened: they only tell which file changed.
SHORT_DIGEST_LENGTH = 16

DATA_SUFFIXES = frozenset(
    {".sql", ".toml", ".yml", ".yaml", ".json", ".csv", ".jinja", ".txt"}
)
SKIPPED_DIRECTORIES = frozenset({"__pycache__", "target", "logs", "dbt_packages"})

# Repository folders outside the package that a module reads at run time, keyed by
# that module: a flow importing it depends on every data file below them.
EXTERNAL_DATA: Mapping[str, tuple[str, ...]] = {
    "pipelines.utils.execute_dbt_model.runner": ("queries",),
}

FLOW_DEFINITION = "flow definition"


@dataclass(frozen=True)
class Change:
    """One reason a flow's fingerprint differs from the one recorded on the server.

    Attributes:
        subject: a repository path, `requirements.lock`, or "flow definition".
        kind: "modified", "newly imported", "no longer imported", ...
    """

    subject: str
    kind: str

    def __str__(self) -> str:
        return f"{self.subject} ({self.kind})"


@dataclass(frozen=True)
class RecordedFingerprint:
    """What an idempotency key written by `Fingerprint` tells about a registration."""

    digest: str
    flow: str
    lock: str
    files: Mapping[str, str]

    @classmethod
    def from_key(cls, key: str | None) -> "RecordedFingerprint | None":
        """Reads a key back; None when it was not written by this module (or is damaged)."""
        if not key or not key.startswith(KEY_PREFIX + ":"):
            return None
        try:
            _, digest, packed = key.split(":", 2)
            padded = packed + "=" * (-len(packed) % 4)
            manifest = json.loads(zlib.decompress(base64.urlsafe_b64decode(padded)))
            return cls(
                digest=digest,
                flow=str(manifest["flow"]),
                lock=str(manifest["lock"]),
                files={
                    str(path): str(value) for path, value in manifest["files"].items()
                },
            )
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            zlib.error,
            binascii.Error,
        ):
            return None


@dataclass(frozen=True)
class Fingerprint:
    """Everything a flow would run, as digests.

    Attributes:
        flow: sha256 of the serialized flow without its image tag.
        lock: sha256 of `requirements.lock`.
        files: sha256 of each source and data file, by repository-relative path.
    """

    flow: str
    lock: str
    files: Mapping[str, str]

    @property
    def digest(self) -> str:
        """One sha256 over all of it: equal digests mean the flow runs the same code."""
        payload = {
            "scheme": KEY_PREFIX,
            "flow": self.flow,
            "lock": self.lock,
            "files": dict(sorted(self.files.items())),
        }
        return _sha256(json.dumps(payload, sort_keys=True).encode())

    @property
    def idempotency_key(self) -> str:
        """`<prefix>:<digest>:<manifest>`, the manifest being zlib'd, base64'd JSON."""
        manifest = {
            "flow": _short(self.flow),
            "lock": _short(self.lock),
            "files": {
                path: _short(value) for path, value in sorted(self.files.items())
            },
        }
        packed = zlib.compress(json.dumps(manifest, separators=(",", ":")).encode(), 9)
        encoded = base64.urlsafe_b64encode(packed).decode().rstrip("=")
        return f"{KEY_PREFIX}:{self.digest}:{encoded}"

    def matches(self, key: str | None) -> bool:
        """Whether an idempotency key recorded on the server is this fingerprint's."""
        recorded = RecordedFingerprint.from_key(key)
        return recorded is not None and recorded.digest == self.digest

    def changes_since(self, key: str | None) -> list[Change]:
        """What differs from the fingerprint recorded in an idempotency key.

        Args:
            key: the key of the flow's last registration, as the server keeps it.

        Returns:
            One `Change` per differing part, files sorted by path; empty when the key
            is this fingerprint's.
        """
        if self.matches(key):
            return []
        recorded = RecordedFingerprint.from_key(key)
        if recorded is None:
            return [Change("fingerprint", "none recorded by the last registration")]
        changes = []
        if recorded.flow != _short(self.flow):
            changes.append(Change(FLOW_DEFINITION, "modified"))
        if recorded.lock != _short(self.lock):
            changes.append(Change(LOCK_FILE, "modified"))
        current = {path: _short(value) for path, value in self.files.items()}
        for path in sorted(set(current) | set(recorded.files)):
            if path not in recorded.files:
                changes.append(Change(path, "newly imported"))
            elif path not in current:
                changes.append(Change(path, "no longer imported"))
            elif current[path] != recorded.files[path]:
                changes.append(Change(path, "modified"))
        return changes or [
            Change("fingerprint", "computed differently by an older version")
        ]


class SourceIndex:
    """The `pipelines` package read once: its import graph, file digests and lock.

    Build it with `SourceIndex.build()` after the flows were imported, then ask
    `fingerprint()` for each flow; digests of shared files are computed once.
    """

    def __init__(self, package: str, package_dir: Path, graph: Any) -> None:
        self.package = package
        self.package_dir = package_dir
        self.repo_root = package_dir.parent
        self._graph = graph
        self._digests: dict[Path, str] = {}
        self._data_files: dict[Path, list[Path]] = {}
        self._sources: dict[str, dict[str, str]] = {}
        lock = self.repo_root / LOCK_FILE
        if not lock.is_file():
            raise FingerprintError(
                f"Lock file {str(lock)!r} does not exist; fingerprints cover the locked "
                f"dependencies. Run the command from a checkout of the repository, "
                "where 'make lock' writes it."
            )
        self.lock_digest = _sha256(_requirements(lock).encode())

    @classmethod
    def build(cls, package: str = PACKAGE) -> "SourceIndex":
        """Reads the import graph of `package` (the one imported in this process).

        Raises:
            FingerprintError: the package has no directory, no lock file beside it, or a
                module grimp cannot read.
        """
        import grimp

        module = importlib.import_module(package)
        if getattr(module, "__file__", None) is None:
            raise FingerprintError(
                f"Package {package!r} has no __init__.py; registration needs it to find "
                "the repository (add an empty one)."
            )
        package_dir = Path(module.__file__).resolve().parent
        # NOTE: grimp walks only folders with an __init__.py; folders of modules without
        # one (namespace packages, such as pipelines/utils today) are added by name.
        namespaces = _namespace_packages(package, package_dir)
        try:
            graph = grimp.build_graph(
                package, *namespaces, cache_dir=None, exclude_type_checking_imports=True
            )
        except grimp.exceptions.GrimpException as exc:
            raise FingerprintError(
                f"Reading the imports of package {package!r} failed: {exc}. Every module "
                "of the package is read, whether a flow imports it or not: fix that file."
            ) from exc
        return cls(package, package_dir, graph)

    def fingerprint(
        self, serialized_flow: Mapping[str, Any], module: str
    ) -> Fingerprint:
        """The fingerprint of a flow, serialized as it will be registered.

        Args:
            serialized_flow: `flow.serialize()` of the prepared flow.
            module: the module that defines the flow (its `Module` storage).

        Returns:
            The flow's fingerprint.

        Raises:
            FingerprintError: the module is not part of the package's import graph.
        """
        flow_json = json.dumps(without_image_tag(serialized_flow), sort_keys=True)
        return Fingerprint(
            flow=_sha256(flow_json.encode()),
            lock=self.lock_digest,
            files=self.sources_of(module),
        )

    def sources_of(self, module: str) -> dict[str, str]:
        """Digests of every file a module runs: its closure of imports and their data.

        Raises:
            FingerprintError: the module is not part of the package's import graph.
        """
        if module in self._sources:
            return self._sources[module]
        if module not in self._graph.modules:
            raise FingerprintError(
                f"Module {module!r} is not in the import graph of {self.package!r} "
                f"read from {str(self.package_dir)!r}; flows must live in modules of "
                "that package."
            )
        modules = {module, *self._graph.find_upstream_modules(module)}
        files: dict[str, str] = {}
        for name in sorted(modules):
            path = self._module_file(name)
            if path is not None:
                files[self._relative(path)] = self._digest(path)
                for data_file in self._data_files_beside(path.parent):
                    files[self._relative(data_file)] = self._digest(data_file)
            for folder in EXTERNAL_DATA.get(name, ()):
                for data_file in _data_tree(self.repo_root / folder):
                    files[self._relative(data_file)] = self._digest(data_file)
        self._sources[module] = dict(sorted(files.items()))
        return self._sources[module]

    def _module_file(self, name: str) -> Path | None:
        parts = name.split(".")[1:]
        base = self.package_dir.joinpath(*parts)
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                return candidate
        if base.is_dir():  # a namespace package: nothing of its own to run
            return None
        raise FingerprintError(
            f"Module {name!r} of the import graph has no source file under "
            f"{str(self.package_dir)!r}; was a file removed while the command ran?"
        )

    def _data_files_beside(self, directory: Path) -> list[Path]:
        """Data files of a package folder, in it or in sub-folders without modules."""
        if directory not in self._data_files:
            found = []
            for entry in sorted(directory.iterdir()):
                if entry.is_file() and entry.suffix in DATA_SUFFIXES:
                    found.append(entry)
                elif (
                    entry.is_dir()
                    and entry.name not in SKIPPED_DIRECTORIES
                    and not entry.name.startswith(".")
                    and next(entry.rglob("*.py"), None) is None
                ):
                    found.extend(_data_tree(entry))
            self._data_files[directory] = found
        return self._data_files[directory]

    def _digest(self, path: Path) -> str:
        if path not in self._digests:
            self._digests[path] = _sha256(path.read_bytes())
        return self._digests[path]

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.repo_root).as_posix()


def without_image_tag(serialized_flow: Mapping[str, Any]) -> dict[str, Any]:
    """A serialized flow whose run config image has no tag (nor digest)."""
    flow = dict(serialized_flow)
    run_config = flow.get("run_config")
    if isinstance(run_config, dict) and run_config.get("image"):
        flow["run_config"] = {
            **run_config,
            "image": untagged_image(run_config["image"]),
        }
    return flow


def untagged_image(image: str) -> str:
    """`ghcr.io/org/name:tag` or `name@sha256:...` without the tag or digest."""
    image = image.split("@", 1)[0]
    name, separator, tag = image.rpartition(":")
    if separator and "/" not in tag:
        return name
    return image


def _namespace_packages(package: str, package_dir: Path) -> list[str]:
    """Folders of the package holding modules without an __init__.py, as module names."""
    names = []
    for directory, subdirectories, filenames in os.walk(package_dir):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if name not in SKIPPED_DIRECTORIES and not name.startswith(".")
        )
        path = Path(directory)
        if path == package_dir or "__init__.py" in filenames:
            continue
        if any(name.endswith(".py") for name in filenames) or next(
            path.rglob("*.py"), None
        ):
            names.append(".".join((package, *path.relative_to(package_dir).parts)))
    return names


def _data_tree(root: Path) -> list[Path]:
    """Every data file below a folder, skipping build output and hidden folders."""
    found = []
    for directory, subdirectories, filenames in os.walk(root):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if name not in SKIPPED_DIRECTORIES and not name.startswith(".")
        )
        found.extend(
            Path(directory) / name
            for name in sorted(filenames)
            if Path(name).suffix in DATA_SUFFIXES
        )
    return found


def _requirements(lock: Path) -> str:
    """The lock file without comments and blank lines: what pip installs from it."""
    lines = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        # pip's rule: '#' starts a comment at the start of a line or after whitespace.
        content = re.sub(r"(^|\s)#.*$", "", line).rstrip()
        if content:
            lines.append(content)
    return "\n".join(lines)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _short(digest: str) -> str:
    return digest[:SHORT_DIGEST_LENGTH]
