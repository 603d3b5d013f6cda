"""Per-request dependencies: a unit of work, the caller, the clock."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from market.audit import Actor
from market.db import UnitOfWork
from market.principal import Principal
from web.auth import REQUEST_UOW, current_principal
from web.state import AppState


async def provide_uow(request: Request[Any, Any, Any]) -> AsyncGenerator[UnitOfWork, None]:
    # a signed-in request's session was read in its unit of work; the middleware closes it
    shared = request.scope.get("state", {}).get(REQUEST_UOW)
    if isinstance(shared, UnitOfWork):
        yield shared
        return
    async with AppState.of(request.app).database.unit_of_work() as uow:
        yield uow


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return current_principal(request)


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    principal = current_principal(request)
    return Actor(principal.user_id, principal.username, client_address(request))


def provide_state(request: Request[Any, Any, Any]) -> AppState:
    return AppState.of(request.app)


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in caller, as an actor, and the app's state, read straight off the request.

    For the busiest handlers (bid intake): Litestar resolves two or more dependencies of a
    handler as tasks of an anyio task group, which cost more per request than the three
    trivial lookups themselves; a handler taking only ``uow`` and ``request`` avoids it."""

    principal: Principal
    actor: Actor
    state: AppState


def caller_of(request: Request[Any, Any, Any]) -> Caller:
    return Caller(provide_principal(request), provide_actor(request), provide_state(request))


DEPENDENCIES = {
    "uow": Provide(provide_uow),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "actor": Provide(provide_actor, sync_to_thread=False),
    "app_state": Provide(provide_state, sync_to_thread=False),
}

# Typed markers for handler parameters (Litestar injects by parameter name).
UoW = NamedDependency[UnitOfWork]
CurrentPrincipal = NamedDependency[Principal]
CurrentActor = NamedDependency[Actor]
State = NamedDependency[AppState]
