"""A real HTTP server on 127.0.0.1 serving the data samples and ways downloads fail.

Paths it answers (everything else is a 404 with an HTML body):

- `/data/<file>`: a file of `tests/data`, `text/csv`, with its Content-Length;
- `/gzip/<file>`: the same file sent with `Content-Encoding: gzip`, as many servers do;
- `/error-page`: 200 `text/html`, a portal's "try again later" page;
- `/html-as-csv`: the same kind of page, but announced as `text/csv`;
- `/truncated`: Content-Length of the whole INMET file, a third of it sent, then close;
- `/slow`: answers only after `SLOW_SECONDS` (the request times out well before);
- `/stall-mid-body`: sends headers and part of the body, then stalls `SLOW_SECONDS`;
- `/empty`: 200 with an empty body;
- `/binary`: 200 `application/octet-stream`, a gzip archive (NUL bytes, not text).
"""

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).resolve().parents[3] / "data"
INMET = "inmet_a652_rio_forte_copacabana_2022-01.csv"
CHAMADOS = "rio_1746_chamados_2023-04-01.csv"

# How long the slow endpoints stall; tests use a timeout far below it.
SLOW_SECONDS = 3.0

ERROR_PAGE = (
    b'<!DOCTYPE html>\n<html lang="pt-BR"><head><title>Erro</title></head>\n'
    b"<body><h1>Servi\xc3\xa7o indispon\xc3\xadvel</h1>"
    b"<p>Tente novamente mais tarde.</p></body></html>\n"
)


@dataclass(frozen=True)
class DataServer:
    """The running server: `url("/data/x.csv")` gives the full URL of a path."""

    base_url: str

    def url(self, path: str) -> str:
        """The URL of `path` on this server."""
        return f"{self.base_url}{path}"

    def data_url(self, name: str) -> str:
        """The URL of a file of `tests/data`."""
        return self.url(f"/data/{name}")


def _handler(stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class DataHandler(BaseHTTPRequestHandler):
        """Serves the sample files and the failure endpoints listed in the module."""

        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802  # http.server's naming
            path = self.path.split("?", 1)[0]
            if path.startswith("/data/") and (DATA_DIR / path[6:]).is_file():
                self._send(200, (DATA_DIR / path[6:]).read_bytes(), "text/csv")
            elif path.startswith("/gzip/") and (DATA_DIR / path[6:]).is_file():
                body = gzip.compress((DATA_DIR / path[6:]).read_bytes(), mtime=0)
                self._send(200, body, "text/csv", {"Content-Encoding": "gzip"})
            elif path == "/error-page":
                self._send(200, ERROR_PAGE, "text/html; charset=utf-8")
            elif path == "/html-as-csv":
                self._send(200, b"\n  " + ERROR_PAGE, "text/csv")
            elif path == "/truncated":
                body = (DATA_DIR / INMET).read_bytes()
                self._send_partial(body, len(body) // 3)
            elif path == "/slow":
                stop.wait(SLOW_SECONDS)
                self._send(200, (DATA_DIR / CHAMADOS).read_bytes(), "text/csv")
            elif path == "/stall-mid-body":
                body = (DATA_DIR / CHAMADOS).read_bytes()
                self._send_partial(body, 1000, stall=True)
            elif path == "/empty":
                self._send(200, b"", "text/csv")
            elif path == "/binary":
                body = gzip.compress((DATA_DIR / CHAMADOS).read_bytes(), mtime=0)
                self._send(200, body, "application/octet-stream")
            else:
                self._send(404, b"<html><body>Not Found</body></html>", "text/html")

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            headers: dict | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _send_partial(self, body: bytes, sent: int, *, stall: bool = False) -> None:
            """Announces the whole body, sends `sent` bytes, then stalls or closes."""
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:sent])
            self.wfile.flush()
            if stall:
                stop.wait(SLOW_SECONDS)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Keeps the test output quiet."""

    return DataHandler


@pytest.fixture(scope="session")
def data_server() -> Iterator[DataServer]:
    """A ThreadingHTTPServer on a free port of 127.0.0.1, for the whole session."""
    stop = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stop))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield DataServer(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        stop.set()  # releases any handler still stalling
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
