"""Objections' bad input (issue 13): each refused with its reason and nothing written; files
kept with their SHA-256; the ``next_alternate`` rule of the reference data."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.award import case_files
from market.award.case_files import Upload
from market.award.objection_rules import NotARespondent, ObjectionExists, ObjectionStep, ObjectionWindowClosed
from market.db import Database
from market.errors import InvalidInput, PermissionDenied
from market.models import CaseFile, DrawRound, Objection
from market.procurement.states import ProcurementStatus
from tests import objection_flow as flow
from tests.bid_data import TERMS, bidder, owner

PDF = b"%PDF-1.7\n" + b"x" * 200


async def _count(database: Database, model: type[object]) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_who_may_object_when_and_how_often(database: Database) -> None:
    world = await flow.selected(database, first=960)
    row = world.row
    at = world.selected_at + timedelta(hours=1)
    outsider = await bidder(database, 969)
    with pytest.raises(NotARespondent, match="took part in this round"):
        await flow.lodge(database, outsider, row, at)
    with pytest.raises(NotARespondent, match="firm's account"):
        await flow.lodge(database, world.owner, row, at)
    with pytest.raises(NotARespondent, match="its own selection"):
        await flow.lodge(database, world.winner, row, at)
    assert row.publicity_ends_at is not None
    with pytest.raises(ObjectionWindowClosed, match="publicity ended"):
        await flow.lodge(database, world.firms[0], row, row.publicity_ends_at)
    assert await _count(database, Objection) == 0
    await flow.lodge(database, world.firms[0], row, at)
    with pytest.raises(ObjectionExists):
        await flow.lodge(database, world.firms[0], row, at + timedelta(minutes=1))
    assert await _count(database, Objection) == 1
    assert (await flow.reload(database, row.id)).objections_open == 1


async def test_grounds_and_files_are_checked_before_anything_is_written(database: Database) -> None:
    from market.award import objections
    from tests.bid_data import acting

    world = await flow.selected(database, first=970)
    row, firm = world.row, world.firms[0]
    at = world.selected_at + timedelta(hours=1)

    async def lodge(grounds: object, files: list[Upload]) -> Objection:
        async with database.unit_of_work() as uow:
            made = await objections.lodge(uow, acting(firm), firm, row.id, grounds, files, at, terms=TERMS)
            await uow.commit()
            return made

    with pytest.raises(InvalidInput, match="grounds"):
        await lodge("   ", [])
    with pytest.raises(InvalidInput, match="at most 4000"):
        await lodge("x" * 4001, [])
    with pytest.raises(InvalidInput, match="is not a PDF"):
        await lodge("资质造假", [Upload("证据.pdf", b"MZ\x90\x00" + b"x" * 100)])
    with pytest.raises(InvalidInput, match="attachments are"):
        await lodge("资质造假", [Upload("证据.exe", b"MZ\x90\x00")])
    assert await _count(database, Objection) == 0 and await _count(database, CaseFile) == 0
    made = await lodge("资质造假", [Upload("证据.pdf", PDF, "application/pdf")])
    async with database.unit_of_work() as uow:
        [entry] = await case_files.files_of(uow, "objection", made.id)
        stored = await case_files.download(uow, entry.id)
    assert (entry.name, entry.size, entry.sha256) == ("证据.pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    assert stored.content == PDF and stored.procurement_id == row.id


async def test_only_the_owner_answers_once_and_only_the_objector_complains_after_a_dismissal(
    database: Database,
) -> None:
    world = await flow.selected(database, first=980)
    row = world.row
    at = world.selected_at + timedelta(hours=1)
    made = await flow.lodge(database, world.firms[0], row, at)
    other_owner = await owner(database, "韶关市水务局")
    with pytest.raises(PermissionDenied, match="owner's organisation"):
        await flow.answer(database, other_owner, made.id, "dismissed", at)
    with pytest.raises(ObjectionStep, match="follows an objection the owner dismissed"):
        await flow.complain(database, world.firms[0], made.id, at)
    with pytest.raises(InvalidInput, match="upheld"):
        await flow.answer(database, world.owner, made.id, "maybe", at)
    await flow.answer(database, world.owner, made.id, "dismissed", at + timedelta(hours=1))
    with pytest.raises(ObjectionStep, match="answered or closed"):
        await flow.answer(database, world.owner, made.id, "upheld", at + timedelta(hours=2))
    with pytest.raises(PermissionDenied, match="firm that objected"):
        await flow.complain(database, world.firms[2], made.id, at + timedelta(hours=2))
    await flow.complain(database, world.firms[0], made.id, at + timedelta(hours=2))
    with pytest.raises(ObjectionStep):
        await flow.complain(database, world.firms[0], made.id, at + timedelta(hours=3))
    own = await flow.supervisor(database, row.owner_organisation_id)
    with pytest.raises(PermissionDenied, match="outside the owner's organisation"):
        await flow.decide(database, own, made.id, "upheld", at + timedelta(hours=3))
    with pytest.raises(PermissionDenied, match="supervisor"):
        await flow.decide(database, world.owner, made.id, "upheld", at + timedelta(hours=3))
    outside = await flow.supervisor(database)
    await flow.decide(database, outside, made.id, "dismissed", at + timedelta(hours=4))
    with pytest.raises(ObjectionStep, match="no complaint to decide"):
        await flow.decide(database, outside, made.id, "upheld", at + timedelta(hours=5))
    decided = await flow.objection(database, made.id)
    assert (decided.status, decided.outcome, decided.answer_decision) == ("closed", "dismissed", "dismissed")
    after = await flow.reload(database, row.id)
    assert after.status is ProcurementStatus.SELECTED and after.objections_open == 0


async def test_with_the_next_alternate_rule_an_upheld_objection_moves_the_alternate_up(
    database: Database,
) -> None:
    terms = dataclasses.replace(
        TERMS,
        after=dataclasses.replace(TERMS.after, upheld_objection={"intermediary_service": "next_alternate"}),
    )
    world = await flow.selected(database, first=990)
    row = world.row
    at = world.selected_at + timedelta(hours=1)
    made = await flow.lodge(database, world.firms[0], row, at)
    await flow.answer(database, world.owner, made.id, "upheld", at + timedelta(hours=1), terms)
    moved = await flow.reload(database, row.id)
    assert moved.status is ProcurementStatus.SELECTED and moved.objections_open == 0
    old, new = await flow.awards(database, row.id)
    assert old.ended_reason == "voided" and (new.round, new.rank, new.ended_at) == (1, 2, None)
    assert new.uscc == world.firms[2].organisation_uscc  # the record's alternate
    assert new.publicity_ends_at > at + timedelta(hours=1)  # a publicity of its own
    async with database.sessions() as session:
        assert await session.get(DrawRound, (row.id, 2)) is None  # nothing redrawn
