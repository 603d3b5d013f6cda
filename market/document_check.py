"""The check of an uploaded copy: "is this the PDF the platform issued as document X?".

Anyone holding a copy may ask (the verification page, the API). The seal is checked by
:mod:`contracts` (pyHanko); then the bytes are compared with those stored for X. A bad file
is never an error, only a clean negative answer, said in Chinese for the public page.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from market.db import UnitOfWork
from market.document_office import DocumentOffice
from market.documents import get_document
from market.errors import InvalidInput
from market.models import DocumentStatus

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class CopyVerdict(StrEnum):
    """How an uploaded copy relates to the document it was checked against."""

    NOT_ISSUED = "not_issued"  # the seal is missing, broken or not the platform's
    OTHER_DOCUMENT = "other_document"  # sealed by the platform, but as another document
    SAME_DOCUMENT = "same_document"

    def says(self, *, reason: str = "", status: DocumentStatus = DocumentStatus.VALID) -> str:
        """The answer shown to the person who uploaded the copy."""
        return _SAYS[self].format(reason=reason, status=status.label)


_SAYS = {
    CopyVerdict.NOT_ISSUED: "不是本平台签发的文件（not issued by this platform）：{reason}",
    CopyVerdict.OTHER_DOCUMENT: "该文件由本平台签发，但不是此编号对应的文件（issued by this platform, "
    "but not this document）。",
    CopyVerdict.SAME_DOCUMENT: "与本平台签发的原件一致，文件状态：{status}。",
}


@dataclass(frozen=True, slots=True)
class UploadCheck:
    """The answer to "is this the PDF the platform issued as document X?"."""

    issued_by_platform: bool
    matches_document: bool
    status: str | None
    code: str
    message: str
    sha256: str


async def check_upload(uow: UnitOfWork, office: DocumentOffice, document_id: str, pdf: bytes) -> UploadCheck:
    """Checks the seal (pyHanko), then that the bytes are exactly those stored for
    ``document_id``. Never raises for a bad file: a clean negative answer instead."""
    row = await get_document(uow, document_id)
    if len(pdf) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", field="file")
    result = await office.check(pdf)
    matches = result.issued_by_platform and result.sha256 == row.sha256
    if not result.issued_by_platform:
        message = CopyVerdict.NOT_ISSUED.says(reason=result.message)
        code = str(result.code)
    elif not matches:
        message = CopyVerdict.OTHER_DOCUMENT.says()
        code = CopyVerdict.OTHER_DOCUMENT.value
    else:
        message = CopyVerdict.SAME_DOCUMENT.says(status=row.status)
        code = "valid" if row.status is DocumentStatus.VALID else str(row.status)
    return UploadCheck(
        issued_by_platform=result.issued_by_platform,
        matches_document=matches,
        status=row.status.value,
        code=code,
        message=message,
        sha256=result.sha256,
    )
