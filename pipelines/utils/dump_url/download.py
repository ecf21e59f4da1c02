"""Fetching a data file from a URL (http/https) or a local path into a local file.

A download that fails in any way (HTTP error, an HTML page where data was expected,
a timeout, fewer bytes than announced) raises `DownloadError` and leaves no file.
"""

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

from pipelines.utils.exceptions import DownloadError, InvalidParameterError

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
CHUNK_BYTES = 1 << 20
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")


def resolve_local_path(location: str) -> Path:
    """Finds a local file given as a path or `file://` URL.

    Relative paths are tried against the working directory, then against the
    repository root, so a flow's default works wherever it runs from.

    Raises:
        DownloadError: no such file.
    """
    parsed = urlparse(location)
    raw = unquote(parsed.path) if parsed.scheme == "file" else location
    path = Path(raw).expanduser()
    candidates = (
        [path] if path.is_absolute() else [Path.cwd() / path, REPOSITORY_ROOT / path]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise DownloadError(
        f"Local file {location!r} does not exist (looked in "
        f"{', '.join(str(c) for c in candidates)}); check the path or pass an http(s) URL."
    )


def download_to(url: str, destination: Path, *, timeout_seconds: float = 60.0) -> Path:
    """Copies the data at `url` to `destination`.

    Args:
        url: `http://`, `https://`, `file://` or a local path.
        destination: the file to write; removed again if anything fails.
        timeout_seconds: longest wait for the server to connect or send a chunk.

    Returns:
        `destination`.

    Raises:
        DownloadError: the data could not be fetched whole.
        InvalidParameterError: the URL scheme is not supported.
    """
    scheme = urlparse(url).scheme.lower()
    try:
        if scheme in ("http", "https"):
            _download_http(url, destination, timeout_seconds)
        elif scheme in ("", "file") or (len(scheme) == 1 and url[1:3] == ":\\"):
            shutil.copyfile(resolve_local_path(url), destination)
        else:
            raise InvalidParameterError(
                f"url={url!r} has scheme {scheme!r}; expected http, https, file or a "
                "local path."
            )
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    if destination.stat().st_size == 0:
        destination.unlink()
        raise DownloadError(
            f"Downloading {url!r} returned an empty file; nothing to load."
        )
    return destination


def _download_http(url: str, destination: Path, timeout_seconds: float) -> None:
    import requests
    from urllib3.exceptions import ReadTimeoutError

    response = None
    try:
        with requests.get(url, stream=True, timeout=(10, timeout_seconds)) as response:
            if response.status_code >= 400:
                raise DownloadError(
                    f"Downloading {url!r} failed with HTTP {response.status_code} "
                    f"{response.reason}; check the URL, or whether the source is up."
                )
            content_type = response.headers.get("Content-Type", "").lower()
            expected = response.headers.get("Content-Length")
            is_first_chunk = True
            with open(destination, "wb") as file:
                for chunk in response.iter_content(CHUNK_BYTES):
                    if is_first_chunk and _looks_like_html(chunk, content_type):
                        raise DownloadError(
                            f"Downloading {url!r} returned an HTML page "
                            f"(Content-Type {content_type or 'unknown'!r}), not a data "
                            "file; the URL probably leads to an error or login page."
                        )
                    is_first_chunk = is_first_chunk and not chunk.strip()
                    file.write(chunk)
            # NOTE: Content-Length counts the bytes on the wire, which differ from the
            # bytes written when the server compresses (Content-Encoding: gzip).
            received = response.raw.tell()
    except requests.Timeout as exc:
        raise _timed_out(url, timeout_seconds) from exc
    except requests.ConnectionError as exc:
        if response is None:
            raise DownloadError(
                f"Downloading {url!r} failed: could not connect ({exc}); check the URL, "
                "or whether the source is up."
            ) from exc
        if any(isinstance(arg, ReadTimeoutError) for arg in exc.args):
            raise _timed_out(url, timeout_seconds) from exc
        raise _cut_off(url, exc) from exc
    except (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    ) as exc:
        raise _cut_off(url, exc) from exc
    if expected is not None and expected.isdigit() and received != int(expected):
        raise DownloadError(
            f"Downloading {url!r} was truncated: received {received} of {expected} bytes; "
            "nothing was loaded. Retry later."
        )


def _timed_out(url: str, timeout_seconds: float) -> DownloadError:
    return DownloadError(
        f"Downloading {url!r} timed out after {timeout_seconds:g} s; retry later or "
        "raise timeout_seconds."
    )


def _cut_off(url: str, exc: Exception) -> DownloadError:
    return DownloadError(
        f"Downloading {url!r} was cut off ({type(exc).__name__}: {exc}); the file is "
        "incomplete, nothing was loaded. Retry later."
    )


def _looks_like_html(first_chunk: bytes, content_type: str) -> bool:
    head = first_chunk[:512].lstrip().lower()
    return "text/html" in content_type or head.startswith(HTML_MARKERS)
