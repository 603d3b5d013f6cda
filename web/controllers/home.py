"""The landing page."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_302_FOUND

from web.auth import PUBLIC
from web.dependencies import State


@get("/", opt=PUBLIC, summary="Home page (首页)", include_in_schema=True, tags=["platform"])
async def home(app_state: State) -> Template:
    return Template(template_name="home.html", context={"platform_name": app_state.settings.platform_name})


@get(
    "/verify",
    opt=PUBLIC,
    status_code=HTTP_302_FOUND,
    summary="Go to a document's verification page",
    tags=["documents"],
)
async def verify_lookup(
    document_id: Annotated[str, QueryParameter(name="id", pattern=r"^[0-9a-f]{8,64}$")],
) -> Redirect:
    return Redirect(path=f"/verify/{document_id}")
