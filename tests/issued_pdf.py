"""An issued document opened and checked as an auditor would: the stored PDF's text and page
count, its seal, its binding to the procurement, and its re-rendering from the stored inputs."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

import contracts
from market import documents
from market.db import Database
from market.document_office import DocumentOffice
from market.models import IssuedDocument


def pdf_text(pdf: bytes) -> tuple[int, str]:
    """The page count and the text without white space (line breaks and the letter-spacing
    of titles fall anywhere)."""
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


async def stored(database: Database, document_id: str) -> tuple[IssuedDocument, bytes]:
    async with database.sessions() as session:
        row = await session.get(IssuedDocument, document_id)
        pdf = await session.scalar(select(IssuedDocument.pdf).where(IssuedDocument.id == document_id))
    assert row is not None and pdf is not None
    return row, pdf


async def checked(database: Database, office: DocumentOffice, document_id: str | None, reference: str) -> str:
    """The document's text, once its page count, seal, binding to ``reference`` and
    reproduction are checked."""
    assert document_id is not None
    row, pdf = await stored(database, document_id)
    pages, text = pdf_text(pdf)
    assert pages == row.page_count >= 1
    assert row.procurement_reference == reference and reference in text
    seal = await office.check(pdf)
    assert seal.code is contracts.VerificationCode.VALID and seal.document_id == row.id
    async with database.unit_of_work() as uow:
        again = await documents.reproduce(uow, office, document_id)
    assert again.identical, again.detail
    return text
