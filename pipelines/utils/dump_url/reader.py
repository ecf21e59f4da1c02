"""Reading a delimited text file into Arrow: encoding, delimiter and decimal detected.

Integer columns with empty cells stay integers (with NULLs), never `3.0`; digits
with leading zeros (CEP, CPF, codes such as `007`) stay text, as written; ISO dates
and timestamps become typed columns; every other value is kept as text.
"""

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.utils.dump_url.columns import clean_column_names
from pipelines.utils.exceptions import FileFormatError

if TYPE_CHECKING:
    import pyarrow as pa

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
LEADING_ZERO = r"^[+-]?0[0-9]"


@dataclass(frozen=True)
class CsvFormat:
    """How a delimited file is written."""

    encoding: str
    delimiter: str
    decimal: str


def detect_format(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> CsvFormat:
    """Works out the encoding, delimiter and decimal separator of a file.

    Values given are checked and kept; the others are detected from the file.

    Raises:
        FileFormatError: the file does not decode with the encoding given or found.
    """
    encoding = _check_encoding(path, encoding) if encoding else _detect_encoding(path)
    with open(path, encoding=encoding, newline="") as file:
        sample = file.read(SAMPLE_BYTES)
    lines = sample.splitlines()[:50]
    if delimiter is None:
        try:
            delimiter = (
                csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
            )
        except csv.Error:
            delimiter = ","
    if decimal is None:
        decimal = "."
        if delimiter != ",":
            cells = (
                cell.strip() for line in lines[1:] for cell in line.split(delimiter)
            )
            if any(DECIMAL_COMMA.match(cell) for cell in cells):
                decimal = ","
    return CsvFormat(encoding=encoding, delimiter=delimiter, decimal=decimal)


def read_delimited(path: Path, file_format: CsvFormat) -> "pa.Table":
    """Reads a whole delimited file into an Arrow table with cleaned column names.

    Raises:
        FileFormatError: a line cannot be parsed (wrong number of fields, bad bytes).
    """
    import pyarrow as pa

    try:
        table = _read_csv(path, file_format)
        table = _keep_leading_zeros(path, file_format, table)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise FileFormatError(
            f"File {path.name!r} could not be read as delimited text with "
            f"delimiter={file_format.delimiter!r}, encoding={file_format.encoding!r}: "
            f"{exc}. Pass the right delimiter/encoding, or fix the file."
        ) from exc
    return table.rename_columns(clean_column_names(table.column_names))


def _read_csv(
    path: Path, file_format: CsvFormat, text_columns: list[str] | None = None
) -> "pa.Table":
    """Reads the file with Arrow's type inference, or only `text_columns`, as text."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=file_format.encoding),
        parse_options=pacsv.ParseOptions(
            delimiter=file_format.delimiter, newlines_in_values=True
        ),
        convert_options=pacsv.ConvertOptions(
            decimal_point=file_format.decimal,
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
            column_types={name: pa.string() for name in text_columns or []},
            include_columns=text_columns or [],
        ),
    )


def _keep_leading_zeros(
    path: Path, file_format: CsvFormat, table: "pa.Table"
) -> "pa.Table":
    """Puts back, as text, the integer columns where some value has a leading zero.

    Arrow reads `01310100` as the number 1310100; a CEP, a CPF or a code loses its
    zeros for good. Those columns are read again as text (only they are re-read).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    names = table.column_names
    integers = [
        name
        for name, kind in zip(names, table.schema.types)
        if pa.types.is_integer(kind) and names.count(name) == 1
    ]
    if not integers:
        return table
    text = _read_csv(path, file_format, text_columns=integers)
    for name in integers:
        if pc.any(pc.match_substring_regex(text.column(name), LEADING_ZERO)).as_py():
            table = table.set_column(names.index(name), name, text.column(name))
    return table


def _check_encoding(path: Path, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise FileFormatError(
            f"encoding={encoding!r} is not an encoding Python knows; use e.g. "
            "'utf-8' or 'latin-1'."
        ) from exc
    error = _decode_error(path, encoding)
    if error:
        raise FileFormatError(
            f"File {path.name!r} is not valid {encoding}: {error}. Pass the file's real "
            "encoding (often 'latin-1' for files saved by Brazilian spreadsheets), or "
            "leave encoding empty to detect it."
        )
    return encoding


def _detect_encoding(path: Path) -> str:
    """UTF-8 if the file decodes as such, else Windows-1252 (the encoding of files
    saved by Brazilian spreadsheets, a superset of latin-1's letters), else whatever
    charset-normalizer finds."""
    with open(path, "rb") as file:
        head = file.read(SAMPLE_BYTES)
    # Excel's "Unicode text" export: UTF-16 with a byte order mark (and NUL bytes).
    if head.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ) and not _decode_error(path, "utf-16"):
        return "utf-16"
    if b"\x00" in head:
        raise FileFormatError(
            f"File {path.name!r} is binary (it holds NUL bytes), not delimited text; "
            "check that the URL serves a CSV and not an archive or spreadsheet."
        )
    if not _decode_error(path, "utf-8"):
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    if not _decode_error(path, "cp1252"):
        return "cp1252"
    from charset_normalizer import from_path

    best = from_path(path).best()
    if best is None or _decode_error(path, best.encoding):
        raise FileFormatError(
            f"File {path.name!r} is not text in any encoding that could be detected; "
            "check that the URL serves a CSV, or pass encoding=... explicitly."
        )
    return best.encoding


def _decode_error(path: Path, encoding: str) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return f"byte {chunk[exc.start]:#04x} at offset {offset + exc.start}"
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "the file ends in the middle of a character"
    return None
