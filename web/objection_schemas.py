"""What the objection routes take and answer (msgspec), and the upload form both the API and
the pages read files from: shared by :mod:`web.controllers.objections` and
:mod:`web.controllers.objection_pages`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from litestar.datastructures import UploadFile
from litestar.params import KwargDefinition
from msgspec import Meta, Struct

from market.award.case_files import FileEntry, Upload
from market.award.objection_rules import ANSWER, GROUNDS, NOTE
from market.award.objection_views import ObjectionLine
from market.errors import InvalidInput

#: Files lodged together with one objection or complaint (the reference data's per-file and
#: total limits apply too); more is refused before any is read.
MOST_FILES = 10


@dataclass
class CaseForm:
    """The multipart form of an objection or a complaint: the grounds and any files."""

    grounds: Annotated[Any, KwargDefinition(description=f"at most {GROUNDS} characters")] = None
    files: Annotated[
        Any,
        KwargDefinition(
            description="evidence: PDF, DOCX, XLSX or ZIP (limits in reference data); repeat the field",
            schema_extra={"type": "array", "items": {"type": "string", "format": "binary"}},
        ),
    ] = None


async def uploads(form: CaseForm, max_bytes: int) -> list[Upload]:
    """The files of the form, read (each at most one byte past the limit, so the check can
    name the size); an empty file input of a browser form counts as no file."""
    given = form.files if isinstance(form.files, list) else [form.files]
    chosen = [f for f in given if isinstance(f, UploadFile) and f.filename]
    if any(f not in (None, "") and not isinstance(f, UploadFile) for f in given):
        raise InvalidInput("files are sent as multipart/form-data file fields named 'files'", field="files")
    if len(chosen) > MOST_FILES:
        raise InvalidInput(f"at most {MOST_FILES} files go with one objection or complaint", field="files")
    result = []
    for upload in chosen:
        content = await upload.read(max_bytes + 1)
        await upload.close()
        result.append(Upload(upload.filename, content, upload.content_type or ""))
    return result


def grounds_of(form: CaseForm) -> object:
    return "" if form.grounds is None else form.grounds


class AnswerBody(Struct, forbid_unknown_fields=True):
    decision: Annotated[str, Meta(max_length=12, description="upheld (成立) or dismissed (不成立)")]
    answer: Annotated[str, Meta(max_length=ANSWER * 2, description=f"at most {ANSWER} characters")]


class DecisionBody(Struct, forbid_unknown_fields=True):
    decision: Annotated[str, Meta(max_length=12, description="upheld (成立) or dismissed (不成立)")]
    note: Annotated[str, Meta(max_length=NOTE * 2, description=f"at most {NOTE} characters")]


class CaseFileOut(Struct):
    id: int
    name: str
    media_type: str
    size: Annotated[int, Meta(description="bytes")]
    sha256: Annotated[str, Meta(description="SHA-256 of the file, hex")]
    created_at: datetime
    download: str

    @classmethod
    def of(cls, f: FileEntry) -> CaseFileOut:
        return cls(f.id, f.name, f.media_type, f.size, f.sha256, f.created_at, f"/api/case-files/{f.id}")


def files_out(files: Sequence[FileEntry]) -> list[CaseFileOut]:
    return [CaseFileOut.of(f) for f in files]


class ObjectionOut(Struct):
    id: int
    procurement_id: int
    reference: str
    title: str
    objector: str
    against: str
    status: str
    status_label: str
    lodged_at: datetime
    grounds: str
    answer_due_at: datetime
    answer: str
    answer_decision: str | None
    answered_at: datetime | None
    complaint_grounds: str
    complained_at: datetime | None
    decision_due_at: datetime | None
    decision: str | None
    decision_note: str
    decided_at: datetime | None
    outcome: str | None
    may_complain: bool
    files: list[CaseFileOut]
    complaint_files: list[CaseFileOut]

    @classmethod
    def of(cls, line: ObjectionLine) -> ObjectionOut:
        plain = {
            k: getattr(line, k)
            for k in cls.__struct_fields__
            if k not in ("status_label", "may_complain", "files", "complaint_files")
        }
        return cls(
            **plain,
            status_label=line.status_label,
            may_complain=line.may_complain(),
            files=files_out(line.files),
            complaint_files=files_out(line.complaint_files),
        )


class ObjectionList(Struct):
    objections: list[ObjectionOut]


def disposition(file_id: int, name: str) -> str:
    """RFC 6266/5987: an ASCII fallback and the real (often Chinese) name, UTF-8 encoded."""
    extension = name.rsplit(".", 1)[-1] if "." in name else "bin"
    fallback = f"case-file-{file_id}.{quote(extension, safe='')}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
