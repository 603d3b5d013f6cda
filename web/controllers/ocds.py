"""Open data in the Open Contracting Data Standard 1.1.5 (开放数据): the release feed in a
stable order, paged by ``since``, and each contracting process's record (:mod:`market.opendata`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter
from msgspec import Struct

from market.opendata import feed, ocds
from market.procurement.terms import procurement_terms_of
from web.auth import PUBLIC
from web.dependencies import State, UoW
from web.params import INT64_MAX

Since = Annotated[
    int, QueryParameter(ge=0, le=INT64_MAX, description="releases after this cursor (0: from the start)")
]
PageSize = Annotated[int, QueryParameter(ge=1, le=feed.MAX_PAGE, description="releases per page")]
Ocid = Annotated[
    str, PathParameter(max_length=120, description="the prefix, a dash and the procurement's reference")
]


class Publisher(Struct):
    name: str


class AuditCheckpointRef(Struct):
    """The platform's newest published checkpoint of its audit chain (an additional field):
    keep it, and later ask whether the chain still contains it (``market audit verify
    --checkpoint SEQ:HASH`` or ``GET /api/audit/checkpoints/verify``)."""

    seq: int
    hash: str
    publishedDate: str
    checkpoint: str


class ReleasePackage(Struct):
    """An OCDS 1.1.5 release package (the schema: standard.open-contracting.org)."""

    uri: str
    version: str
    publishedDate: str
    publisher: Publisher
    releases: list[dict[str, Any]]
    auditCheckpoint: AuditCheckpointRef | None = None


class RecordPackage(Struct):
    """An OCDS 1.1.5 record package: the process's releases and its compiled release."""

    uri: str
    version: str
    publishedDate: str
    publisher: Publisher
    records: list[dict[str, Any]]
    auditCheckpoint: AuditCheckpointRef | None = None


class OcdsController(Controller):
    path = "/ocds"
    tags = ["open data"]

    @get(
        "/releases",
        opt=PUBLIC,
        summary="OCDS release package: every published event, oldest first",
        description="Paged by `since` (the cursor of the last release seen; the `Link: rel=next` "
        "header gives the next page). Tender at publication, amendments, bidders after the opening, "
        "award at the result, contract at signing. Chinese text, language zh.",
        media_type="application/json",
        responses={
            200: ResponseSpec(
                data_container=ReleasePackage, description="a release package", generate_examples=False
            )
        },
    )
    async def releases(
        self,
        request: Request[Any, Any, Any],
        uow: UoW,
        app_state: State,
        since: Since = 0,
        limit: PageSize = 100,
    ) -> Response[dict[str, Any]]:
        settings = app_state.settings
        found = await feed.page(
            uow,
            since=since,
            limit=limit,
            prefix=settings.ocid_prefix,
            terms=procurement_terms_of(settings),
            public_url=settings.public_url,
        )
        uri = f"{settings.public_url}/ocds/releases?since={since}&limit={limit}"
        body = ocds.package(
            found.releases,
            uri=uri,
            published=app_state.clock.now(),
            publisher=settings.platform_name,
            checkpoint=await feed.newest_checkpoint(uow),
        )
        headers = {}
        if found.next_since is not None:
            headers["Link"] = (
                f'<{settings.public_url}/ocds/releases?since={found.next_since}&limit={limit}>; rel="next"'
            )
        return Response(body, headers=headers)

    @get(
        "/records/{ocid:str}",
        opt=PUBLIC,
        summary="OCDS record package of one contracting process, with its compiled release",
        responses={
            200: ResponseSpec(
                data_container=RecordPackage, description="a record package", generate_examples=False
            )
        },
    )
    async def record(self, ocid: Ocid, uow: UoW, app_state: State) -> dict[str, Any]:
        settings = app_state.settings
        releases = await feed.record(
            uow,
            ocid,
            prefix=settings.ocid_prefix,
            terms=procurement_terms_of(settings),
            public_url=settings.public_url,
        )
        return ocds.record_package(
            ocid,
            releases,
            uri=f"{settings.public_url}/ocds/records/{ocid}",
            published=app_state.clock.now(),
            publisher=settings.platform_name,
            checkpoint=await feed.newest_checkpoint(uow),
        )
