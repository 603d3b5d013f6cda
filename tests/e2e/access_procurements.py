"""Access-matrix rows for the procurement API (drafts, publication, amendments, attachments, the public list).

``ROWS`` joins the matrix of :mod:`tests.e2e.test_access_matrix`; ``setup`` runs once when
the world is built and puts what the rows address into ``world.extras``: a draft of the
owner's organisation (``draft``), and a published procurement (``published``) carrying one
attachment (``published_file``). Rows that change state make their own object per cell (a
fresh draft to publish, a fresh publication to amend or cancel, a fresh file to remove), so
every cell starts from the same state.

A draft is a 404 to anyone outside its organisation (even its existence is the owner's);
a published procurement of another organisation is a 403 to an owner who may not act on it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from market.procurement.draft_input import terms_json
from tests import draw_data
from tests.e2e.access_cells import Build, everyone, only, request
from tests.e2e.access_world import OTHER_OWNER, OWNER_P, PRINCIPALS, World
from tests.unit.procurement.conftest import service_draft

URL = "/api/procurements"
PDF = b"%PDF-1.7\n" + b"0" * 64


def _terms() -> dict[str, Any]:
    """Terms that publish with the world's one intermediary (the app's clock is the real one)."""
    deadline = (datetime.now(UTC) + timedelta(days=21)).replace(microsecond=0)
    draft = service_draft(
        avoidance=(),
        alternates=0,
        bid_deadline=deadline,
        selection_time=deadline + timedelta(hours=5),
    )
    return terms_json(draft)


def _owner_only(ok: int = 200, *, draft: bool) -> dict[str, int]:
    """The owner's organisation acts; another owner gets 404 on a draft (it does not exist for
    it) and 403 on a published procurement; every other role is stopped by the guard."""
    return only(OWNER_P, ok=ok, other_owner=404 if draft else 403)


def _draft_only_for_its_organisation() -> dict[str, int]:
    expected = dict.fromkeys(PRINCIPALS, 404)
    expected[OWNER_P] = 200
    return expected


async def _new_draft(world: World) -> int:
    return int((await world.ok("POST", URL, OWNER_P, json=_terms()))["id"])


async def _new_published(world: World) -> int:
    procurement_id = await _new_draft(world)
    await world.ok(
        "POST", f"{URL}/{procurement_id}/publish", OWNER_P, json=await _publish_body(world, procurement_id)
    )
    return procurement_id


async def _publish_body(world: World, procurement_id: int) -> dict[str, Any]:
    """The draw's declaration: a commitment over the reference the owner reserved."""
    reserved = await world.ok("POST", f"{URL}/{procurement_id}/reference", OWNER_P)
    return draw_data.publish_json(reserved["reference"])


async def _publish(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    procurement_id = await _new_draft(world)
    return "POST", f"{URL}/{procurement_id}/publish", {"json": await _publish_body(world, procurement_id)}


async def _amend(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    procurement_id = await _new_published(world)
    body = {"terms": {**_terms(), "title": "变更后的项目名称"}, "reason": "更正项目名称"}
    return "POST", f"{URL}/{procurement_id}/amendments", {"json": body}


async def _cancel(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"{URL}/{await _new_published(world)}/cancel", {"json": {"reason": "项目资金未落实"}}


async def _remove_file(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    draft = world.extras["draft"]
    files = {"file": ("待删除.pdf", PDF, "application/pdf")}
    added = await world.ok("POST", f"{URL}/{draft}/attachments", OWNER_P, files=files)
    return "DELETE", f"{URL}/{draft}/attachments/{added['id']}", {}


def _upload(path: str) -> Build:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        files = {"file": (f"附件{world.serial(who)}.pdf", PDF, "application/pdf")}
        return "POST", path.format(w=world), {"files": files}

    return build


DRAFT = URL + "/{w.extras[draft]}"
PUBLISHED = URL + "/{w.extras[published]}"

ROWS: dict[str, tuple[Any, dict[str, int]]] = {
    "GET /api/procurements": (request("GET", URL + "?q=咨询"), everyone(200)),
    "POST /api/procurements": (
        request("POST", URL, json=terms_json(service_draft(avoidance=()))),
        only(OWNER_P, OTHER_OWNER, ok=201),
    ),
    "GET /api/procurements/mine": (request("GET", URL + "/mine"), only(OWNER_P, OTHER_OWNER)),
    "GET /api/procurements/{procurement_id:int}": (request("GET", DRAFT), _draft_only_for_its_organisation()),
    "PUT /api/procurements/{procurement_id:int}": (
        request("PUT", DRAFT, json=terms_json(service_draft(avoidance=(), title="改过的草稿名称"))),
        _owner_only(draft=True),
    ),
    "GET /api/procurements/{procurement_id:int}/versions": (
        request("GET", PUBLISHED + "/versions"),
        everyone(200),
    ),
    "GET /api/procurements/{procurement_id:int}/versions/{sequence:int}": (
        request("GET", PUBLISHED + "/versions/1"),
        everyone(200),
    ),
    "GET /api/procurements/{procurement_id:int}/eligibility": (
        request("GET", DRAFT + "/eligibility"),
        _owner_only(draft=True),
    ),
    "POST /api/procurements/{procurement_id:int}/publish": (_publish, _owner_only(draft=True)),
    "POST /api/procurements/{procurement_id:int}/amendments": (_amend, _owner_only(201, draft=False)),
    "POST /api/procurements/{procurement_id:int}/cancel": (_cancel, _owner_only(draft=False)),
    "GET /api/procurements/{procurement_id:int}/attachments": (
        request("GET", PUBLISHED + "/attachments"),
        everyone(200),
    ),
    "POST /api/procurements/{procurement_id:int}/attachments": (
        _upload(DRAFT + "/attachments"),
        _owner_only(201, draft=True),
    ),
    "GET /api/procurements/{procurement_id:int}/attachments/{attachment_id:int}": (
        request("GET", PUBLISHED + "/attachments/{w.extras[published_file]}"),
        everyone(200),
    ),
    "DELETE /api/procurements/{procurement_id:int}/attachments/{attachment_id:int}": (
        _remove_file,
        _owner_only(draft=True),
    ),
}


async def setup(world: World) -> None:
    """A draft and a published procurement (with one file) of the owner's organisation."""
    world.extras["draft"] = await _new_draft(world)
    published = await _new_draft(world)
    files = {"file": ("招标文件.pdf", PDF, "application/pdf")}
    added = await world.ok("POST", f"{URL}/{published}/attachments", OWNER_P, files=files)
    await world.ok("POST", f"{URL}/{published}/publish", OWNER_P, json=await _publish_body(world, published))
    world.extras["published"] = published
    world.extras["published_file"] = int(added["id"])
