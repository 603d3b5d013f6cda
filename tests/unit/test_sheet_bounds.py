"""A hostile or damaged import file is refused with the problem named (a 422, never a
500), and before the parser spends its time on it."""

from __future__ import annotations

import io
import zipfile

import pytest

from market.errors import InvalidInput
from market.registry import sheets, xlsx_package
from market.registry.sheets import MAX_IMPORT_COLUMNS, MAX_IMPORT_ROWS, read_table
from market.registry.xlsx_package import MAX_INFLATION, MAX_XLSX_BYTES
from tests import hostile_sheets as hostile

NAME = "企业库.xlsx"


def _refusal(data: bytes, filename: str = NAME) -> str:
    with pytest.raises(InvalidInput) as error:
        read_table(data, filename)
    assert error.value.details["field"] == "file"
    return str(error.value)


def test_a_valid_workbook_still_reads() -> None:
    table = read_table(hostile.workbook(3), NAME)
    assert table.headers == hostile.HEADERS
    assert [line for line, _ in table.rows] == [2, 3, 4]


def test_truncated_sheet_xml_names_where_the_xml_ends() -> None:
    assert "not a readable .xlsx workbook (no element found: line 1" in _refusal(hostile.truncated_sheet())


def test_bad_crc_names_the_damaged_part() -> None:
    message = _refusal(hostile.bad_crc())
    assert f"the part {hostile.SHEET} is damaged" in message and "CRC" in message


def test_doctype_and_entities_are_refused_before_parsing() -> None:
    message = _refusal(hostile.with_doctype())
    assert f"the part {hostile.SHEET} declares <!DOCTYPE>" in message


def test_a_utf16_xml_part_is_refused_as_it_could_hide_a_declaration() -> None:
    utf16 = hostile.rewrite(hostile.workbook(), hostile.SHEET,
                            lambda xml: xml.decode().encode("utf-16"))
    assert "is not UTF-8 XML" in _refusal(utf16)


def test_zip_bomb_is_refused_by_its_declared_size() -> None:
    message = _refusal(hostile.zip_bomb(60))
    assert "unpacks to 60.0 MB" in message and f"at most {MAX_XLSX_BYTES // 2**20}.0 MB" in message


def test_a_part_inflating_far_more_than_a_sheet_does_is_refused() -> None:
    message = _refusal(hostile.zip_bomb(10))
    assert f"inflate at most {MAX_INFLATION} times" in message


def test_a_size_the_zip_declares_falsely_does_not_get_past_the_reading() -> None:
    assert "is damaged" in _refusal(hostile.lying_sizes())


def test_inflating_stops_at_the_budget_whatever_was_declared() -> None:
    package = hostile.workbook(50)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        part = archive.getinfo(hostile.SHEET)
        with pytest.raises(InvalidInput, match="unpacks to more than"):
            b"".join(xlsx_package._inflate(archive, part, part.file_size - 1, NAME))


def test_rows_are_counted_before_the_sheet_is_parsed() -> None:
    message = _refusal(hostile.many_rows(MAX_IMPORT_ROWS + 1))
    assert f"has {MAX_IMPORT_ROWS + 1} rows; at most {MAX_IMPORT_ROWS}" in message


def test_a_row_numbered_far_below_stops_the_reading_at_the_limit() -> None:
    assert f"more than {MAX_IMPORT_ROWS} rows" in _refusal(hostile.far_row(1_000_000))


def test_csv_rows_columns_and_size_are_bounded() -> None:
    header = "统一社会信用代码,企业名称\n"
    long_csv = (header + "x,y\n" * MAX_IMPORT_ROWS).encode()
    assert f"more than {MAX_IMPORT_ROWS} rows" in _refusal(long_csv, "企业库.csv")
    wide_csv = (header + ",".join(["x"] * (MAX_IMPORT_COLUMNS + 1)) + "\n").encode()
    assert f"line 2 has {MAX_IMPORT_COLUMNS + 1} columns" in _refusal(wide_csv, "企业库.csv")
    big_csv = header.encode() + b"x" * sheets.MAX_CSV_BYTES
    assert "a .csv file may have at most 20.0 MB" in _refusal(big_csv, "企业库.csv")


def test_a_csv_at_the_row_limit_still_reads() -> None:
    rows = MAX_IMPORT_ROWS - 1
    table = read_table(("a,b\n" + "x,y\n" * rows).encode(), "企业库.csv")
    assert len(table.rows) == rows and table.rows[-1][0] == MAX_IMPORT_ROWS
