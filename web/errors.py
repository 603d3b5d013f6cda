"""Every error leaves the service as RFC 9457 problem details, mapped here and only here.

Domain errors (``market.errors``) carry a code and data; this module picks the HTTP status.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from market.errors import (
    AuthenticationFailed,
    Conflict,
    DatabaseUnavailable,
    InvalidInput,
    MarketError,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from market.sealed.keys import BidKeyMismatch
from web.observability import request_id_of
from web.state import AppState

log = logging.getLogger("market.web")
PROBLEM_MEDIA_TYPE = "application/problem+json"

_STATUS: dict[type[MarketError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    TooManyAttempts: 429,
    DatabaseUnavailable: 503,
    # the loaded key file is not the one the procurement's data key was wrapped under: an
    # operator restores the file the message names; the bid is not the sender's fault
    BidKeyMismatch: 503,
}

RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "code", "request", "headers"})

_TITLES = {
    400: "Bad request (请求格式错误)",
    401: "Not signed in (未登录或登录已失效)",
    403: "Not allowed (无权操作)",
    404: "Not found (未找到)",
    405: "Method not allowed (不支持的请求方法)",
    409: "Conflict (与当前状态冲突)",
    413: "Too large (内容过大)",
    415: "Unsupported media type (不支持的内容类型)",
    422: "Invalid input (输入有误)",
    429: "Too many attempts (尝试次数过多)",
    500: "Internal error (系统内部错误)",
    503: "Service unavailable (服务暂不可用)",
}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    request: Request[Any, Any, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    if request is not None and _wants_page(request):
        return _page(request, status, detail, headers, code)  # type: ignore[return-value]
    body: dict[str, Any] = {
        "type": f"/problems/{code}" if code else "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    """A person's browser on a page (not the API) gets the error as a page, in Chinese."""
    if request.url.path.startswith(("/api/", "/schema", "/healthz", "/static/")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def _page(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    headers: dict[str, str] | None,
    code: str | None = None,
) -> Template:
    try:
        platform_name = AppState.of(request.app).settings.platform_name
    except (KeyError, AssertionError):
        platform_name = ""
    return Template(
        template_name="error.html",
        context={
            "title": _TITLES.get(status, "Error"),
            "detail": detail,
            "code": code,
            "platform_name": platform_name,
        },
        status_code=status,
        headers=headers,
    )


def status_for(exc: MarketError) -> int:
    """The HTTP status of a refusal, the same for the API's problem answers and the pages."""
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 422


def market_error(request: Request[Any, Any, Any], exc: MarketError) -> Response[dict[str, Any]]:
    status = status_for(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    if isinstance(exc, AuthenticationFailed):
        headers = {"WWW-Authenticate": 'Bearer realm="market"'}
    details = {k: v for k, v in exc.details.items() if k != "retry_after" or status == 429}
    # a detail may not overwrite the problem's own members (RFC 9457 §3.1)
    details = {(f"{k}_detail" if k in RESERVED_MEMBERS else k): v for k, v in details.items()}
    return problem(status, exc.message, code=exc.code, request=request, headers=headers, **details)


def _is_malformed_body(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, msgspec.DecodeError) and not isinstance(cause, msgspec.ValidationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "JSON is malformed" in str(getattr(exc, "detail", ""))


_PARAMETER_SOURCES = {"path", "query", "header", "cookie"}


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if isinstance(exc.extra, list):
        errors = [dict(e) if isinstance(e, dict) else {"message": str(e)} for e in exc.extra]
    detail = str(exc.detail)
    if errors:
        first = errors[0]
        field = first.get("key") or first.get("field")
        message = first.get("message", "")
        detail = f"{field}: {message}" if field else message or detail
    if _is_malformed_body(exc):
        detail = f"the request body is not valid JSON ({exc.detail}); send one JSON object"
        errors = []
    sources = {getattr(e.get("source"), "value", e.get("source")) for e in errors}  # ParamType or str
    if errors and sources == {"path"}:
        # an id no row can have (0, or past bigint: web.params) names nothing, like /firms/abc
        detail = f"no page or API route at {request.url.path} ({detail})"
        return problem(404, detail, code="not-found", request=request, errors=errors)
    if errors and sources <= _PARAMETER_SOURCES:
        return problem(422, detail, code="invalid-parameter", request=request, errors=errors)
    return problem(400, detail, code="invalid-request", request=request, errors=errors or None)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    detail = str(exc.detail)
    if status == 404 and detail in {"Not Found", ""}:
        detail = f"no page or API route at {request.url.path}"
    if status == 400 and _is_malformed_body(exc):
        detail = f"the request body is not valid JSON ({exc.detail}); send one JSON object"
    if status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    headers = dict(exc.headers or {})
    if isinstance(exc, NotAuthorizedException):
        headers.setdefault("WWW-Authenticate", 'Bearer realm="market"')
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    return problem(
        status, detail, code=extra.pop("code", None), request=request, headers=headers or None, **extra
    )


def stale_data(request: Request[Any, Any, Any], exc: StaleDataError) -> Response[dict[str, Any]]:
    return problem(
        409,
        "someone else changed this record at the same time; reload and try again",
        code="conflict",
        request=request,
    )


def database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError) or isinstance(
        getattr(exc, "orig", None), ConnectionError
    ):
        log.warning("database unavailable: %s", exc)
        return problem(
            503,
            "the database is not reachable right now; try again shortly",
            code="database-unavailable",
            request=request,
            headers={"Retry-After": "5"},
        )
    return internal_error(request, exc)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    incident = request_id_of(request)  # the same id is on the log lines of this request
    log.exception("unhandled error, incident %s", incident, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        f"something went wrong on our side; nothing was saved. Quote incident {incident} "
        "to the platform's support",
        code="internal-error",
        request=request,
        incident=incident,
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    MarketError: market_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    StaleDataError: stale_data,
    DBAPIError: database_error,
    ConnectionError: database_error,
    Exception: internal_error,
}

__all__ = ["EXCEPTION_HANDLERS", "MediaType", "problem"]
