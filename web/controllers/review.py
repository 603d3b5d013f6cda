"""The review step of scored methods over HTTP (评审): the owner names its reviewers, a
reviewer reads its sheet, saves and submits its scores, and anyone reads every submitted
score once the draw's inputs are frozen.

Each act is :mod:`market.review.service`'s; refusals are MarketErrors mapped in one place
(web/errors.py): a score out of range, an unknown firm or criterion is a 422 naming the cell,
a change after the review deadline or after submitting a 409, someone who is not a named
reviewer a 403. Nothing here freezes: the lifecycle does, at the review deadline.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody
from msgspec import Meta, Struct

from market.models import Role
from market.review import published, rules, service
from web.auth import PUBLIC, requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import INT64_MAX, Id

#: Most firms one sheet may name (counted bids of one procurement) and most text of a cell.
MOST_FIRMS = 500
Code = Annotated[str, Meta(max_length=40)]
Score = Annotated[
    str | int | float,
    Meta(description='0 … the criterion\'s max_points, two places at most, e.g. "27.5"'),
]
UserId = Annotated[int, Meta(ge=1, le=INT64_MAX)]


class ReviewersBody(Struct, forbid_unknown_fields=True):
    user_ids: Annotated[
        list[UserId],
        Meta(max_length=rules.MOST_REVIEWERS, description="owner accounts of the owner's organisation"),
    ]


class ScoresBody(Struct, forbid_unknown_fields=True):
    scores: Annotated[
        dict[Code, Annotated[dict[Code, Score], Meta(max_length=20)]],
        Meta(
            max_length=MOST_FIRMS,
            description="{firm USCC: {criterion code: score}}; replaces the whole sheet "
            "(cells left out are cleared)",
        ),
    ]


class ReviewerOut(Struct):
    user_id: int
    display_name: str
    submitted_at: datetime | None

    @classmethod
    def of(cls, r: service.Reviewer) -> ReviewerOut:
        return cls(r.user_id, r.display_name, r.submitted_at)


class ReviewersOut(Struct):
    procurement_id: int
    reviewers: list[ReviewerOut]


class CriterionOut(Struct):
    code: str
    name: str
    max_points: Decimal


class FirmOut(Struct):
    uscc: str
    name: str


def _criteria(criteria: Any) -> list[CriterionOut]:
    return [CriterionOut(c.code, c.name, c.max_points) for c in criteria]


def _firms(firms: Any) -> list[FirmOut]:
    return [FirmOut(f.uscc, f.name) for f in firms]


class SheetOut(Struct):
    procurement_id: int
    reference: str | None
    title: str
    review_deadline: datetime
    submitted_at: datetime | None
    open: bool
    criteria: list[CriterionOut]
    firms: list[FirmOut]
    scores: dict[str, dict[str, Decimal]]
    totals: dict[str, Decimal]

    @classmethod
    def of(cls, s: service.ReviewSheet) -> SheetOut:
        return cls(
            procurement_id=s.procurement_id,
            reference=s.reference,
            title=s.title,
            review_deadline=s.window.review_deadline,
            submitted_at=s.window.submitted_at,
            open=s.open,
            criteria=_criteria(s.criteria),
            firms=_firms(s.firms),
            scores=s.scores,
            totals={f: rules.total(cells) for f, cells in s.scores.items()},
        )


class ScoreOut(Struct):
    reviewer_id: int
    firm: str
    criterion: str
    score: Decimal


class PublicScoresOut(Struct):
    procurement_id: int
    published: bool
    criteria: list[CriterionOut]
    firms: list[FirmOut]
    reviewers: list[ReviewerOut]
    left_out: list[ReviewerOut]
    scores: list[ScoreOut]
    technical_scores: dict[str, list[str]]

    @classmethod
    def of(cls, procurement_id: int, p: published.PublicScores | None) -> PublicScoresOut:
        if p is None:
            return cls(procurement_id, False, [], [], [], [], [], {})
        cells = [
            ScoreOut(reviewer, firm, code, score)
            for reviewer, sheet in p.sheets.items()
            for firm, scores in sheet.items()
            for code, score in scores.items()
        ]
        return cls(
            procurement_id=procurement_id,
            published=True,
            criteria=_criteria(p.criteria),
            firms=_firms(p.firms),
            reviewers=[ReviewerOut.of(r) for r in p.reviewers],
            left_out=[ReviewerOut.of(r) for r in p.left_out],
            scores=cells,
            technical_scores=rules.technical_scores(p.sheets, [f.uscc for f in p.firms]) if p.sheets else {},
        )


class ReviewController(Controller):
    path = "/api/procurements/{procurement_id:int}"
    tags = ["review"]

    @get(
        "/reviewers",
        guards=[requires(Role.OWNER, Role.SUPERVISOR)],
        summary="The reviewers and who has submitted (评审人)",
        description="For the owner's organisation, supervisors and the reviewers themselves; "
        "never their scores before the freeze.",
    )
    async def reviewers(self, procurement_id: Id, uow: UoW, principal: CurrentPrincipal) -> ReviewersOut:
        named = await service.reviewers_view(uow, principal, procurement_id)
        return ReviewersOut(procurement_id, [ReviewerOut.of(r) for r in named])

    @put(
        "/reviewers",
        guards=[requires(Role.OWNER)],
        summary="Name the reviewers (指定评审人)",
        description="The owner's organisation names owner accounts of its own as reviewers, until "
        "the bid deadline; the list replaces the one before. A procurement whose method does not "
        "weigh technical scores has no review step (409).",
    )
    async def name_reviewers(
        self,
        procurement_id: Id,
        data: JSONBody[ReviewersBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ReviewersOut:
        now = app_state.clock.now()
        named = await service.name_reviewers(uow, actor, principal, procurement_id, data.user_ids, now)
        await uow.commit()
        return ReviewersOut(procurement_id, [ReviewerOut.of(r) for r in named])

    @get(
        "/review",
        guards=[requires(Role.OWNER)],
        summary="My score sheet (我的评分表)",
        description="A named reviewer's own sheet: the criteria, the counted bids (after the "
        "opening), its scores and whether it may still change them.",
    )
    async def sheet(
        self, procurement_id: Id, uow: UoW, principal: CurrentPrincipal, app_state: State
    ) -> SheetOut:
        view = await service.sheet_view(uow, principal, procurement_id, app_state.clock.now())
        return SheetOut.of(view)

    @put(
        "/review/scores",
        guards=[requires(Role.OWNER)],
        summary="Save my scores (保存评分)",
        description="After the opening and before the review deadline, until submitted. The sheet "
        "replaces the one saved before; an unknown firm or criterion or a score out of range is a "
        "422 naming each cell, nothing saved.",
    )
    async def save(
        self,
        procurement_id: Id,
        data: JSONBody[ScoresBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> SheetOut:
        now = app_state.clock.now()
        view = await service.put_scores(uow, actor, principal, procurement_id, data.scores, now)
        await uow.commit()
        return SheetOut.of(view)

    @post(
        "/review/submit",
        guards=[requires(Role.OWNER)],
        status_code=200,
        summary="Submit my scores (提交评分)",
        description="Only when every counted bid has a score for every criterion (409 naming the "
        "missing cells otherwise); final once submitted. Only submitted sheets count at the freeze.",
    )
    async def submit(
        self, procurement_id: Id, uow: UoW, actor: CurrentActor, principal: CurrentPrincipal, app_state: State
    ) -> SheetOut:
        view = await service.submit(uow, actor, principal, procurement_id, app_state.clock.now())
        await uow.commit()
        return SheetOut.of(view)

    @get(
        "/review/scores",
        opt=PUBLIC,
        summary="Every submitted score (评审得分), after the freeze",
        description="Public once the draw's inputs are frozen (published false and nothing before): "
        "each reviewer's score per firm and criterion, the totals the record weighs as "
        "technical_scores, and the reviewers left out for not submitting.",
    )
    async def public(self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW) -> PublicScoresOut:
        scores = await published.public_scores(uow, signed_in_principal(request), procurement_id)
        return PublicScoresOut.of(procurement_id, scores)
