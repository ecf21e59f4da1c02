"""`download_to` against a real local HTTP server and real local files."""

import socket
from pathlib import Path

import pytest

from pipelines.utils.dump_url.download import download_to, resolve_local_path
from pipelines.utils.exceptions import DownloadError, InvalidParameterError

SAMPLES = [
    "inmet_a652_rio_forte_copacabana_2022-01.csv",
    "rio_1746_chamados_2023-04-01.csv",
    "rio_bairros_datario.csv",
    "rj_isp_delegacias.csv",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_download_to_copies_a_served_file_byte_for_byte(
    data_server, data_dir: Path, tmp_path: Path, name: str
) -> None:
    destination = download_to(data_server.data_url(name), tmp_path / "data")

    assert destination == tmp_path / "data"
    assert destination.read_bytes() == (data_dir / name).read_bytes()


def test_download_to_gzip_content_encoding_is_decoded_and_not_taken_for_truncation(
    data_server, data_dir: Path, tmp_path: Path
) -> None:
    name = "rio_1746_chamados_2023-04-01.csv"

    destination = download_to(data_server.url(f"/gzip/{name}"), tmp_path / "data")

    assert destination.read_bytes() == (data_dir / name).read_bytes()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing.csv", r"failed with HTTP 404 Not Found; check the URL"),
        (
            "/error-page",
            r"returned an HTML page \(Content-Type 'text/html; charset=utf-8'\)",
        ),
        ("/html-as-csv", r"returned an HTML page \(Content-Type 'text/csv'\)"),
        ("/truncated", r"(was truncated|was cut off).*nothing was loaded"),
        ("/empty", r"returned an empty file; nothing to load"),
    ],
    ids=["404", "html-error-page", "html-served-as-csv", "truncated", "empty"],
)
def test_download_to_bad_response_raises_and_leaves_no_file(
    data_server, tmp_path: Path, path: str, message: str
) -> None:
    destination = tmp_path / "data"

    with pytest.raises(DownloadError, match=message) as raised:
        download_to(data_server.url(path), destination)

    assert data_server.url(path) in str(raised.value)
    assert not destination.exists()


@pytest.mark.parametrize("path", ["/slow", "/stall-mid-body"])
def test_download_to_slow_server_times_out_with_the_limit_in_the_message(
    data_server, tmp_path: Path, path: str
) -> None:
    destination = tmp_path / "data"

    with pytest.raises(DownloadError, match=r"timed out after 0\.5 s; retry later"):
        download_to(data_server.url(path), destination, timeout_seconds=0.5)

    assert not destination.exists()


def test_download_to_refused_connection_says_it_could_not_connect(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.csv"

    with pytest.raises(DownloadError, match=r"could not connect"):
        download_to(url, tmp_path / "data", timeout_seconds=2)

    assert not (tmp_path / "data").exists()


def test_download_to_binary_body_is_downloaded_as_is(
    data_server, tmp_path: Path
) -> None:
    """Refusing non-text data is the reader's job (see test_reader): bytes arrive."""
    destination = download_to(data_server.url("/binary"), tmp_path / "data")

    assert destination.read_bytes()[:2] == b"\x1f\x8b"


@pytest.mark.parametrize("form", ["absolute", "file-url", "repository-relative"])
def test_download_to_local_file_is_copied(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    source = data_dir / "rio_bairros_datario.csv"
    location = {
        "absolute": str(source),
        "file-url": source.as_uri(),
        "repository-relative": "tests/data/rio_bairros_datario.csv",
    }[form]
    monkeypatch.chdir(tmp_path)  # relative paths must also work from elsewhere

    destination = download_to(location, tmp_path / "data")

    assert destination.read_bytes() == source.read_bytes()


def test_resolve_local_path_missing_file_names_the_places_looked(
    tmp_path: Path,
) -> None:
    with pytest.raises(
        DownloadError, match=r"'nao_existe\.csv' does not exist \(looked in"
    ):
        resolve_local_path("nao_existe.csv")


def test_download_to_empty_local_file_raises(tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")

    with pytest.raises(DownloadError, match=r"returned an empty file"):
        download_to(str(source), tmp_path / "data")

    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("url", ["ftp://example.org/x.csv", "s3://bucket/x.csv"])
def test_download_to_unsupported_scheme_raises(tmp_path: Path, url: str) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"has scheme '(ftp|s3)'; expected http"
    ):
        download_to(url, tmp_path / "data")

    assert not (tmp_path / "data").exists()
