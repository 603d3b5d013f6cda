"""The draw ceremony over HTTP (docs/draw-spec.md §3): reserving the reference an owner
commits over, the ceremony as anyone sees it, a supervisor's commitment, the reveals, the
external beacon, and the record to download and re-compute.

Each act is the service's (:mod:`market.draw.service`); refusals are MarketErrors with a
reason and a code, mapped in one place (web/errors.py). Nothing here freezes or draws: that
is the lifecycle's, at its times.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from msgspec import Meta, Struct

from market.draw import service
from market.draw.declaration import ROUND
from market.models import Role
from market.procurement import service as procurements
from market.procurement.terms import procurement_terms_of
from web.auth import PUBLIC, requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import Id
from web.record_schema import RecordDocument

Hex64 = Annotated[str, Meta(max_length=64, description="64 lowercase hex digits")]


class ReferenceView(Struct):
    procurement_id: int
    reference: str
    round: int
    role: str = "owner"


class CommitmentBody(Struct, forbid_unknown_fields=True):
    commitment: Hex64


class RevealBody(Struct, forbid_unknown_fields=True):
    party: Annotated[str, Meta(max_length=20, description="owner or supervisor")]
    secret: Hex64


class BeaconValueBody(Struct, forbid_unknown_fields=True):
    value: Annotated[str, Meta(max_length=100, description="exactly in the declared form")]
    reference: Annotated[str, Meta(max_length=200, description="the declared event, as declared")]


class CommitmentOut(Struct):
    party: str
    commitment: str
    committed_at: datetime


class RevealOut(Struct):
    party: str
    revealed_at: datetime
    counted: bool
    secret: str | None


class FreezeOut(Struct):
    audit_entry: str
    frozen_at: datetime
    configuration: str
    candidates: str
    bids: str


class BeaconOut(Struct):
    source: str
    form: str
    reference: str
    value: str | None
    at: datetime | None


class RecordOut(Struct):
    digest: str
    outcome: str
    created_at: datetime
    winners: list[str]
    alternates: list[str]
    download: str
    verify_command: str | None


class CeremonyOut(Struct):
    procurement_id: int
    reference: str
    round: int
    status: str
    status_label: str
    reveal_deadline: datetime
    selection_time: datetime
    window_closed: bool
    commitments: list[CommitmentOut]
    freeze: FreezeOut | None
    reveals: list[RevealOut]
    withheld: list[str]
    beacon: BeaconOut
    record: RecordOut | None

    @classmethod
    def of(cls, view: service.CeremonyView) -> CeremonyOut:
        record = None
        if view.record is not None:
            r = view.record
            download = f"/api/procurements/{view.procurement_id}/record"
            record = RecordOut(
                r.digest, r.outcome, r.created_at, r.winners, r.alternates, download, view.verify_command
            )
        freeze = view.freeze
        return cls(
            procurement_id=view.procurement_id,
            reference=view.reference,
            round=view.round,
            status=view.status.value,
            status_label=view.status.label,
            reveal_deadline=view.reveal_deadline,
            selection_time=view.selection_time,
            window_closed=view.window_closed,
            commitments=[CommitmentOut(c.party, c.commitment, c.committed_at) for c in view.commitments],
            freeze=None
            if freeze is None
            else FreezeOut(**{k: getattr(freeze, k) for k in FreezeOut.__struct_fields__}),
            reveals=[RevealOut(r.party, r.revealed_at, r.counted, r.secret) for r in view.reveals],
            withheld=view.withheld,
            beacon=BeaconOut(**{k: getattr(view.beacon, k) for k in BeaconOut.__struct_fields__}),
            record=record,
        )


async def _ceremony(uow: UoW, app_state: State, principal: Any, procurement_id: int) -> CeremonyOut:
    await uow.session.flush()
    view = await service.ceremony_view(uow, principal, procurement_id, now=app_state.clock.now())
    return CeremonyOut.of(view)


class DrawController(Controller):
    path = "/api/procurements/{procurement_id:int}"
    tags = ["draw"]

    @post(
        "/reference",
        guards=[requires(Role.OWNER)],
        status_code=200,
        summary="Reserve the reference a draft is published under (预留编号)",
        description="The owner makes the draw's commitment over the reference, round and role "
        "(docs/draw-spec.md §3.1) before publishing, so it needs the reference first. Asking again "
        "gives the same one (a new one if the draft's kind changed).",
    )
    async def reserve(
        self, procurement_id: Id, uow: UoW, actor: CurrentActor, principal: CurrentPrincipal, app_state: State
    ) -> ReferenceView:
        terms = procurement_terms_of(app_state.settings)
        reference = await procurements.reserve_reference(
            uow, actor, principal, procurement_id, app_state.clock.now(), terms
        )
        await uow.commit()
        return ReferenceView(procurement_id, reference, ROUND)

    @get(
        "/ceremony",
        opt=PUBLIC,
        summary="The draw's ceremony (抽取过程)",
        description="Public once published: the commitments, the frozen digests and their audit "
        "entry, the reveal deadline, who has revealed (the secrets only once the window has "
        "closed), the withheld parties, the beacon and the record's digest with the command "
        "that re-computes it.",
    )
    async def ceremony(
        self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW, app_state: State
    ) -> CeremonyOut:
        return await _ceremony(uow, app_state, signed_in_principal(request), procurement_id)

    @post(
        "/ceremony/commitments",
        guards=[requires(Role.OWNER, Role.SUPERVISOR)],
        status_code=201,
        summary="A supervisor's commitment (监督承诺), or the owner's to a redrawn round",
        description="Until the bid deadline (a redrawn round: until its freeze); one commitment "
        "per party and round; the owner commits here only to a round redrawn after an upheld "
        "objection (403 otherwise); a commitment seen before anywhere is refused (409).",
    )
    async def commit(
        self,
        procurement_id: Id,
        data: JSONBody[CommitmentBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> CeremonyOut:
        await service.commit(
            uow,
            actor,
            principal,
            procurement_id,
            data.commitment,
            app_state.clock.now(),
            terms=procurement_terms_of(app_state.settings),
        )
        answer = await _ceremony(uow, app_state, principal, procurement_id)
        await uow.commit()
        return answer

    @post(
        "/ceremony/reveals",
        guards=[requires(Role.OWNER, Role.SUPERVISOR)],
        status_code=201,
        summary="Reveal a secret (揭示)",
        description="The owner's organisation (party owner) or a supervisor (party supervisor), "
        "after the freeze and at or before the reveal deadline. A secret that does not match its "
        "commitment is a 422 (reveal-mismatch); a second reveal or one outside the window a 409.",
    )
    async def reveal(
        self,
        procurement_id: Id,
        data: JSONBody[RevealBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> CeremonyOut:
        now = app_state.clock.now()
        await service.reveal(uow, actor, principal, procurement_id, data.party, data.secret, now)
        answer = await _ceremony(uow, app_state, principal, procurement_id)
        await uow.commit()
        return answer

    @post(
        "/ceremony/beacon",
        guards=[requires(Role.SUPERVISOR)],
        status_code=201,
        summary="Enter the external beacon's value (录入随机信标)",
        description="After the reveal deadline and before the selection, for the declared event, "
        "exactly in the declared form (digits:3 takes 371, not 3 7 1): otherwise 422/409.",
    )
    async def beacon(
        self,
        procurement_id: Id,
        data: JSONBody[BeaconValueBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> CeremonyOut:
        now = app_state.clock.now()
        await service.enter_beacon(uow, actor, principal, procurement_id, data.value, data.reference, now)
        answer = await _ceremony(uow, app_state, principal, procurement_id)
        await uow.commit()
        return answer

    @get(
        "/record",
        opt=PUBLIC,
        summary="The selection record (选取记录), canonical JSON",
        description="Exactly the bytes the engine wrote; its SHA-256 is the digest on the "
        "ceremony. Re-compute it with `python -S -m selection.verify --frozen … record.json`. "
        "After a redraw the current round's; ?round=N gives an earlier one, kept as published.",
        media_type="application/json",
        responses={200: ResponseSpec(data_container=RecordDocument, description="the record")},
    )
    async def record(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        round_number: Annotated[
            int | None,
            QueryParameter(name="round", ge=1, le=1000, description="an earlier round (after a redraw)"),
        ] = None,
    ) -> Response[bytes]:
        body = await service.record_of(uow, signed_in_principal(request), procurement_id, round_number)
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="record-{procurement_id}.json"'},
        )
