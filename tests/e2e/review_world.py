"""A scored procurement with a review step, through the app's API: the terms, the owner's
reviewers as accounts, publication. Shared by the review's end-to-end test, its access rows
and its browser test."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from market.principal import Role
from tests import draw_data
from tests.e2e.bid_world import BidWorld, _user, draft_json

WEIGHTS = {"price": "30", "credit": "10", "evaluation": "10", "technical": "50"}
CRITERIA = [
    {"code": "plan", "name": "服务方案", "max_points": "50"},
    {"code": "team", "name": "项目团队", "max_points": "30"},
    {"code": "quality", "name": "质量保证措施", "max_points": "20"},
]
#: The review deadline and the selection after the bid deadline (reveal gap 60 minutes).
REVIEW_AFTER = timedelta(days=1)
SELECTION_AFTER_REVIEW = timedelta(hours=3)


def scored_json(deadline: datetime, **changes: Any) -> dict[str, Any]:
    """A scored draft (30 price, 10 credit, 10 evaluation, 50 technical) closing at ``deadline``,
    reviewed for a day after it."""
    raw = draft_json(deadline, method="scored", alternates=1, method_params={"weights": WEIGHTS})
    review_deadline = deadline + REVIEW_AFTER
    raw.update(
        review_criteria=CRITERIA,
        review_deadline=review_deadline.isoformat(),
        selection_time=(review_deadline + SELECTION_AFTER_REVIEW).isoformat(),
        **changes,
    )
    return raw


async def add_reviewers(world: BidWorld, *names: str) -> dict[str, int]:
    """Owner accounts of the owner's organisation, signed in; their user ids by name."""
    ids = {}
    for name in names:
        ids[name] = await _user(world.database, f"s.{name}", Role.OWNER, world.owner_org)
        await world.sign_in(name, f"s.{name}")
    return ids


async def published_scored(world: BidWorld, deadline: datetime) -> dict[str, Any]:
    draft = await world.ok("POST", "/api/procurements", "owner", json=scored_json(deadline))
    reserved = await world.ok("POST", f"/api/procurements/{draft['id']}/reference", "owner")
    body = draw_data.publish_json(reserved["reference"])
    return dict(await world.ok("POST", f"/api/procurements/{draft['id']}/publish", "owner", json=body))


def full_sheet(firms: list[str], base: int) -> dict[str, dict[str, str]]:
    """Every criterion of every firm scored, different per firm."""
    return {
        uscc: {"plan": str(base - 3 * n), "team": f"{20 + n}.5", "quality": str(10 + n)}
        for n, uscc in enumerate(firms)
    }
