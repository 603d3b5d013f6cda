"""Every integer a client can put in a path or a query string is bounded to PostgreSQL's
bigint, so an id like 9223372036854775808 is refused while the request is parsed instead
of reaching asyncpg. The walk is over the app's own routes: a new route that declares
``FromPath[int]`` or ``FromQuery[int]`` fails here until it uses ``web.params``."""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from litestar import Litestar, get
from litestar.constants import RESERVED_KWARGS
from litestar.params import FromPath, FromQuery, ParameterKwarg, QueryParameter
from litestar.routes import HTTPRoute

from market.settings import Settings
from web.app import create_app
from web.params import INT64_MAX, Id

INT64_MIN = -(2**63)


def _mentions_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType, list, tuple, set, frozenset):
        return any(_mentions_int(arg) for arg in get_args(annotation))
    return False


def _bounded(kwarg: Any) -> bool:
    if not isinstance(kwarg, ParameterKwarg):
        return False
    upper = kwarg.le if kwarg.le is not None else (kwarg.lt - 1 if kwarg.lt is not None else None)
    lower = kwarg.ge if kwarg.ge is not None else (kwarg.gt + 1 if kwarg.gt is not None else None)
    return upper is not None and lower is not None and upper <= INT64_MAX and lower >= INT64_MIN


def unbounded_int_parameters(app: Litestar) -> Iterator[str]:
    """``"METHOD path: name"`` of each integer parameter without a bigint bound, including
    those a dependency of the handler asks for."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            dependencies = handler.resolve_dependencies()
            signatures = [handler.parsed_fn_signature] + [
                provide.parsed_fn_signature
                for provide in dependencies.values()
                if getattr(provide, "parsed_fn_signature", None) is not None
            ]
            for signature in signatures:
                for name, field in signature.parameters.items():
                    if name in dependencies or name in RESERVED_KWARGS:
                        continue
                    if _mentions_int(field.annotation) and not _bounded(field.kwarg_definition):
                        methods = ",".join(sorted(handler.http_methods))
                        yield f"{methods} {route.path}: {name}"


def test_the_walk_finds_an_unbounded_path_or_query_integer() -> None:
    @get("/things/{thing_id:int}", sync_to_thread=False)
    def loose(
        thing_id: FromPath[int], offset: FromQuery[int] = 0, before: FromQuery[int | None] = None
    ) -> None:
        return None

    @get("/kept/{thing_id:int}", sync_to_thread=False)
    def kept(
        thing_id: Id, offset: Annotated[int, QueryParameter(ge=0, le=10)] = 0, flag: FromQuery[bool] = False
    ) -> None:
        return None

    found = set(unbounded_int_parameters(Litestar([loose, kept])))
    assert found == {
        "GET /things/{thing_id:int}: thing_id",
        "GET /things/{thing_id:int}: offset",
        "GET /things/{thing_id:int}: before",
    }


def test_every_integer_parameter_of_every_route_is_bounded_to_bigint(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path, database_url="postgresql+asyncpg://u@127.0.0.1:1/none"))
    assert list(unbounded_int_parameters(app)) == []
    checked = [
        name
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        for name, field in handler.parsed_fn_signature.parameters.items()
        if _mentions_int(field.annotation)
    ]
    assert len(checked) >= 25  # the walk did see the app's ids, pages and limits
