"""A rate limit per client address on the public check of uploaded copies
(``POST /verify/{id}`` and ``POST /api/documents/{id}/check``).

Each check parses an untrusted PDF and validates its signature: the costliest thing the
public can ask for. Litestar's rate-limit middleware does the counting (a fixed window per
client address, in the app's ``rate_limit`` store: memory of this process, which is what
``market serve`` runs; behind several processes the proxy should limit too). What we add:
the limit applies only to the routes marked :data:`VERIFY_RATE_LIMITED`, both sharing one
budget per address; and the 429 carries ``Retry-After`` (Litestar sends only the draft
``RateLimit-*`` headers, which browsers and most clients do not read).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.types import Receive, Scope, Send

from market.settings import Settings
from web.security import route_opt

_KEY = "verify_rate_limited"
VERIFY_RATE_LIMITED = {_KEY: True}


def _limited(scope: Scope) -> bool:
    """A POST to a route marked :data:`VERIFY_RATE_LIMITED`."""
    return scope.get("method") == "POST" and route_opt(scope, _KEY)


async def _is_upload_check(request: Request[Any, Any, Any]) -> bool:
    # async: Litestar runs a plain function in a worker thread, a thread hop per request
    return _limited(request.scope)


class _UploadCheckLimit(RateLimitMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _limited(scope):
            # every other request: no Request object, no store, nothing counted
            await self.app(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        except TooManyRequestsException as exc:
            headers = dict(exc.headers or {})
            wait = max(1, int(headers.get(self.config.rate_limit_reset_header_key, "60")))
            raise TooManyRequestsException(
                f"too many document checks from your address: at most {self.max_requests} a "
                f"{self.unit}; try again in {wait} seconds",
                headers={**headers, "Retry-After": str(wait)},
                extra={"code": "too-many-checks", "retry_after": wait},
            ) from None


def verify_rate_limit(settings: Settings) -> list[DefineMiddleware]:
    """The middleware to add to the app, or none when ``MARKET_VERIFY_RATE`` is 0."""
    if settings.verify_rate_per_minute <= 0:
        return []
    config = RateLimitConfig(
        rate_limit=("minute", settings.verify_rate_per_minute),
        check_throttle_handler=_is_upload_check,
        middleware_class=_UploadCheckLimit,
    )
    return [config.middleware]
