"""The error answers of every operation, documented in OpenAPI as RFC 9457 problem details.

Why not ``litestar.plugins.problem_details``: it was evaluated and does not express what we
need. Its converters receive only the exception (``Callable[[Exc], ProblemDetailsException]``),
never the request, so they cannot fill ``instance``, cannot answer a person's browser with
the Chinese error page instead of JSON, and cannot log the incident with the request that
caused it; its ``HTTPException`` conversion moves ``detail`` into ``title``; and it adds
nothing to the OpenAPI document. So the answers stay mapped in ``web/errors.py`` (one place)
and this module documents them (one place too), deriving each operation's statuses from
what the operation can give rather than from a hand-written list per route.
"""

from __future__ import annotations

from typing import Any

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from msgspec import Struct

from web.errors import PROBLEM_MEDIA_TYPE

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Parameters Litestar fills from the connection itself, never from the client's input.
_RESERVED = frozenset({"self", "request", "state", "scope", "socket", "headers", "cookies", "query", "body"})

_DESCRIPTIONS = {
    400: "The request is malformed: a parameter or the body has the wrong type or is not JSON.",
    401: "Not signed in, or the token has expired (or, at login, the password is wrong).",
    403: "Signed in, but this role or this account may not do this.",
    404: "Nothing with this id, or nothing this caller may know exists.",
    409: "Conflicts with the current state (a stale version, a duplicate, a closed step).",
    413: "The body is larger than the platform accepts.",
    415: "The body's Content-Type is not the one this operation reads.",
    422: "The values are well-formed but not acceptable; `detail` names the field and the rule.",
    429: "Too many attempts from this account or address; retry after `Retry-After` seconds.",
    503: "The database is not reachable right now; retry after `Retry-After` seconds.",
}


class Problem(Struct, kw_only=True):
    """RFC 9457 problem details, as every error of the platform is answered.

    Members beyond these carry the data of the error (``field``, ``errors``, ``problems``,
    ``rows``, ``retry_after``, ``incident`` …) and are named by ``code``'s documentation."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str | None = None
    incident: str | None = None
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


def error_statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> set[int]:
    """What an operation can answer besides success, from its shape:

    - every operation: 503 (the database is consulted even to resolve the caller's token);
    - guarded: 401 (no or expired token) and 403 (role, or not this account's object);
      a public operation that reads the request decides by the caller too (login refuses a
      password, a private document refuses the anonymous), so it also has 401/403;
    - path parameters: 404;
    - any client input: 400 (wrong type) and 422 (the domain's rules);
    - a body: 413 (size), 415 (Content-Type);
    - a state change: 409; a public state change (login, application, upload check) is
      counted per address: 429.
    """
    parameters = set(handler.parsed_fn_signature.parameters)
    injected = set(handler.resolve_dependencies())
    inputs = parameters - injected - _RESERVED
    guarded = bool(handler.resolve_guards())
    mutating = bool(handler.http_methods & MUTATING)
    statuses = {503}
    if guarded or "request" in parameters:
        statuses |= {401, 403}
    if route.path_parameters:
        statuses.add(404)
    reads_body = bool(parameters & {"data", "body"})  # a decoded body, or the raw bytes
    if inputs or reads_body:
        statuses |= {400, 422}
    if reads_body:
        statuses |= {413, 415}
    if mutating:
        statuses.add(409)
        if not guarded:
            statuses.add(429)
    return statuses


def _spec(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        media_type=PROBLEM_MEDIA_TYPE,
        description=_DESCRIPTIONS[status],
        generate_examples=False,
    )


class ErrorResponses(ReceiveRoutePlugin):
    """Sets ``responses`` on each route handler as it is registered, before the OpenAPI
    document (built lazily at its first request) reads them. A status a handler documents
    itself wins."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            derived = {status: _spec(status) for status in sorted(error_statuses(route, handler))}
            handler.responses = {**derived, **(handler.responses or {})}


__all__ = ["ErrorResponses", "Problem", "error_statuses"]
