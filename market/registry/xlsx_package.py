"""The .xlsx package checked before any XML parser sees it.

An .xlsx is a zip of XML parts. Three things in one are dangerous to a server and
ordinary in none a person saves from Excel, WPS or LibreOffice, so they are refused here
with what was found:

* size: a 92 KB file that unzips to 60 MB took 20 s to parse. The sizes the zip declares
  are checked first (:data:`MAX_XLSX_BYTES` in all, :data:`MAX_INFLATION` times its
  compressed size for a large part), then every part is inflated with a hard stop, since
  a declared size can lie;
* damage: a bad CRC, a truncated deflate stream, an encrypted part;
* XML declarations (``<!DOCTYPE``, ``<!ENTITY``): entity expansion and external
  entities; and XML parts in UTF-16, in which such a declaration would not be seen.

What comes out is the same package, stored without compression, holding exactly the bytes
that were checked, for openpyxl to read.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator

from market.errors import InvalidInput

_MB = 1024 * 1024

#: Uncompressed size of all parts of a workbook: a 10,000-row import sheet of 32 columns
#: unpacks to 25 MB, so this leaves room for twice that.
MAX_XLSX_BYTES = 50 * _MB

#: Largest compression ratio of a part above :data:`_INFLATION_GRACE`: sheets compress
#: about 10:1, a zip bomb a thousand times or more.
MAX_INFLATION = 100

#: Parts in a workbook; an ordinary one has a dozen or two.
MAX_XLSX_PARTS = 1_000

_INFLATION_GRACE = 1 * _MB  # small parts may compress very well without harm
_CHUNK = 256 * 1024
_XML_PART = re.compile(r"\.(xml|rels|vml)$", re.IGNORECASE)
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def megabytes(size: int) -> str:
    """A size as a person reads it in a message."""
    return f"{size / _MB:.1f} MB"


def _too_large(filename: str, size: int, *, declared: bool) -> InvalidInput:
    size_text = megabytes(size) if declared else f"more than {megabytes(size)}"
    return InvalidInput(
        f"{filename} unpacks to {size_text}; a workbook may unpack to at most "
        f"{megabytes(MAX_XLSX_BYTES)} (split the sheet or save it as CSV)",
        field="file",
    )


def _damaged(filename: str, why: str) -> InvalidInput:
    return InvalidInput(f"{filename} is not a readable .xlsx workbook: {why}", field="file")


def unpack_xlsx(data: bytes, filename: str) -> bytes:
    """The checked package (see the module's docstring), or :class:`InvalidInput` naming
    the problem and, for a size, the limit."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise _damaged(filename, f"not a zip package ({exc})") from None
    with archive:
        parts = [p for p in archive.infolist() if not p.is_dir()]
        _check_declared(parts, filename)
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as checked:
            budget = MAX_XLSX_BYTES
            for part in parts:
                content = b"".join(_inflate(archive, part, budget, filename))
                budget -= len(content)
                if _XML_PART.search(part.filename):
                    _check_xml(content, part.filename, filename)
                checked.writestr(part.filename, content)
    return copy.getvalue()


def _check_declared(parts: list[zipfile.ZipInfo], filename: str) -> None:
    if len(parts) > MAX_XLSX_PARTS:
        raise _damaged(filename, f"{len(parts)} parts, more than the {MAX_XLSX_PARTS} a workbook has")
    names = [p.filename for p in parts]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise _damaged(filename, f"the part {twice} is in the package twice")
    declared = sum(p.file_size for p in parts)
    if declared > MAX_XLSX_BYTES:
        raise _too_large(filename, declared, declared=True)
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size > _INFLATION_GRACE and ratio > MAX_INFLATION:
            raise InvalidInput(
                f"{filename}: the part {part.filename} inflates {ratio} times to "
                f"{megabytes(part.file_size)}; a workbook's parts inflate at most {MAX_INFLATION} times",
                field="file",
            )


def _inflate(archive: zipfile.ZipFile, part: zipfile.ZipInfo, budget: int, filename: str) -> Iterator[bytes]:
    """The part's bytes, stopping past ``budget`` whatever the zip declared."""
    read = 0
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                read += len(chunk)
                if read > budget:
                    raise _too_large(filename, MAX_XLSX_BYTES - budget + read, declared=False)
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise _damaged(filename, f"the part {part.filename} is damaged ({exc})") from None


def _check_xml(content: bytes, part: str, filename: str) -> None:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or content[:2] in (b"<\x00", b"\x00<"):
        raise _damaged(filename, f"the part {part} is not UTF-8 XML")
    found = _DECLARATION.search(content)
    if found is not None:
        raise InvalidInput(
            f"{filename}: the part {part} declares <!{found.group(1).decode().upper()}>; XML "
            "declarations (entities, DTDs) are not accepted in a workbook",
            field="file",
        )
