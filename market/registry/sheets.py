"""Reading a sheet for the registry import: a .csv (UTF-8 with or without BOM, else
GB18030, the encoding Chinese Excel saves in) or the first sheet of an .xlsx. Only cells
come out of here; what they mean is :mod:`market.registry.importing`'s business."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from market.errors import InvalidInput


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


def _read_csv(data: bytes, filename: str) -> Table:
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
    headers: list[str] = []
    rows: list[tuple[int, list[Any]]] = []
    while True:
        line = reader.line_num + 1  # where the record starts: a quoted cell may span lines
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidInput(f"{filename} line {line}: {exc}", field="file", line=line) from None
        if not headers:
            if not _blank(cells):
                headers = [c.strip() for c in cells]
        elif not _blank(cells):
            rows.append((line, list(cells)))
    return Table(headers, rows)


def _read_xlsx(data: bytes, filename: str) -> Table:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs published
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise InvalidInput(f"{filename} is not a readable .xlsx workbook", field="file") from None
    try:
        headers: list[str] = []
        rows: list[tuple[int, list[Any]]] = []
        sheet = book.worksheets[0]
        # read-only mode trusts the size the file declares, and some tools declare it wrong:
        # without this, rows past the declared size would vanish without a word
        sheet.reset_dimensions()
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not headers:
                if not _blank(values):
                    headers = [cell_text(v) for v in values]
            elif not _blank(values):
                rows.append((line, list(values)))
        return Table(headers, rows)
    finally:
        book.close()
