"""Procurements over HTTP (issue 11): the owner drafts, edits, publishes, amends and cancels;
everyone finds published procurements, their versions and (in
:mod:`web.controllers.procurement_attachments`) their files.

Creating and publishing take an ``Idempotency-Key`` (:mod:`market.idempotency`): the act and
the key's record are one transaction. Changes name the version read (``If-Match`` or
``expected_version``); a stale one is a 409. A draft is a 404 to anyone outside its
organisation. Nothing here reads or tells anything about bids.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromQuery, JSONBody, QueryParameter

from market.clock import user_time
from market.draw.declaration import BeaconDeclaration
from market.models import Role
from market.procurement import listing, service
from market.procurement.attachment_store import stamp_published
from market.procurement.draft_input import changes_json
from market.procurement.problems import ProcurementRefused
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementKind, procurement_terms_of
from web.auth import PUBLIC, requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import Id, Page, PerPage
from web.procurement_answers import answered_once, owned, view_of
from web.procurement_schemas import (
    AmendmentBody,
    CancelBody,
    IdempotencyKey,
    IfMatch,
    PublishBody,
    Terms,
    etag,
    expected_version,
    split_version,
)
from web.procurement_views import (
    AmendmentView,
    EligibilityView,
    ProcurementList,
    ProcurementView,
    TermsView,
    VersionDetail,
    VersionList,
    VersionView,
)

owners = requires(Role.OWNER)


class ProcurementController(Controller):
    path = "/api/procurements"
    tags = ["procurements"]

    # -- finding ------------------------------------------------------------------------------
    @get(
        "/",
        opt=PUBLIC,
        summary="Search published procurements (项目公告)",
        description="Published procurements and every later state, newest publication first; never "
        "a draft. Filters: q (title, description or reference), kind, service_type, work_field, "
        "division (code or name), status, deadline_from / deadline_to (the bid deadline, or the "
        "draw for small works; ISO 8601, China time without a zone), page, per_page (≤100).",
    )
    async def search(
        self,
        uow: UoW,
        app_state: State,
        q: Annotated[
            str | None,
            QueryParameter(
                max_length=listing.TEXT_SEARCH, description="words of the title, description or reference"
            ),
        ] = None,
        kind: FromQuery[ProcurementKind | None] = None,
        service_type: FromQuery[str | None] = None,
        work_field: FromQuery[str | None] = None,
        division: FromQuery[str | None] = None,
        status: FromQuery[ProcurementStatus | None] = None,
        deadline_from: FromQuery[str | None] = None,
        deadline_to: FromQuery[str | None] = None,
        page: Page = 1,
        per_page: PerPage = 20,
    ) -> ProcurementList:
        vocabulary = app_state.vocabulary
        filters = listing.SearchFilters(
            text=q,
            kind=kind,
            service_type=vocabulary.service_types.resolve(service_type, field="service_type")
            if service_type
            else None,
            work_field=vocabulary.work_fields.resolve(work_field, field="work_field") if work_field else None,
            division=vocabulary.divisions.resolve(division, field="division") if division else None,
            status=status,
            deadline_from=user_time(deadline_from, "deadline_from") if deadline_from else None,
            deadline_to=user_time(deadline_to, "deadline_to") if deadline_to else None,
        )
        return ProcurementList.of(await listing.search_public(uow, filters, page=page, per_page=per_page))

    @get(
        "/mine",
        guards=[owners],
        summary="My organisation's procurements, drafts included",
        description="status filters (draft, published, ...); page, per_page (≤100).",
    )
    async def mine(
        self,
        uow: UoW,
        principal: CurrentPrincipal,
        status: FromQuery[ProcurementStatus | None] = None,
        page: Page = 1,
        per_page: PerPage = 20,
    ) -> ProcurementList:
        found = await listing.of_organisation(uow, principal, status=status, page=page, per_page=per_page)
        return ProcurementList.of(found)

    @get(
        "/{procurement_id:int}",
        opt=PUBLIC,
        summary="One procurement: terms, versions, attachments",
        description="Public once published; a draft only to its organisation (404 to anyone else). "
        "The ETag is the version to send back to change it.",
    )
    async def one(
        self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW
    ) -> Response[ProcurementView]:
        view = await view_of(uow, signed_in_principal(request), procurement_id)
        return Response(view, headers={"ETag": etag(view.version)})

    @get(
        "/{procurement_id:int}/versions",
        opt=PUBLIC,
        summary="A procurement's published versions (publication and amendments 变更公告)",
    )
    async def versions(self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW) -> VersionList:
        found = await listing.detail(uow, signed_in_principal(request), procurement_id)
        return VersionList(
            procurement_id, found.summary.reference, [VersionView.of(v) for v in found.versions]
        )

    @get(
        "/{procurement_id:int}/versions/{sequence:int}",
        opt=PUBLIC,
        summary="One published version with the whole terms it published",
    )
    async def version(
        self, request: Request[Any, Any, Any], procurement_id: Id, sequence: Id, uow: UoW
    ) -> VersionDetail:
        entry, terms = await listing.version_detail(
            uow, signed_in_principal(request), procurement_id, sequence
        )
        return VersionDetail(
            entry.sequence,
            entry.created_at,
            entry.reason,
            entry.diff,
            entry.terms_sha256,
            TermsView.of(terms),
        )

    # -- the owner's acts -----------------------------------------------------------------------
    @post(
        "/",
        guards=[owners],
        status_code=201,
        summary="Draft a procurement (草稿)",
        description="The body is the terms (see TermsView). Every problem of their shape is listed at "
        "once (422 `problems`); what publication needs is checked when publishing. Idempotency-Key: "
        "a retry with the same key and body gets the first answer.",
    )
    async def create(
        self,
        data: JSONBody[Terms],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ProcurementView]:
        now = app_state.clock.now()

        async def make() -> ProcurementView:
            row = await service.create_draft(uow, actor, principal, data, now)
            return await view_of(uow, principal, row.id)

        return await answered_once(
            uow, app_state, principal,
            scope="procurement:create", key=idempotency_key, body=data, now=now, status=201, make=make,
        )  # fmt: skip

    @put(
        "/{procurement_id:int}",
        guards=[owners],
        summary="Edit a draft",
        description="The body is the whole terms, optionally with expected_version; or send the "
        "version read as If-Match. A published procurement changes by amendment (409).",
    )
    async def edit(
        self,
        procurement_id: Id,
        data: JSONBody[Terms],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
        if_match: IfMatch = None,
    ) -> Response[ProcurementView]:
        terms, in_body = split_version(data)
        await service.update_draft(
            uow,
            actor,
            principal,
            procurement_id,
            terms,
            app_state.clock.now(),
            expected_version=expected_version(if_match, in_body),
        )
        view = await view_of(uow, principal, procurement_id)
        await uow.commit()
        return Response(view, headers={"ETag": etag(view.version)})

    @get(
        "/{procurement_id:int}/eligibility",
        guards=[owners],
        summary="How many firms are eligible now, and why the others are not",
        description="For the owner before publishing (and after): the count for the terms' "
        "requirements now, the number the method needs, and per reason code how many published "
        "firms it keeps out (the first 2,000 ineligible firms are judged; see `judged`).",
    )
    async def eligibility(
        self, procurement_id: Id, uow: UoW, principal: CurrentPrincipal, app_state: State
    ) -> EligibilityView:
        row = await owned(uow, principal, procurement_id)
        terms = procurement_terms_of(app_state.settings)
        count = await listing.eligibility_now(
            uow, app_state.vocabulary, terms, service.stored_terms(row), app_state.clock.now()
        )
        return EligibilityView.of(count)

    @post(
        "/{procurement_id:int}/publish",
        guards=[owners],
        status_code=200,
        summary="Publish a draft (发布)",
        description="Checks everything at once: a refusal (422) lists every problem in `problems`, "
        "and `eligibility` gives the firms eligible now and the reasons the others are kept out. "
        "The draw's declaration comes with it: `beacon` (source, form, reference as reference data "
        "allows) and `owner_commitment`, made outside the platform over the reference reserved "
        "with POST /api/procurements/{id}/reference (required unless the method is direct). "
        "On success the procurement is published under that reference. Idempotency-Key as for "
        "creating; If-Match or expected_version.",
    )
    async def publish(
        self,
        procurement_id: Id,
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
        data: JSONBody[PublishBody | None] = None,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ProcurementView]:
        now = app_state.clock.now()
        version = expected_version(if_match, data.expected_version if data is not None else None)
        given = data.beacon if data is not None else None
        beacon = None if given is None else BeaconDeclaration(given.source, given.form, given.reference)

        async def make() -> ProcurementView:
            row = await owned(uow, principal, procurement_id)
            terms = procurement_terms_of(app_state.settings)
            count = await listing.eligibility_now(
                uow, app_state.vocabulary, terms, service.stored_terms(row), now
            )
            try:
                await service.publish(
                    uow,
                    actor,
                    principal,
                    procurement_id,
                    now,
                    await app_state.calendars.current(uow),
                    terms,
                    vocabulary=app_state.vocabulary,
                    eligible_count=count.for_publication,
                    refusals=dict(count.refusals),
                    bid_key=app_state.bid_key(),
                    expected_version=version,
                    owner_commitment=data.owner_commitment if data is not None else None,
                    beacon=beacon,
                )
            except ProcurementRefused as refused:
                refused.details["eligibility"] = msgspec.to_builtins(EligibilityView.of(count))
                raise
            await stamp_published(uow, procurement_id)
            return await view_of(uow, principal, procurement_id)

        return await answered_once(
            uow, app_state, principal,
            scope=f"procurement:publish:{procurement_id}",
            key=idempotency_key,
            body={**({} if data is None else msgspec.to_builtins(data)), "expected_version": version},
            now=now, status=200, make=make,
        )  # fmt: skip

    @post(
        "/{procurement_id:int}/amendments",
        guards=[owners],
        status_code=201,
        summary="Publish an amendment (变更公告)",
        description="terms: the whole amended terms; reason (published with it). A change bidders "
        "rely on moves the deadline so the minimum working days remain and asks bids already in to "
        "be re-confirmed. The answer carries the diff.",
    )
    async def amend(
        self,
        procurement_id: Id,
        data: JSONBody[AmendmentBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
        if_match: IfMatch = None,
    ) -> AmendmentView:
        amended = await service.amend(
            uow,
            actor,
            principal,
            procurement_id,
            data.terms,
            app_state.clock.now(),
            await app_state.calendars.current(uow),
            procurement_terms_of(app_state.settings),
            reason=data.reason,
            vocabulary=app_state.vocabulary,
            expected_version=expected_version(if_match, data.expected_version),
        )
        view = AmendmentView.of(amended, data.reason.strip(), changes_json(amended.effect.changes))
        await uow.commit()
        return view

    @post(
        "/{procurement_id:int}/cancel",
        guards=[owners],
        status_code=200,
        summary="Cancel a procurement (终止) before the selection, with a reason",
    )
    async def cancel(
        self,
        procurement_id: Id,
        data: JSONBody[CancelBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
        if_match: IfMatch = None,
    ) -> ProcurementView:
        await service.cancel(
            uow,
            actor,
            principal,
            procurement_id,
            app_state.clock.now(),
            reason=data.reason,
            expected_version=expected_version(if_match, data.expected_version),
        )
        view = await view_of(uow, principal, procurement_id)
        await uow.commit()
        return view
