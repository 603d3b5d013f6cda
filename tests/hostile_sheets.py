"""Import files made to hurt: damaged, inflating, declaring entities, too long. Shared by
the unit tests of the sheet reader and the end-to-end test of the import endpoint."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable

from openpyxl import Workbook  # type: ignore[import-untyped]

SHEET = "xl/worksheets/sheet1.xml"
HEADERS = ["统一社会信用代码", "企业名称"]


def workbook(rows: int = 2) -> bytes:
    """A small valid workbook: a header and ``rows`` rows."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for n in range(rows):
        sheet.append([f"9144020000000000{n:02d}", f"韶关市第{n}建筑有限公司"])
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()


def rewrite(data: bytes, part: str, change: Callable[[bytes], bytes],
            compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The package with ``part`` changed; the zip itself stays well formed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", compression, compresslevel=9 if compression else None) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item.filename, change(content) if item.filename == part else content)
    return out.getvalue()


def _sheet_xml(rows: bytes) -> bytes:
    return (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>" + rows + b"</sheetData></worksheet>")


def truncated_sheet() -> bytes:
    return rewrite(workbook(), SHEET, lambda xml: xml[: len(xml) // 2])


def bad_crc() -> bytes:
    """A stored package in which one cell reference of the sheet was changed after its CRC
    was taken: still well-formed XML, so only the CRC can tell. Large enough that the
    reader meets the CRC while it iterates the rows, not while it opens the workbook."""
    data = bytearray(rewrite(workbook(2000), SHEET, lambda xml: xml, compression=zipfile.ZIP_STORED))
    at = data.index(b'<c r="A1"')
    data[at + 7] = ord("9")
    return bytes(data)


def with_doctype() -> bytes:
    """The sheet declares an entity that expands a thousand-fold at each level."""
    laughs = b'<!DOCTYPE worksheet [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    return rewrite(workbook(), SHEET, lambda xml: laughs + xml.replace(b"<t>", b"<t>&b;", 1))


def zip_bomb(megabytes: int = 60) -> bytes:
    """A workbook whose sheet inflates from a few dozen KB to ``megabytes`` MB."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>y</t></is></c></row>'
    rows = row * (megabytes * 1024 * 1024 // len(row))
    return rewrite(workbook(), SHEET, lambda xml: _sheet_xml(rows))


def lying_sizes() -> bytes:
    """The bomb again, its sheet declaring 1 KB in both headers: only the reading can tell."""
    data = bytearray(zip_bomb(60))
    name = SHEET.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at: at + name_at + len(name)] == name:
                struct.pack_into("<I", data, at + size_at, 1024)
            at = data.find(signature, at + 4)
    return bytes(data)


def many_rows(count: int) -> bytes:
    """``count`` small numbered rows: little to inflate, too many to import."""
    rows = b"".join(b'<row r="%d"><c r="A%d" t="n"><v>%d</v></c></row>' % (n, n, n * 7919 % 10007)
                    for n in range(1, count + 1))
    return rewrite(workbook(), SHEET, lambda xml: _sheet_xml(rows))


def far_row(line: int) -> bytes:
    """Two rows, the second numbered ``line``: the reader would fill the gap with blanks."""
    return rewrite(workbook(), SHEET, lambda xml: re.sub(
        rb'<row r="3">.*?</row>', f'<row r="{line}"><c r="A{line}" t="n"><v>1</v></c></row>'.encode(), xml))
