"""Running the collusion screens (:mod:`market.supervision.screens`) over a period's opened
procurements, and the supervisors' reviews of their flags — both audited. A screen is a
pointer for review, never a finding: nothing here changes a firm or a procurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, text

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import InvalidInput
from market.models import Organisation, Procurement, ScreenReview
from market.supervision.periods import Period
from market.supervision.screens import Screening, Tender, Thresholds, screen

MAX_NOTE = 2000
MAX_FLAG = 200  # a flag's key, e.g. pair:12-34; the listed ones are far shorter
Decision = Literal["dismissed", "referred"]

_TENDERS = """
SELECT p.id,
  ARRAY(SELECT (e->>'firm_id')::bigint FROM jsonb_array_elements(o.entries) e
        WHERE (e->>'counted')::boolean AND e->>'quote_value' IS NOT NULL) AS firms,
  ARRAY(SELECT (e->>'quote_value')::float8 FROM jsonb_array_elements(o.entries) e
        WHERE (e->>'counted')::boolean AND e->>'quote_value' IS NOT NULL) AS quotes,
  (SELECT a.firm_id FROM award a WHERE a.procurement_id = p.id ORDER BY a.id LIMIT 1) AS winner
FROM procurement p
JOIN bid_opening o ON o.procurement_id = p.id
WHERE p.published_at >= :start AND p.published_at < :end
ORDER BY p.id
"""


async def tenders(uow: UnitOfWork, period: Period) -> list[Tender]:
    """The opened procurements published in ``period``: counted bids' firms and quotes, and
    the firm first awarded (the selection's winner), if any."""
    rows = (await uow.session.execute(text(_TENDERS), {"start": period.start, "end": period.end})).all()
    return [Tender(r.id, tuple(r.firms), tuple(r.quotes), r.winner) for r in rows]


@dataclass(frozen=True, slots=True)
class Flag:
    key: str
    kind: str  # quote | pair | cover | rotation
    numbers: dict[str, Any]
    procurements: tuple[int, ...]
    firms: tuple[int, ...]
    review: ScreenReview | None


@dataclass(frozen=True, slots=True)
class Names:
    """How a page names what the flags point at: procurements by reference, firms by name."""

    references: dict[int, str]
    firms: dict[int, str]


async def names_of(uow: UnitOfWork, flags: list[Flag]) -> Names:
    procurement_ids = sorted({p for f in flags for p in f.procurements})
    firm_ids = sorted({x for f in flags for x in f.firms})  # a rotation's winners are its firms
    references = await uow.session.execute(
        select(Procurement.id, Procurement.reference).where(Procurement.id.in_(procurement_ids))
    )
    firms = await uow.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(firm_ids))
    )
    return Names({i: r or str(i) for i, r in references}, {i: n for i, n in firms})


def flags_of(result: Screening) -> list[Flag]:
    flags: list[Flag] = []
    for q in result.quotes:
        if q.flagged:
            numbers: dict[str, Any] = {"quotes": q.quotes, "cv": q.cv, "rd": q.rd, "gap": q.gap}
            numbers["kurtosis"] = q.kurtosis
            flags.append(Flag(f"quote:{q.procurement_id}", "quote", numbers, (q.procurement_id,), (), None))
    for p in result.pairs:
        numbers = {"together": p.together, "bids": list(p.bids), "share": p.share}
        flags.append(Flag(f"pair:{p.firms[0]}-{p.firms[1]}", "pair", numbers, p.procurements, p.firms, None))
    for c in result.covers:
        numbers = {"together": c.together, "winner": c.winner, "loser": c.loser}
        key = f"cover:{c.winner}-{c.loser}"
        flags.append(Flag(key, "cover", numbers, c.procurements, (c.winner, c.loser), None))
    for r in result.rotations:
        numbers = {"wins": {str(k): v for k, v in r.wins.items()}, "largest_share": r.largest_share}
        key = "rotation:" + "-".join(map(str, r.firms))
        flags.append(Flag(key, "rotation", numbers, r.procurements, r.firms, None))
    return flags


async def run(
    uow: UnitOfWork, actor: Actor, period: Period, thresholds: Thresholds
) -> tuple[list[Flag], int]:
    """Every flag over ``period`` with its latest review, and how many procurements were
    screened; the run is audited (who looked, at what, how many flags)."""
    found = await tenders(uow, period)
    flags = flags_of(screen(found, thresholds))
    reviews = await _latest_reviews(uow, [f.key for f in flags])
    flags = [Flag(f.key, f.kind, f.numbers, f.procurements, f.firms, reviews.get(f.key)) for f in flags]
    await audit.record(
        uow,
        actor,
        "screen:run",
        "supervision",
        "screens",
        {
            "period": [period.first.isoformat(), period.last.isoformat()],
            "procurements": len(found),
            "flags": {
                kind: sum(f.kind == kind for f in flags) for kind in ("quote", "pair", "cover", "rotation")
            },
        },
    )
    return flags, len(found)


def _exact(value: Any) -> Any:
    """Floats as the decimal text they print as (audit payloads and JSONB keep exact numbers)."""
    if isinstance(value, float):
        return str(value)
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_exact(v) for v in value]
    return value


async def _latest_reviews(uow: UnitOfWork, keys: list[str]) -> dict[str, ScreenReview]:
    if not keys:
        return {}
    rows = await uow.session.scalars(
        select(ScreenReview).where(ScreenReview.flag.in_(keys)).order_by(ScreenReview.id)
    )
    return {row.flag: row for row in rows}  # the last one of each flag wins


async def review(
    uow: UnitOfWork,
    actor: Actor,
    period: Period,
    thresholds: Thresholds,
    *,
    flag: str,
    decision: str,
    note: str,
    now: datetime,
) -> ScreenReview:
    """A supervisor's review of one flag the screens raise over ``period`` (dismissed, or
    referred for investigation), kept with the flag's numbers as they were."""
    flag, note = flag.strip(), note.strip()
    if len(flag) > MAX_FLAG:
        raise InvalidInput("flag is a screen flag's key as listed, e.g. pair:12-34", field="flag")
    if decision not in ("dismissed", "referred"):
        raise InvalidInput("decision is dismissed or referred", field="decision")
    if not note:
        raise InvalidInput("say why (note): the review is kept with the flag", field="note")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"the note is at most {MAX_NOTE} characters", field="note")
    found = next((f for f in flags_of(screen(await tenders(uow, period), thresholds)) if f.key == flag), None)
    if found is None:
        raise InvalidInput(
            f"the screens raise no flag {flag[:MAX_FLAG]!r} over {period.label}: "
            "list them for the period first",
            field="flag",
        )
    numbers = _exact({**found.numbers, "procurements": list(found.procurements), "firms": list(found.firms)})
    row = ScreenReview(
        flag=flag, decision=decision, note=note, numbers=numbers, reviewed_by=actor.id, reviewed_at=now
    )
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "screen:reviewed",
        "supervision",
        flag[:80],
        {"decision": decision, "note": note, **numbers},
    )
    return row
