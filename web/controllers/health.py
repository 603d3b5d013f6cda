from __future__ import annotations

from litestar import Request, Response, get

from market.errors import DatabaseUnavailable
from web.auth import PUBLIC
from web.schemas import Health
from web.state import AppState


@get(
    "/healthz",
    opt=PUBLIC,
    tags=["platform"],
    summary="Liveness and database check",
    description="200 when the service and its database answer; 503 with the reason otherwise.",
)
async def healthz(request: Request) -> Response[Health]:  # type: ignore[type-arg]
    state = AppState.of(request.app)
    try:
        await state.database.ping()
    except DatabaseUnavailable as exc:
        return Response(Health("degraded", exc.message), status_code=503)
    return Response(Health("ok", "ok"))
