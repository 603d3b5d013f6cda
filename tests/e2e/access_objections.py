"""Access-matrix rows for objections (质疑) and complaints (投诉): lodging, the owner's answer,
the objector's complaint, a supervisor's decision, the three lists, one objection and its
files.

The matrix app runs on the real clock, so a cell's procurement is put in ``selected``
directly: a fresh service procurement of the owner principal, published, with an opening
list in which the intermediary principal's firm and the spare firm have counted bids and an
award to the spare firm whose publicity runs for days. The objection a cell needs is made
through the services (lodged by the intermediary principal, answered, complained). The rows
test who may act; the integration and end-to-end tests test when and in which order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from market.audit import Actor
from market.award import case_files, objections
from market.award.case_files import Upload
from market.calendar_years import Calendars
from market.clock import local
from market.models import Award, BidOpening, Firm, Objection, Procurement
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.procurement.terms import load_procurement_terms
from tests import draw_data
from tests.bidder_pages_data import principal_of
from tests.e2e.access_cells import OFFICIALS, Expect, everyone, only, request
from tests.e2e.access_world import (
    ADMIN,
    ANONYMOUS,
    APPLICANT,
    CONTRACTOR_P,
    INTERMEDIARY_P,
    OWNER_P,
    SUPERVISOR,
    USERNAMES,
    World,
)
from tests.unit.procurement.conftest import service_draft
from web.state import AppState

TERMS = load_procurement_terms()
NO_REDIRECT = {"follow_redirects": False}
PDF = b"%PDF-1.7\n" + b"e" * 64


async def _principal(world: World, who: str, role: Role) -> Principal:
    found = await principal_of(world.database, USERNAMES[who])
    return Principal(
        found.user_id, found.username, found.display_name, frozenset({role}), found.organisation_id
    )


async def _selected(world: World) -> int:
    """A fresh procurement of the owner principal in its result's publicity."""
    owner = await _principal(world, OWNER_P, Role.OWNER)
    agency = await _principal(world, INTERMEDIARY_P, Role.INTERMEDIARY)
    state = AppState.of(world.client.app)
    now = datetime.now(UTC)
    deadline = local(now + timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    raw = terms_json(service_draft(bid_deadline=deadline, selection_time=deadline + timedelta(hours=5)))
    actor = Actor(owner.user_id, owner.username)
    async with world.database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, actor, owner, raw, now)
        calendar = await Calendars().current(uow)
        row = await draw_data.publish(
            uow, actor, owner, row.id, now, calendar, TERMS,
            vocabulary=state.vocabulary, eligible_count=5, bid_key=state.bid_key(),
        )  # fmt: skip
        firms = {
            f.id: f.uscc
            for f in await uow.session.scalars(
                select(Firm).where(Firm.id.in_([agency.organisation_id, world.spare_firm]))
            )
        }
        entries = [
            {"firm_id": firm_id, "uscc": uscc, "counted": True, "quote_value": "100000.00"}
            for firm_id, uscc in firms.items()
        ]
        uow.session.add(
            BidOpening(procurement_id=row.id, opened_at=now, entries=entries, list_sha256="0" * 64)
        )
        uow.session.add(
            Award(
                procurement_id=row.id,
                round=1,
                rank=1,
                firm_id=world.spare_firm,
                uscc=firms[world.spare_firm],
                amount=Decimal("100000.00"),
                selected_at=now,
                publicity_ends_at=now + timedelta(days=5),
            )
        )
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None
        stored.status, stored.publicity_ends_at = ProcurementStatus.SELECTED, now + timedelta(days=5)
        procurement_id = row.id
        await uow.commit()
        return procurement_id


async def _objection(world: World, stage: str = "open") -> int:
    """An objection of the intermediary principal with one file, taken to ``stage``
    (open, answered: dismissed by the owner, complaint)."""
    procurement_id = await _selected(world)
    agency = await _principal(world, INTERMEDIARY_P, Role.INTERMEDIARY)
    owner = await _principal(world, OWNER_P, Role.OWNER)
    state = AppState.of(world.client.app)
    now = datetime.now(UTC)
    async with world.database.unit_of_work() as uow:
        made = await objections.lodge(
            uow, Actor(agency.user_id, agency.username), agency, procurement_id, "资质不符",
            [Upload("证据.pdf", PDF)], now, terms=TERMS,
        )  # fmt: skip
        if stage in ("answered", "complaint"):
            await objections.answer(
                uow, Actor(owner.user_id, owner.username), owner, state.bid_key(), made.id, "dismissed",
                "经核查不成立", now, terms=TERMS,
            )  # fmt: skip
        if stage == "complaint":
            await objections.complain(
                uow, Actor(agency.user_id, agency.username), agency, made.id, "答复有误", (), now, terms=TERMS
            )
        objection_id = made.id
        await uow.commit()
        return objection_id


def _on_objection(method: str, path: str, stage: str, **kwargs: Any) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        objection_id = await _objection(world, stage)
        async with world.database.sessions() as session:
            procurement_id = (await session.get(Objection, objection_id)).procurement_id  # type: ignore[union-attr]
        return method, path.format(o=objection_id, p=procurement_id), dict(kwargs)

    return build


def _lodge(path: str) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        procurement_id = await _selected(world)
        form = {
            "data": {"grounds": "中选单位资质证书已过期"},
            "files": [("files", ("证据.pdf", PDF, "application/pdf"))],
        }
        return "POST", path.format(p=procurement_id), {**form, **NO_REDIRECT}

    return build


async def _owner_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/my/procurements/{world.extras['objected_procurement']}/objections", dict(NO_REDIRECT)


async def _form_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/procurements/{world.extras['objected_procurement']}/objections/new", dict(NO_REDIRECT)


async def _of_procurement(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/api/procurements/{world.extras['objected_procurement']}/objections", {}


async def _one(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/api/objections/{world.extras['objection']}", {}


async def _file(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/api/case-files/{world.extras['case_file']}", {}


async def setup(world: World) -> None:
    objection_id = await _objection(world)
    async with world.database.unit_of_work() as uow:
        [entry] = await case_files.files_of(uow, "objection", objection_id)
        objection = await uow.session.get(Objection, objection_id)
        assert objection is not None
        world.extras["objected_procurement"] = objection.procurement_id
    world.extras["objection"], world.extras["case_file"] = objection_id, entry.id


FIRMS = (INTERMEDIARY_P, CONTRACTOR_P, APPLICANT)
READERS = {who: (200 if who in (INTERMEDIARY_P, OWNER_P, *OFFICIALS) else 404) for who in everyone(0)}
COMPLAINT = {
    "data": {"grounds": "答复未说明理由"},
    "files": [("files", ("", b"", "application/octet-stream"))],
}

ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    # the contractor and the applicant have firms, but took no part: 403 not-a-respondent
    "POST /api/procurements/{procurement_id:int}/objections": (
        _lodge("/api/procurements/{p}/objections"),
        only(INTERMEDIARY_P, ok=201),
    ),
    "GET /api/procurements/{procurement_id:int}/objections": (
        _of_procurement,
        only(OWNER_P, SUPERVISOR, ADMIN),
    ),
    "GET /api/my/objections": (request("GET", "/api/my/objections"), only(*FIRMS)),
    "GET /api/supervision/objections": (
        request("GET", "/api/supervision/objections"),
        only(SUPERVISOR, ADMIN),
    ),
    "GET /api/objections/{objection_id:int}": (_one, READERS),
    "POST /api/objections/{objection_id:int}/answer": (
        _on_objection(
            "POST", "/api/objections/{o}/answer", "open", json={"decision": "dismissed", "answer": "不成立"}
        ),
        only(OWNER_P),
    ),
    "POST /api/objections/{objection_id:int}/complaint": (
        _on_objection("POST", "/api/objections/{o}/complaint", "answered", **COMPLAINT),
        only(INTERMEDIARY_P),
    ),
    "POST /api/objections/{objection_id:int}/decision": (
        _on_objection(
            "POST",
            "/api/objections/{o}/decision",
            "complaint",
            json={"decision": "dismissed", "note": "不成立"},
        ),
        only(SUPERVISOR),
    ),
    "GET /api/case-files/{file_id:int}": (_file, READERS),
}

# the pages: a visitor is sent to sign in (303), a done act redirects (303), a refusal is a page
PAGES_OF_FIRMS = only(*FIRMS, **{ANONYMOUS: 303})
SIGN_IN = {ANONYMOUS: 303}
PAGE_ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "GET /procurements/{procurement_id:int}/objections/new": (_form_page, PAGES_OF_FIRMS),
    "POST /procurements/{procurement_id:int}/objections/new": (
        _lodge("/procurements/{p}/objections/new"),
        only(INTERMEDIARY_P, ok=303, **SIGN_IN),
    ),
    "GET /my/objections": (request("GET", "/my/objections", **NO_REDIRECT), PAGES_OF_FIRMS),
    "POST /my/objections/{objection_id:int}/complaint": (
        _on_objection("POST", "/my/objections/{o}/complaint", "answered", **COMPLAINT, **NO_REDIRECT),
        only(INTERMEDIARY_P, ok=303, **SIGN_IN),
    ),
    "GET /my/procurements/{procurement_id:int}/objections": (_owner_page, only(OWNER_P, **SIGN_IN)),
    "POST /my/procurements/{procurement_id:int}/objections/{objection_id:int}/answer": (
        _on_objection(
            "POST",
            "/my/procurements/{p}/objections/{o}/answer",
            "open",
            data={"decision": "dismissed", "answer": "不成立"},
            **NO_REDIRECT,
        ),
        only(OWNER_P, ok=303, **SIGN_IN),
    ),
    "GET /supervision/objections": (
        request("GET", "/supervision/objections", **NO_REDIRECT),
        only(SUPERVISOR, **SIGN_IN),
    ),
    "POST /supervision/objections/{objection_id:int}/decision": (
        _on_objection(
            "POST",
            "/supervision/objections/{o}/decision",
            "complaint",
            data={"decision": "dismissed", "note": "不成立"},
            **NO_REDIRECT,
        ),
        only(SUPERVISOR, ok=303, **SIGN_IN),
    ),
}
ROWS.update(PAGE_ROWS)
