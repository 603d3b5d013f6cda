"""What the fuzz tier needs so that the objection routes reach their services, not only their
404s: a procurement of the fuzzed owner in its result's publicity, with an objection owed an
answer (the owner's examples answer it), one with a complaint owed a decision (the
supervisor's) and a file lodged with it (the download). An upheld answer or decision here
fails cleanly (round 1 was never frozen: nothing to redraw), so the objections stay open for
the next example."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from market.audit import Actor
from market.calendar_years import Calendars
from market.clock import local
from market.db import Database
from market.models import Award, BidOpening, CaseFile, Objection, Procurement
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from tests import draw_data
from tests.bid_data import BID_KEY, TERMS
from tests.registry_data import VOCABULARY
from tests.unit.procurement.conftest import service_draft

PDF = b"%PDF-1.7\n" + b"f" * 64


async def populate(database: Database, owner_user_id: int, organisation_id: int, firms: list[int]) -> None:
    """``firms``: three admitted firms (ids): the objector, the winner, the complainant."""
    owner = Principal(owner_user_id, "fuzz.owner", "owner", frozenset({Role.OWNER}), organisation_id)
    actor = Actor(owner_user_id, "fuzz.owner")
    now = datetime.now(UTC)
    deadline = local(now + timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    raw = terms_json(service_draft(bid_deadline=deadline, selection_time=deadline + timedelta(hours=5)))
    async with database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, actor, owner, raw, now)
        calendar = await Calendars().current(uow)
        row = await draw_data.publish(
            uow, actor, owner, row.id, now, calendar, TERMS,
            vocabulary=VOCABULARY, eligible_count=5, bid_key=BID_KEY,
        )  # fmt: skip
        objector, winner, complainant = firms
        entries = [{"firm_id": f, "counted": True, "uscc": str(f)} for f in firms]
        uow.session.add(
            BidOpening(procurement_id=row.id, opened_at=now, entries=entries, list_sha256="0" * 64)
        )
        ends = now + timedelta(days=5)
        award = Award(
            procurement_id=row.id, round=1, rank=1, firm_id=winner, uscc="91440200000000000X",
            amount=Decimal("1000.00"), selected_at=now, publicity_ends_at=ends,
        )  # fmt: skip
        uow.session.add(award)
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None
        stored.status, stored.publicity_ends_at, stored.objections_open = ProcurementStatus.SELECTED, ends, 2
        await uow.session.flush()
        common = {
            "procurement_id": row.id, "award_id": award.id, "lodged_at": now, "grounds": "资质不符",
            "against_firm_id": winner, "answer_due_at": ends,
        }  # fmt: skip
        owed = Objection(firm_id=objector, **common)
        complained = Objection(
            firm_id=complainant, **common, status="complaint", answer="不成立", answer_decision="dismissed",
            answered_at=now, complaint_grounds="答复有误", complained_at=now, decision_due_at=ends,
        )  # fmt: skip
        uow.session.add_all([owed, complained])
        await uow.session.flush()
        uow.session.add(
            CaseFile(
                procurement_id=row.id, subject="objection", subject_id=owed.id, name="证据.pdf",
                media_type="application/pdf", size=len(PDF), sha256=hashlib.sha256(PDF).hexdigest(),
                content=PDF, created_at=now,
            )
        )  # fmt: skip
        await uow.commit()
