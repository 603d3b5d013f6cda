"""Reading a sheet for the registry import: a .csv (UTF-8 with or without BOM, else
GB18030, the encoding Chinese Excel saves in) or the first sheet of an .xlsx. Only cells
come out of here; what they mean is :mod:`market.registry.importing`'s business.

A file is bounded before it is parsed and while it is read (:data:`MAX_IMPORT_ROWS`,
:data:`MAX_IMPORT_COLUMNS`, :data:`MAX_CSV_BYTES`, and the package checks of
:mod:`market.registry.xlsx_package`), so a hostile file is refused at once with the limit
it broke, never after twenty seconds of parsing nor with a 500."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from market.errors import InvalidInput
from market.registry.xlsx_package import MAX_XLSX_BYTES, megabytes, unpack_xlsx

#: Lines of a sheet (header and blank lines included) one import reads: a city's whole
#: registry is a few thousand firms; the import benchmark's file has 10,000.
MAX_IMPORT_ROWS = 20_000

#: Columns of a sheet; the import template has 14, and six more per licence.
MAX_IMPORT_COLUMNS = 200

#: Size of a .csv file (the 10,000-row benchmark file is 5.4 MB).
MAX_CSV_BYTES = 20 * 1024 * 1024

_ROW_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet as read: header cells, and the non-blank rows with their line (header = 1)."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]


def cell_text(value: Any) -> str:
    """A cell as the user would have typed it."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _blank(cells: Sequence[Any]) -> bool:
    return all(cell_text(c) == "" for c in cells)


def read_table(data: bytes, filename: str) -> Table:
    """Read a .csv (UTF-8 with or without BOM, else GB18030) or .xlsx (first sheet)."""
    suffix = Path(filename).suffix.lower()
    if not data.strip():
        raise InvalidInput(f"{filename} is empty", field="file")
    if suffix == ".xls":
        raise InvalidInput("old .xls workbooks are not read; save the sheet as .xlsx or CSV", field="file")
    if suffix == ".xlsx" or (suffix != ".csv" and data[:4] == b"PK\x03\x04"):
        table = _read_xlsx(data, filename)
    elif suffix in (".csv", ".txt", ""):
        table = _read_csv(data, filename)
    else:
        raise InvalidInput(f"{filename}: only .csv and .xlsx files can be imported", field="file")
    if not table.headers:
        raise InvalidInput(f"{filename} is empty", field="file")
    if not table.rows:
        raise InvalidInput(f"{filename} has a header row but no data rows", field="file")
    return table


def _too_many_rows(filename: str, rows: int | None = None) -> InvalidInput:
    counted = f"{rows} rows" if rows is not None else f"more than {MAX_IMPORT_ROWS} rows"
    return InvalidInput(
        f"{filename} has {counted}; at most {MAX_IMPORT_ROWS} are imported at once (split the file)",
        field="file",
    )


def _table(lines: Iterable[tuple[int, Sequence[Any]]], filename: str) -> Table:
    """The header and the non-blank rows, refusing the sheet as soon as it has too many
    rows or too wide a row."""
    headers: list[str] = []
    rows: list[tuple[int, list[Any]]] = []
    for line, cells in lines:
        if line > MAX_IMPORT_ROWS:
            raise _too_many_rows(filename)
        if len(cells) > MAX_IMPORT_COLUMNS:
            raise InvalidInput(
                f"{filename} line {line} has {len(cells)} columns; at most {MAX_IMPORT_COLUMNS} are read",
                field="file",
                line=line,
            )
        if _blank(cells):
            continue
        if not headers:
            headers = [cell_text(c) for c in cells]
        else:
            rows.append((line, list(cells)))
    return Table(headers, rows)


def _read_csv(data: bytes, filename: str) -> Table:
    if len(data) > MAX_CSV_BYTES:
        raise InvalidInput(
            f"{filename} is {megabytes(len(data))}; a .csv file may have at most {megabytes(MAX_CSV_BYTES)}",
            field="file",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(f"{filename} is neither UTF-8 nor GB18030 text", field="file")
    first = text.split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter="\t" if first.count("\t") > first.count(",") else ","
    )

    def records() -> Iterator[tuple[int, list[str]]]:
        while True:
            line = reader.line_num + 1  # where the record starts: a quoted cell may span lines
            try:
                yield line, next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InvalidInput(f"{filename} line {line}: {exc}", field="file", line=line) from None

    return _table(records(), filename)


def _read_xlsx(data: bytes, filename: str) -> Table:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs published
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    if len(data) > MAX_XLSX_BYTES:
        raise InvalidInput(
            f"{filename} is {megabytes(len(data))}; a workbook may have at most {megabytes(MAX_XLSX_BYTES)}",
            field="file",
        )
    package = unpack_xlsx(data, filename)
    _count_rows(package, filename)
    # Whatever openpyxl or its XML parser stumbles on in a checked package (a truncated
    # sheet, an element without its attributes) is a damaged file, not a server error.
    unreadable = (
        zipfile.BadZipFile,
        InvalidFileException,
        SyntaxError,
        KeyError,
        ValueError,
        TypeError,
        IndexError,
        AttributeError,
        OSError,
    )
    try:
        book = load_workbook(io.BytesIO(package), read_only=True, data_only=True)
    except unreadable as exc:
        raise _unreadable(filename, exc) from None
    try:
        sheet = book.worksheets[0]
        # read-only mode trusts the size the file declares, and some tools declare it wrong:
        # without this, rows past the declared size would vanish without a word
        sheet.reset_dimensions()
        return _table(enumerate(sheet.iter_rows(values_only=True), start=1), filename)
    except unreadable as exc:
        raise _unreadable(filename, exc) from None
    finally:
        book.close()


def _unreadable(filename: str, exc: BaseException) -> InvalidInput:
    detail = f" ({exc})" if isinstance(exc, SyntaxError) else ""  # the parser's line and column
    return InvalidInput(f"{filename} is not a readable .xlsx workbook{detail}", field="file")


def _count_rows(package: bytes, filename: str) -> None:
    """Refuse a sheet of too many rows before it is parsed: counting row elements is a
    scan of bytes, parsing them is most of the twenty seconds."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for part in archive.infolist():
            if part.filename.lower().startswith("xl/worksheets/"):
                rows = len(_ROW_ELEMENT.findall(archive.read(part)))
                if rows > MAX_IMPORT_ROWS:
                    raise _too_many_rows(filename, rows)
