"""What the delivery and evaluation controllers share (issue 13): reading a form's uploads,
the firm's and the supervisors' page guards, and how a refusal is shown on a page."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.handlers.base import BaseRouteHandler

from market.award.case_files import Upload
from market.errors import MarketError
from market.principal import Role
from market.procurement.terms import AttachmentTerms
from web.auth import requires, signed_in_principal
from web.page_access import SignInFirst

_firms = requires(Role.INTERMEDIARY, Role.CONTRACTOR)
_supervisors = requires(Role.SUPERVISOR)


async def lodged(given: Any, terms: AttachmentTerms) -> list[Upload]:
    """The uploads of a form field, read up to one byte past the size limit (enough to refuse
    a larger file by its size without holding all of it)."""
    uploads = given if isinstance(given, list) else [given] if given is not None else []
    read = []
    for upload in uploads:
        if not isinstance(upload, UploadFile):
            continue  # a text value where a file belongs is no file; the rule says what is missing
        content = await upload.read(terms.max_bytes + 1)
        await upload.close()
        if not upload.filename and not content:
            continue  # a browser's file field left empty sends an empty, nameless part
        read.append(Upload(upload.filename or "", content, upload.content_type or ""))
    return read


async def firm_pages_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Firms' accounts (中介机构, 施工企业) only; a visitor is sent to sign in first."""
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})
    await _firms(connection, handler)


async def supervisor_pages_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Supervisors (监督) only; a visitor is sent to sign in first."""
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})
    await _supervisors(connection, handler)


def text_of(value: Any, most: int) -> str:
    """A posted text field, cut well past its limit (the rule refuses what is too long)."""
    return value[: most * 2] if isinstance(value, str) else ""


def refusal_of(exc: MarketError, where: str, typed: dict[str, str] | None = None) -> dict[str, Any]:
    """A refusal for the template: where it goes, the reason, the field and what was typed."""
    return {
        "where": where,
        "message": exc.message,
        "field": getattr(exc, "field", None),
        "typed": typed or {},
    }

