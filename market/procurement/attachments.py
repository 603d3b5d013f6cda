"""Which files a procurement may carry: type by extension, media type and first bytes;
size per file, number and total per procurement (reference data)."""

from __future__ import annotations

from market.errors import InvalidInput
from market.procurement.terms import AttachmentTerms, AttachmentType


def check_attachment(
    terms: AttachmentTerms, filename: str, head: bytes, size: int, *, files: int = 0, total: int = 0
) -> AttachmentType:
    """The type of a file about to be attached, or the refusal; ``files`` and ``total`` are
    how many and how many bytes the procurement already carries. ``head`` is the file's
    first bytes: a renamed executable is not a PDF."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else ""
    kind = terms.by_extension(extension)
    allowed = ", ".join(t.extension.upper() for t in terms.types)
    if kind is None:
        raise InvalidInput(f"{filename!r}: attachments are {allowed}", field="file", allowed=allowed)
    if not head.startswith(kind.magic):
        raise InvalidInput(f"{filename!r} is not a {kind.name} inside", field="file")
    if size > terms.max_bytes:
        raise InvalidInput(f"{filename!r} is {size} bytes; a file is at most {terms.max_bytes}", field="file")
    if files + 1 > terms.max_files:
        raise InvalidInput(f"a procurement carries at most {terms.max_files} files", field="file")
    if total + size > terms.max_total_bytes:
        raise InvalidInput(
            f"the files together would be {total + size} bytes; at most {terms.max_total_bytes}", field="file"
        )
    return kind
