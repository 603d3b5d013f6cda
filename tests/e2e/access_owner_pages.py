"""Access-matrix rows for the sign-in pages, the owner's procurement pages and the public procurement pages.

``ROWS`` joins the matrix of :mod:`tests.e2e.test_access_matrix`; ``setup`` runs once when
the world is built and puts what the rows address into ``world.extras``.

Pages answer a visitor who is not signed in with 303 to ``/login?next=…`` (a browser is sent
to sign in) where the API answers 401; a signed-in account without the owner role gets 403
and another organisation's draft is a 404, as in the API. Rows that change a procurement
make a fresh one per cell, so every cell starts from the same state. The world's app runs
on the system clock, so the drafts' times are counted from now on the app's own calendar.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from market import accounts
from market.audit import Actor
from market.calendar_years import Calendars
from market.clock import local
from market.principal import Principal, Role
from market.procurement import service
from market.procurement.terms import load_procurement_terms
from market.registry.vocabulary import load_vocabulary
from tests import draw_data
from tests.e2e.access_cells import SIGNED_IN, Expect, everyone, request
from tests.e2e.access_world import ANONYMOUS, OTHER_OWNER, OWNER_P, PASSWORD, USERNAMES, World
from web.state import AppState

TERMS = load_procurement_terms()
SEE_OTHER = 303
NO_REDIRECT = {"follow_redirects": False}


def owner_pages(ok: int, **cells: Expect) -> dict[str, Expect]:
    """Owner accounts get ``ok``; other signed-in roles 403; a visitor is sent to sign in."""
    expected = {who: (ok if who in (OWNER_P, OTHER_OWNER) else 403) for who in SIGNED_IN}
    expected[ANONYMOUS] = SEE_OTHER
    expected.update(cells)
    return expected


def _form(closes: datetime) -> dict[str, str]:
    """The owner's form for a valid service procurement closing at ``closes``."""
    shown = "%Y-%m-%dT%H:%M"
    return {
        "kind": "intermediary_service",
        "title": "访问矩阵造价咨询项目",
        "description": "编制工程量清单及招标控制价，提交成果报告。",
        "division": "440203",
        "service_type": "cost_consulting",
        "budget": "200000.00",
        "ceiling": "180000.00",
        "quote_mode": "amount",
        "bid_deadline": local(closes).strftime(shown),
        "selection_time": local(closes + timedelta(hours=5)).strftime(shown),
        "method": "random",
        "winners": "1",
        "alternates": "0",
    }


async def _owner(world: World) -> Principal:
    return world.extras["owner_pages.owner"]  # type: ignore[no-any-return]


async def _closes(world: World) -> datetime:
    async with world.database.unit_of_work() as uow:
        calendar = await Calendars().current(uow)
    now = datetime.now().astimezone()
    return calendar.add_working_days(now, 5).replace(minute=0, second=0, microsecond=0)


async def _draft(world: World) -> int:
    owner = await _owner(world)
    raw: dict[str, Any] = {**_form(await _closes(world)), "winners": 1, "alternates": 0}
    async with world.database.unit_of_work() as uow:
        row = await service.create_draft(
            uow, world.extras["owner_pages.actor"], owner, raw, datetime.now().astimezone()
        )
        await uow.commit()
        return row.id


async def _published(world: World) -> int:
    procurement_id = await _draft(world)
    owner = await _owner(world)
    state = AppState.of(world.client.app)
    async with world.database.unit_of_work() as uow:
        now = datetime.now().astimezone()
        await draw_data.publish(
            uow, world.extras["owner_pages.actor"], owner, procurement_id, now, await Calendars().current(uow),
            TERMS, vocabulary=load_vocabulary(), eligible_count=5, bid_key=state.bid_key(),
        )  # fmt: skip
        await uow.commit()
    return procurement_id


def _with_csrf(world: World, data: dict[str, str]) -> dict[str, Any]:
    return {"data": {**data, "_csrf_token": world.client.cookies.get("market_csrf", "")}, **NO_REDIRECT}


async def _page_login(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    await world.client.get("/login")  # the form's CSRF cookie, kept by the client for the cell
    form = {"username": "m.target", "password": PASSWORD, "next": "/procurements"}
    return "POST", "/login", _with_csrf(world, form)


async def _page_logout(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    if who == ANONYMOUS:
        return "POST", "/logout", NO_REDIRECT
    # a throw-away session, so the principal's own token survives the cell
    return "POST", "/logout", {"headers": await world.sign_in(USERNAMES[who]), **NO_REDIRECT}


async def _create(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", "/my/procurements/new", {"data": _form(await _closes(world)), **NO_REDIRECT}


async def _save(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    path = f"/my/procurements/{world.extras['owner_pages.draft']}/edit"
    return "POST", path, {"data": _form(await _closes(world)), **NO_REDIRECT}


async def _publish(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    procurement_id = await _draft(world)
    owner = await _owner(world)
    async with world.database.unit_of_work() as uow:  # the reference the owner commits over
        reference = await service.reserve_reference(
            uow, world.extras["owner_pages.actor"], owner, procurement_id, datetime.now().astimezone(), TERMS
        )
        await uow.commit()
    declared = draw_data.publish_json(reference)
    form = {"owner_commitment": declared["owner_commitment"]}
    form.update({f"beacon_{k}": v for k, v in declared["beacon"].items()})
    return "POST", f"/my/procurements/{procurement_id}/publish", {"data": form, **NO_REDIRECT}


async def _amend(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    procurement_id = await _published(world)
    form = {**_form(await _closes(world)), "title": "访问矩阵造价咨询项目（变更）", "reason": "项目名称有误"}
    return "POST", f"/my/procurements/{procurement_id}/amend", {"data": form, **NO_REDIRECT}


async def _cancel(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    path = f"/my/procurements/{await _published(world)}/cancel"
    return "POST", path, {"data": {"cancel_reason": "项目资金未落实"}, **NO_REDIRECT}


async def _attach(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    path = f"/my/procurements/{world.extras['owner_pages.draft']}/attachments"
    return "POST", path, {"files": {"file": ("招标文件.pdf", world.pdf, "application/pdf")}, **NO_REDIRECT}


DRAFT = "{w.extras[owner_pages.draft]}"
ROWS: dict[str, tuple[Any, dict[str, int]]] = {
    "GET /login": (request("GET", "/login"), everyone(200)),
    "POST /login": (_page_login, everyone(SEE_OTHER)),
    "POST /logout": (_page_logout, everyone(SEE_OTHER)),
    "GET /procurements": (request("GET", "/procurements"), everyone(200)),
    # a draft: its organisation only; to everyone else it does not exist
    "GET /procurements/{procurement_id:int}": (
        request("GET", f"/procurements/{DRAFT}"),
        {**everyone(404), OWNER_P: 200},
    ),
    "GET /my/procurements": (request("GET", "/my/procurements", **NO_REDIRECT), owner_pages(200)),
    "GET /my/procurements/new": (request("GET", "/my/procurements/new", **NO_REDIRECT), owner_pages(200)),
    "POST /my/procurements/new": (_create, owner_pages(SEE_OTHER)),
    "GET /my/procurements/{procurement_id:int}/edit": (
        request("GET", f"/my/procurements/{DRAFT}/edit", **NO_REDIRECT),
        owner_pages(200, other_owner=404),
    ),
    "POST /my/procurements/{procurement_id:int}/edit": (_save, owner_pages(SEE_OTHER, other_owner=404)),
    "POST /my/procurements/{procurement_id:int}/publish": (_publish, owner_pages(SEE_OTHER, other_owner=404)),
    # published: another organisation sees it, but only its owner changes it
    "POST /my/procurements/{procurement_id:int}/amend": (_amend, owner_pages(SEE_OTHER, other_owner=403)),
    "POST /my/procurements/{procurement_id:int}/cancel": (_cancel, owner_pages(SEE_OTHER, other_owner=403)),
    "POST /my/procurements/{procurement_id:int}/attachments": (
        _attach,
        owner_pages(SEE_OTHER, other_owner=404),
    ),
}


async def setup(world: World) -> None:
    """The owner (a principal of the world's owner organisation) and one draft."""
    async with world.database.unit_of_work() as uow:
        user = await accounts.find_user(uow, USERNAMES[OWNER_P])
        assert user is not None
        world.extras["owner_pages.owner"] = Principal(
            user.id, user.username, user.display_name, frozenset({Role.OWNER}), user.organisation_id
        )
        world.extras["owner_pages.actor"] = Actor(user.id, user.username, "192.0.2.7")
    world.extras["owner_pages.draft"] = await _draft(world)
