from __future__ import annotations

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec

from market.errors import DatabaseUnavailable
from web.auth import PUBLIC
from web.dependencies import State
from web.schemas import Health


@get(
    "/healthz",
    opt=PUBLIC,
    tags=["platform"],
    summary="Liveness and database check",
    description="200 when the service and its database answer; 503 with the reason otherwise.",
    # its own 503 is a Health body, not a problem: monitors read the same shape either way
    responses={
        503: ResponseSpec(Health, description="The database does not answer.", generate_examples=False)
    },
)
async def healthz(app_state: State) -> Response[Health]:
    try:
        await app_state.database.ping()
    except DatabaseUnavailable as exc:
        return Response(Health("degraded", exc.message), status_code=503)
    return Response(Health("ok", "ok"))
