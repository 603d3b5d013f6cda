"""The draw ceremony on real PostgreSQL with an injected time: each step, and each refusal
leaving nothing written (docs/draw-spec.md §3)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from market import audit
from market.db import Database
from market.draw.rounds import CommitmentReused
from market.draw.service import (
    BeaconFormMismatch,
    BeaconRefused,
    CommitmentsClosed,
    RevealMismatch,
    RevealRefused,
)
from market.errors import InvalidInput, PermissionDenied
from market.models import AuditEntry, BidOpening, DrawCommitment, DrawReveal, DrawRound, SelectionRecordRow
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.problems import ProcurementRefused
from market.procurement.states import ProcurementStatus
from selection.ceremony import commitment
from selection.verify import verify_text
from tests import draw_data
from tests.bid_data import BID_KEY, CALENDARS, DEADLINE, PUBLISHED_AT, TERMS, acting, owner
from tests.conftest import ClonedDatabase
from tests.draw_flow import (
    IN_WINDOW,
    REVEAL_DEADLINE,
    SELECTION,
    SUPERVISOR,
    beacon,
    commit,
    freeze,
    opened,
    procurement_with_bids,
    reload,
    reveal,
    view,
)
from tests.draw_flow import select as run_selection
from tests.registry_data import VOCABULARY
from tests.unit.procurement.conftest import service_draft

SUPERVISOR_SECRET = "5" * 64


async def _count(database: Database, model: Any) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _audit(database: Database, action: str) -> list[AuditEntry]:
    async with database.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_a_procurement_goes_from_commitments_to_a_record_that_verifies(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer, row = await procurement_with_bids(database)
    reference = str(row.reference)
    await commit(database, SUPERVISOR, row, commitment(reference, 1, "supervisor", SUPERVISOR_SECRET))
    await opened(database, row)
    await freeze(database, row)

    frozen = await reload(database, row)
    assert frozen.status is ProcurementStatus.FROZEN
    async with database.sessions() as session:
        draw = await session.get(DrawRound, (row.id, 1))
        assert draw is not None and draw.freeze_digests is not None and draw.frozen_documents is not None
        platform = await session.get(DrawReveal, (row.id, 1, "platform"))
        assert platform is not None and platform.revealed_at > DEADLINE
        # the platform's secret was never readable in the database before the freeze
        assert platform.secret.encode() not in draw.platform_secret_sealed
        assert bytes.fromhex(platform.secret) not in draw.platform_secret_sealed
    [entry] = await _audit(database, "procurement:frozen")
    assert entry.payload["digests"] == draw.freeze_digests and entry.id == draw.freeze_audit_id

    during = await view(database, row, IN_WINDOW)
    assert [r.secret for r in during.reveals] == [None]  # who revealed, never the secret
    await reveal(database, buyer, row, "owner", draw_data.OWNER_SECRETS[reference], IN_WINDOW)
    # the supervisor withholds
    await beacon(database, row, "371", draw_data.LOTTERY.reference)
    await run_selection(database, row)

    done = await reload(database, row)
    # the result's publicity runs next (issue 13): the award is due at its end
    assert done.status is ProcurementStatus.SELECTED and done.next_check == done.publicity_ends_at is not None
    after = await view(database, row, SELECTION)
    assert after.withheld == ["supervisor"] and all(r.secret for r in after.reveals)
    async with database.sessions() as session:
        listed = (await session.get(BidOpening, row.id)).entries  # type: ignore[union-attr]
    cheapest = min(listed, key=lambda e: Decimal(e["quote_value"]))
    assert after.record is not None and after.record.winners == [cheapest["uscc"]]
    async with database.sessions() as session:
        stored = await session.scalar(
            select(SelectionRecordRow).where(SelectionRecordRow.procurement_id == row.id)
        )
        assert stored is not None
    assert verify_text(stored.record, frozen=draw.freeze_digests) is None
    [selected] = await _audit(database, "procurement:selected")
    assert selected.payload["record_sha256"] == stored.digest
    assert selected.payload["withheld"] == [{"party": "supervisor", "reason": "not_revealed"}]

    await run_selection(database, row, SELECTION + timedelta(minutes=1))  # again: nothing more
    assert await _count(database, SelectionRecordRow) == 1
    assert len(await _audit(database, "procurement:selected")) == 1


async def test_reveals_outside_the_window_again_or_not_matching_are_refused_and_write_nothing(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer, row = await procurement_with_bids(database)
    secret = draw_data.OWNER_SECRETS[str(row.reference)]
    await opened(database, row)
    with pytest.raises(RevealRefused, match="not frozen yet"):
        await reveal(database, buyer, row, "owner", secret, DEADLINE + timedelta(seconds=1))
    await freeze(database, row)
    with pytest.raises(RevealMismatch, match="does not match"):
        await reveal(database, buyer, row, "owner", "0" * 64, IN_WINDOW)
    with pytest.raises(RevealRefused, match="did not commit"):
        await reveal(database, SUPERVISOR, row, "supervisor", SUPERVISOR_SECRET, IN_WINDOW)
    with pytest.raises(PermissionDenied):
        await reveal(database, SUPERVISOR, row, "owner", secret, IN_WINDOW)
    with pytest.raises(RevealRefused, match="closed"):
        await reveal(database, buyer, row, "owner", secret, REVEAL_DEADLINE + timedelta(microseconds=1))
    assert await _count(database, DrawReveal) == 1  # the platform's alone
    assert await _audit(database, "draw:revealed") and len(await _audit(database, "draw:revealed")) == 1
    await reveal(database, buyer, row, "owner", secret, REVEAL_DEADLINE)  # at the deadline: counted
    with pytest.raises(RevealRefused, match="revealed already"):
        await reveal(database, buyer, row, "owner", secret, REVEAL_DEADLINE)
    assert await _count(database, DrawReveal) == 2


async def test_the_beacon_is_entered_once_in_its_declared_form_after_the_window(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    _, row = await procurement_with_bids(database)
    lottery = draw_data.LOTTERY.reference
    await opened(database, row)
    await freeze(database, row)
    with pytest.raises(BeaconRefused, match="after the reveal deadline"):
        await beacon(database, row, "371", lottery, IN_WINDOW)
    for spelling in ("3 7 1", "3,7,1", "0371", "３７１", "37"):
        with pytest.raises(BeaconFormMismatch, match="digits:3"):
            await beacon(database, row, spelling, lottery)
    with pytest.raises(InvalidInput, match="declared at publication"):
        await beacon(database, row, "371", "中国福利彩票3D 第2026319期")
    with pytest.raises(BeaconRefused):
        await beacon(database, row, "371", lottery, SELECTION)
    async with database.sessions() as session:
        draw = await session.get(DrawRound, (row.id, 1))
        assert draw is not None and draw.beacon_value is None
    await beacon(database, row, "371", lottery)
    with pytest.raises(BeaconRefused, match="entered already"):
        await beacon(database, row, "372", lottery)


async def test_commitments_are_refused_after_the_deadline_and_when_seen_before(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer, row = await procurement_with_bids(database, ("150000.00",))
    owners = draw_data.commitment(str(row.reference), 1, "owner", draw_data.OWNER_SECRETS[str(row.reference)])
    with pytest.raises(CommitmentReused):
        await commit(database, SUPERVISOR, row, owners)
    with pytest.raises(PermissionDenied):
        await commit(database, buyer, row, "a" * 64)
    with pytest.raises(CommitmentsClosed):
        await commit(database, SUPERVISOR, row, "a" * 64, DEADLINE)
    await commit(database, SUPERVISOR, row, "a" * 64)
    with pytest.raises(CommitmentsClosed, match="already"):
        await commit(database, SUPERVISOR, row, "b" * 64)
    assert await _count(database, DrawCommitment) == 3  # platform, owner, supervisor

    # a second procurement cannot publish with a commitment seen before
    async with database.unit_of_work() as uow:
        draft = await procurements.create_draft(
            uow, acting(buyer), buyer, terms_json(service_draft(avoidance=())), PUBLISHED_AT
        )
        await uow.commit()
    with pytest.raises(ProcurementRefused) as refused:
        async with database.unit_of_work() as uow:
            await procurements.reserve_reference(uow, acting(buyer), buyer, draft.id, PUBLISHED_AT, TERMS)
            await procurements.publish(
                uow, acting(buyer), buyer, draft.id, PUBLISHED_AT, await CALENDARS.current(uow), TERMS,
                vocabulary=VOCABULARY, eligible_count=5, bid_key=BID_KEY,
                owner_commitment="a" * 64, beacon=draw_data.LOTTERY,
            )  # fmt: skip
    assert "used before" in {p.field: p.message for p in refused.value.problems}["owner_commitment"]


async def test_publication_needs_the_owners_commitment_and_an_allowed_beacon(database: Database) -> None:
    buyer = await owner(database)
    async with database.unit_of_work() as uow:
        draft = await procurements.create_draft(
            uow, acting(buyer), buyer, terms_json(service_draft()), PUBLISHED_AT
        )
        options: dict[str, Any] = {"vocabulary": VOCABULARY, "eligible_count": 5, "bid_key": BID_KEY}
        calendar = await CALENDARS.current(uow)
        with pytest.raises(ProcurementRefused) as unreserved:
            await procurements.publish(
                uow, acting(buyer), buyer, draft.id, PUBLISHED_AT, calendar, TERMS, **options,
                owner_commitment="c" * 64, beacon=draw_data.BeaconDeclaration("external", "decimal", " "),
            )  # fmt: skip
        found = {p.field: p.message for p in unreserved.value.problems}
        assert "reserve" in found["owner_commitment"]
        assert "digits:N" in found["beacon.form"] and "event" in found["beacon.reference"]
        reference = await procurements.reserve_reference(
            uow, acting(buyer), buyer, draft.id, PUBLISHED_AT, TERMS
        )
        assert reference == await procurements.reserve_reference(
            uow, acting(buyer), buyer, draft.id, PUBLISHED_AT, TERMS
        )
        with pytest.raises(ProcurementRefused) as missing:
            await procurements.publish(
                uow, acting(buyer), buyer, draft.id, PUBLISHED_AT, calendar, TERMS, **options
            )
        assert {"owner_commitment", "beacon"} <= {p.field for p in missing.value.problems}
        with pytest.raises(ProcurementRefused) as audit_form:
            await procurements.publish(
                uow, acting(buyer), buyer, draft.id, PUBLISHED_AT, calendar, TERMS, **options,
                owner_commitment="Z" * 64, beacon=draw_data.BeaconDeclaration("external", "audit_head", "链头"),
            )  # fmt: skip
        assert {"owner_commitment", "beacon.form"} <= {p.field for p in audit_form.value.problems}


async def test_too_few_bids_fail_at_the_freeze_with_the_failure_record(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer, row = await procurement_with_bids(database, ("150000.00", "140000.00"))
    await opened(database, row)
    await freeze(database, row)
    failed = await reload(database, row)
    assert failed.status is ProcurementStatus.FAILED
    async with database.sessions() as session:
        stored = await session.scalar(
            select(SelectionRecordRow).where(SelectionRecordRow.procurement_id == row.id)
        )
        draw = await session.get(DrawRound, (row.id, 1))
    assert stored is not None and stored.outcome == "failed" and draw is not None
    assert verify_text(stored.record, frozen=draw.freeze_digests) is None
    [entry] = await _audit(database, "procurement:failed")
    assert entry.payload["failure"]["code"] == "insufficient_respondents"
    await run_selection(database, row)  # nothing to select: still one record
    assert await _count(database, SelectionRecordRow) == 1
    # the reveal window the freeze opened is moot: a reveal is refused and nothing written
    with pytest.raises(RevealRefused, match="no draw will be made"):
        await reveal(database, buyer, row, "owner", draw_data.OWNER_SECRETS[str(row.reference)], IN_WINDOW)
    assert await _count(database, DrawReveal) == 0


async def test_no_bid_at_all_fails_at_the_freeze_without_a_record(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    _, row = await procurement_with_bids(database, ())
    await opened(database, row)
    await freeze(database, row)
    assert (await reload(database, row)).status is ProcurementStatus.FAILED
    [entry] = await _audit(database, "procurement:failed")
    assert entry.payload["failure"] == {"code": "insufficient_respondents", "eligible": 0, "minimum": 2}
    assert await _count(database, SelectionRecordRow) == 0


async def test_with_the_audit_head_and_the_owner_withholding_no_draw_is_made(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    _, row = await procurement_with_bids(database)
    # re-declare: this procurement's beacon is the platform's own audit head
    async with database.unit_of_work() as uow:
        draw = await uow.session.get(DrawRound, (row.id, 1))
        assert draw is not None
        draw.beacon_source = draw.beacon_form = "audit_head"
        await uow.commit()
    await opened(database, row)
    await freeze(database, row)
    await run_selection(database, row)
    assert (await reload(database, row)).status is ProcurementStatus.FAILED
    [entry] = await _audit(database, "procurement:failed")
    assert entry.payload["failure"]["code"] == "insufficient_contributions"
    assert await _count(database, SelectionRecordRow) == 0


async def test_the_audit_head_beacon_is_sealed_at_the_selection_and_verifies(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer, row = await procurement_with_bids(database)
    async with database.unit_of_work() as uow:
        draw = await uow.session.get(DrawRound, (row.id, 1))
        assert draw is not None
        draw.beacon_source = draw.beacon_form = "audit_head"
        await uow.commit()
    await opened(database, row)
    await freeze(database, row)
    await reveal(database, buyer, row, "owner", draw_data.OWNER_SECRETS[str(row.reference)], IN_WINDOW)
    await audit.seal_pending(database)
    await run_selection(database, row)
    assert (await reload(database, row)).status is ProcurementStatus.SELECTED
    async with database.sessions() as session:
        stored = await session.scalar(
            select(SelectionRecordRow).where(SelectionRecordRow.procurement_id == row.id)
        )
        draw = await session.get(DrawRound, (row.id, 1))
    assert stored is not None and draw is not None and draw.beacon_value is not None
    seq, head = draw.beacon_value.split(":")
    assert int(seq) > 0 and len(head) == 64
    assert verify_text(stored.record, frozen=draw.freeze_digests) is None
