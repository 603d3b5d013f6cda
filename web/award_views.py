"""The 结果公示 section of the public procurement page: :mod:`market.award.publicity`'s view
with times in China time and money in ¥. Formatting only; the sentences are in
``templates/award/_publicity.html``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market.award import publicity
from market.db import UnitOfWork
from market.errors import NotFound
from market.principal import Principal
from web.procurement_page_views import china_time, yuan


@dataclass(frozen=True, slots=True)
class AwardRow:
    line: publicity.AwardLine
    amount: str
    selected_at: str
    publicity_ends_at: str
    awarded_at: str
    contract_due_at: str
    ended_at: str


@dataclass(frozen=True, slots=True)
class PublicitySection:
    view: publicity.Publicity
    current: AwardRow | None
    earlier: list[AwardRow]
    running: bool  # the publicity has not ended yet


def _row(line: publicity.AwardLine) -> AwardRow:
    return AwardRow(
        line,
        amount=yuan(line.amount),
        selected_at=china_time(line.selected_at),
        publicity_ends_at=china_time(line.publicity_ends_at),
        awarded_at=china_time(line.awarded_at),
        contract_due_at=china_time(line.contract_due_at),
        ended_at=china_time(line.ended_at),
    )


async def publicity_section(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, now: datetime
) -> PublicitySection | None:
    """None until a selection has opened an award."""
    try:
        view = await publicity.publicity(uow, principal, procurement_id, now=now)
    except NotFound:
        return None
    current = view.current
    return PublicitySection(
        view,
        current=_row(current) if current is not None else None,
        earlier=[_row(line) for line in view.earlier],
        running=current is not None and current.awarded_at is None and now < current.publicity_ends_at,
    )
