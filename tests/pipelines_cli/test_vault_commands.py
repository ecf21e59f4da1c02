"""`pipelines vault dev`: a real OpenBao dev server loaded from a secrets file.

The long-running command is started as a real process and stopped with Ctrl-C
(SIGINT) or SIGTERM; its bad inputs are checked through Typer's runner. The
detect-secrets hook is run on a temporary file holding a fake credential.
"""

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from pipelines.utils.vault import get_vault_secret
from pipelines_cli.app import app
from pipelines_cli.vault_commands import read_secrets_file

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINES_SCRIPT = Path(sys.executable).parent / "pipelines"
DETECT_SECRETS_HOOK = Path(sys.executable).parent / "detect-secrets-hook"

LOCAL_PASSWORD = "local-dev-pass"  # pragma: allowlist secret
SECRETS_TOML = """
["discord_webhooks/flow_failures"]
url = "http://127.0.0.1:9/webhook"

["db/postgres"]
username = "ana"
password = "local-dev-pass"  # pragma: allowlist secret
port = 5432
"""


class RunningCommand:
    """A `pipelines vault dev` process and the lines it printed."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(PIPELINES_SCRIPT), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def exports(self, count: int, timeout: float = 30.0) -> dict[str, str]:
        """The first `count` `export NAME=value` lines, as a dict."""
        exports = {}
        while len(exports) < count:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty as exc:
                self.process.kill()
                raise AssertionError(
                    f"no export line; stderr: {self.process.stderr.read()}"
                ) from exc
            name, _, value = line.removeprefix("export ").partition("=")
            exports[name] = value
        return exports


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment without any VAULT_* setting."""
    for name in (
        "VAULT_ADDRESS",
        "VAULT_TOKEN",
        "VAULT_MOUNT_POINT",
        "VAULT_KV_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    """A local secrets file with two secrets."""
    path = tmp_path / ".secrets.local.toml"
    path.write_text(SECRETS_TOML, encoding="utf-8")
    return path


@pytest.fixture
def stop_leftovers() -> Iterator[list[RunningCommand]]:
    """Kills commands a failed test left running."""
    commands: list[RunningCommand] = []
    yield commands
    for command in commands:
        if command.process.poll() is None:
            command.process.kill()
            command.process.wait()


def _is_answering(address: str) -> bool:
    try:
        requests.get(f"{address}/v1/sys/health", timeout=1)
    except requests.exceptions.ConnectionError:
        return False
    return True


def test_vault_dev_serves_the_file_until_ctrl_c(
    secrets_file: Path,
    clean_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    stop_leftovers: list[RunningCommand],
) -> None:
    command = RunningCommand(
        ["vault", "dev", "--secrets-file", str(secrets_file), "--port", "0"], clean_env
    )
    stop_leftovers.append(command)

    exports = command.exports(2)
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    secret = get_vault_secret("db/postgres")
    webhook = get_vault_secret("discord_webhooks/flow_failures")
    command.process.send_signal(signal.SIGINT)
    returncode = command.process.wait(timeout=15)
    stderr = command.process.stderr.read()

    assert sorted(exports) == ["VAULT_ADDRESS", "VAULT_TOKEN"]
    assert exports["VAULT_ADDRESS"].startswith("http://127.0.0.1:")
    assert secret == {"username": "ana", "password": LOCAL_PASSWORD, "port": 5432}
    assert webhook == {"url": "http://127.0.0.1:9/webhook"}
    assert returncode == 0
    assert "2 secret(s)" in stderr
    assert "Dev Vault stopped" in stderr
    assert LOCAL_PASSWORD not in stderr
    assert not _is_answering(exports["VAULT_ADDRESS"])


def test_vault_dev_kv1_mount_exports_its_settings_and_stops_on_sigterm(
    secrets_file: Path,
    clean_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    stop_leftovers: list[RunningCommand],
) -> None:
    args = [
        "vault",
        "dev",
        "-f",
        str(secrets_file),
        "--port",
        "0",
        "--mount-point",
        "kv",
        "--kv-version",
        "1",
    ]
    command = RunningCommand(args, clean_env)
    stop_leftovers.append(command)

    exports = command.exports(4)
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    secret = get_vault_secret("db/postgres")
    command.process.send_signal(signal.SIGTERM)
    returncode = command.process.wait(timeout=15)

    assert exports["VAULT_MOUNT_POINT"] == "kv"
    assert exports["VAULT_KV_VERSION"] == "1"
    assert secret["password"] == LOCAL_PASSWORD
    assert returncode == 0
    assert not _is_answering(exports["VAULT_ADDRESS"])


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('[a\nb = "valor-secreto"', "is not valid TOML"),
        (
            'token = "valor-secreto"',
            "top-level entry 'token' is a str, expected a table of keys",
        ),
        (
            '[database.postgres]\nhost = "valor-secreto"',
            'quote it: ["database/postgres"]',
        ),
        ('["/"]\nkey = "valor-secreto"', "a table has an empty path '/'"),
    ],
)
def test_vault_dev_bad_secrets_file_is_one_clear_line(
    tmp_path: Path, clean_env: dict[str, str], content: str, match: str
) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text(content, encoding="utf-8")

    result = CliRunner().invoke(app, ["vault", "dev", "-f", str(path), "--port", "0"])

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Secrets file")
    assert result.stderr.count("\n") == 1
    assert match in result.stderr
    assert "valor-secreto" not in result.stderr


def test_vault_dev_missing_file_points_to_the_example(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    result = CliRunner().invoke(
        app, ["vault", "dev", "-f", str(tmp_path / "none.toml")]
    )

    assert result.exit_code == 1
    assert "does not exist; copy .secrets.local.example.toml to it" in result.stderr


def test_vault_dev_port_in_use_is_reported(
    secrets_file: Path, clean_env: dict[str, str]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]

        result = CliRunner().invoke(
            app, ["vault", "dev", "-f", str(secrets_file), "--port", str(port)]
        )

    assert result.exit_code == 1
    assert f"Port {port} (or {port + 1}" in result.stderr
    assert "is already in use; pass --port with another port" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "match"),
    [
        (["--kv-version", "3"], {}, "--kv-version is 3; expected 1 or 2"),
        (
            [],
            {"VAULT_KV_VERSION": "three"},
            "VAULT_KV_VERSION is 'three'; expected 1 or 2",
        ),
        (["--port", "70000"], {}, "--port is 70000; expected 0"),
    ],
)
def test_vault_dev_bad_option_is_one_clear_line(
    secrets_file: Path,
    clean_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    match: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(app, ["vault", "dev", "-f", str(secrets_file), *args])

    assert result.exit_code == 1
    assert match in result.stderr


def test_read_secrets_file_reads_the_committed_example() -> None:
    secrets = read_secrets_file(REPO_ROOT / ".secrets.local.example.toml")

    assert set(secrets) == {
        "discord_webhooks/flow_failures",
        "db/postgres_exemplo",
        "dump_db_exemplo",
        "riomidia",
    }
    assert set(secrets["db/postgres_exemplo"]) >= {"username", "password"}
    assert secrets["discord_webhooks/flow_failures"]["url"].startswith(
        "http://127.0.0.1:"
    )


def _detect_secrets(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DETECT_SECRETS_HOOK), "--baseline", ".secrets.baseline", *map(str, paths)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_detect_secrets_hook_blocks_a_fake_credential(tmp_path: Path) -> None:
    leaky = tmp_path / "settings.py"
    # built at run time, so that this test file itself holds no credential
    fake_key = "AKIA" + "Q" * 16
    leaky.write_text(f'AWS_ACCESS_KEY_ID = "{fake_key}"\n', encoding="utf-8")
    clean = tmp_path / "clean.py"
    clean.write_text('DATASET_ID = "adm_central_atendimento_1746"\n', encoding="utf-8")

    blocked = _detect_secrets(leaky)
    allowed = _detect_secrets(clean, REPO_ROOT / ".secrets.local.example.toml")

    assert blocked.returncode == 1
    assert "AWS Access Key" in blocked.stdout
    assert str(leaky) in blocked.stdout
    assert allowed.returncode == 0, allowed.stdout
