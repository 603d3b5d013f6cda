"""What a request may carry, checked once for every route before any of it reaches the
domain or PostgreSQL.

- **Characters.** PostgreSQL's text types cannot hold U+0000: a NUL in a search term or a
  name made asyncpg fail, and the service answered 500. Unicode bidirectional controls
  (U+202A–U+202E, U+2066–U+2069) are storable but make text *display* in another order
  than it is stored, so one firm's name could be made to read as another's. Both are
  refused in the path and the query string (:class:`InputCheckMiddleware`) and anywhere in
  a JSON body (:func:`check_json`); passwords are never displayed, so only NUL is refused
  in them.
- **JSON shape.** msgspec decodes nested arrays by recursion and gives up with a
  ``RecursionError`` near Python's recursion limit (about 1,000 levels), which surfaced as
  a 500. :class:`CheckedRequest` turns that into a 400 and refuses anything deeper than
  :data:`MAX_JSON_DEPTH` even when it did decode; integers in a body are held to
  PostgreSQL's bigint like those in the path (``web.params``).
- **The uploaded PDF.** Litestar gives an ``UploadFile`` parameter no error of its own for a
  form without the file, with ``file`` as a text field, or with an empty file name (what a
  browser sends when nothing was chosen): it raised deep inside its extractor (500).
  :class:`PdfUpload` takes whatever came and :meth:`PdfUpload.chosen` says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware
from litestar.params import KwargDefinition
from litestar.types import ASGIApp, Receive, Scope, Send

from market.errors import InvalidInput
from market.text import FORBIDDEN as _FORBIDDEN
from market.text import check_text
from web.params import INT64_MAX

MAX_JSON_DEPTH = 32  # the deepest body of this API (a document's data) uses about five levels
INT64_MIN = -(2**63)


class NumberOutOfRange(InvalidInput):
    code = "number-out-of-range"


class NoFileChosen(InvalidInput):
    code = "no-file-chosen"


def _is_secret(key: str) -> bool:
    return "password" in key.lower()


def _plainly_clean(value: Any) -> bool:
    """The walk of :func:`check_json` without building field names (a third of its cost):
    True means nothing to refuse; False sends the body to check_json, which names the
    field, or passes it when the only finding is a bidi control in a password."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    search = _FORBIDDEN.search
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is str:
            if search(node):
                return False
        elif kind is int:
            if not INT64_MIN <= node <= INT64_MAX:
                return False
        elif kind is dict:
            if depth >= MAX_JSON_DEPTH:
                return False
            for key, item in node.items():
                if search(key):
                    return False
                stack.append((item, depth + 1))
        elif kind is list:
            if depth >= MAX_JSON_DEPTH:
                return False
            stack.extend([(item, depth + 1) for item in node])
    return True


def check_json(value: Any) -> None:
    """Walk a decoded JSON body (iteratively: it may be deep) and refuse the first string,
    key or number the platform cannot store or show faithfully; ``field`` names where it is
    (``firm.licences[0].number``)."""
    stack: list[tuple[Any, str, int, bool]] = [(value, "", 0, False)]
    while stack:
        node, where, depth, secret = stack.pop()
        if isinstance(node, str):
            check_text(node, where or "the body", secret=secret)
        elif isinstance(node, bool | float) or node is None:
            continue
        elif isinstance(node, int):
            if not INT64_MIN <= node <= INT64_MAX:
                raise NumberOutOfRange(
                    f"{where or 'the body'} is {node}, beyond the largest whole number the "
                    f"platform stores ({INT64_MAX})",
                    field=where or None,
                )
        elif depth >= MAX_JSON_DEPTH:
            raise _too_deep()
        elif isinstance(node, dict):
            for key, item in node.items():
                path = f"{where}.{key}" if where else str(key)
                check_text(str(key), f"the name of {path!r}" if _FORBIDDEN.search(str(key)) else path)
                stack.append((item, path, depth + 1, secret or _is_secret(str(key))))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{i}]", depth + 1, secret) for i, item in enumerate(node))


def _too_deep() -> ClientException:
    return ClientException(
        f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep; no request of this "
        "API needs more than a few",
        extra={"code": "json-too-deep"},
    )


class CheckedRequest(Request[Any, Any, Any]):
    """The app's request class: its JSON body is decoded with a depth bound and checked by
    :func:`check_json` before any handler or schema sees it."""

    __slots__ = ()

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError:
            raise _too_deep() from None
        if not _plainly_clean(value):
            check_json(value)
        return value


class InputCheckMiddleware(ASGIMiddleware):
    """Refuses a NUL or a bidirectional control in the (decoded) path or query string."""

    scopes = ("http", "websocket")  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        check_text(scope["path"], "the address (path)")
        if scope.get("query_string"):
            # parsed as the handlers will see it; Litestar keeps the result for them
            for name, value in ASGIConnection(scope).query_params.multi_items():
                check_text(name, f"the name of the query parameter {name!r}")
                check_text(value, name)
        await next_app(scope, receive, send)


@dataclass
class PdfUpload:
    """The form of ``POST /verify/{id}`` and ``POST /api/documents/{id}/check``."""

    # Any, not UploadFile: a text field or an empty file name must reach chosen() to be
    # answered as such, not fail inside the form parser
    file: Annotated[
        Any,
        KwargDefinition(
            description="the PDF to check (required)",
            schema_extra={"type": "string", "format": "binary"},
        ),
    ] = None

    def chosen(self) -> UploadFile:
        if isinstance(self.file, UploadFile) and self.file.filename:
            return self.file
        if isinstance(self.file, list):
            raise NoFileChosen("send one PDF file in the field 'file', not several", field="file")
        raise NoFileChosen(
            "choose a PDF file to check and send it as the multipart/form-data file field 'file'",
            field="file",
        )
