"""An objection upheld against a service procurement's winner voids the result and the draw
runs again (issue 13): a new round with its own commitments, frozen from the previous
round's frozen documents less the disqualified firm, revealed and selected by the real
lifecycle into a second record that ``python -S -m selection.verify`` checks on its own; the
first record stays, its award marked voided."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from market.db import Database
from market.models import AuditEntry, DrawRound, Objection, SelectionRecordRow, TimeLimit
from market.procurement.states import ProcurementStatus
from selection.record import SelectionRecord
from tests import objection_flow as flow
from tests.integration.test_lifecycle import _advancing

ROOT = Path(__file__).resolve().parents[2]


def _verify(record: str, digests: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    path = home / "record.json"
    path.write_text(record, encoding="utf-8")
    frozen = ",".join(f"{k}={digests[k]}" for k in ("configuration", "candidates", "bids"))
    return subprocess.run(
        [sys.executable, "-S", "-m", "selection.verify", "--frozen", frozen, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_an_upheld_objection_redraws_without_the_firm_into_a_second_verifiable_record(
    database: Database, tmp_path: Path
) -> None:
    world = await flow.selected(database)
    row = world.row
    assert row.status is ProcurementStatus.SELECTED
    [first] = await flow.awards(database, row.id)
    winner_uscc = first.uscc
    lodged_at = world.selected_at + timedelta(hours=1)
    made = await flow.lodge(database, world.firms[0], row, lodged_at)
    assert (await flow.reload(database, row.id)).objections_open == 1
    assert (await flow.reload(database, row.id)).next_check is not None  # the answer's limit

    answered_at = lodged_at + timedelta(hours=2)
    await flow.answer(database, world.owner, made.id, "upheld", answered_at)
    voided = await flow.reload(database, row.id)
    assert voided.status is ProcurementStatus.REDRAWING and voided.objections_open == 0
    [old] = await flow.awards(database, row.id)
    assert (old.ended_reason, old.ended_at) == ("voided", answered_at)
    freeze_at = voided.redraw_freeze_at
    assert freeze_at is not None and freeze_at > answered_at and voided.selection_time > freeze_at
    assert voided.next_check == freeze_at

    secret = await flow.owner_commits(database, world.owner, row, 2, answered_at + timedelta(minutes=10))
    advance = _advancing(database)
    frozen_step = await advance(freeze_at)
    assert [s.action for s in frozen_step.steps] == ["freeze"]
    async with database.sessions() as session:
        one = await session.get(DrawRound, (row.id, 1))
        two = await session.get(DrawRound, (row.id, 2))
    assert one is not None and two is not None and two.frozen_documents is not None
    assert (
        one.frozen_documents is not None and winner_uscc in one.frozen_documents["candidates"]["candidates"]
    )
    candidates = two.frozen_documents["candidates"]
    assert winner_uscc not in candidates["candidates"] and len(candidates["candidates"]) == 3
    assert winner_uscc not in candidates["quotes"] and winner_uscc not in two.frozen_documents["bids"]
    assert {
        "id": winner_uscc,
        "reason": f"objection:{made.id} upheld (质疑成立，取消中选资格)",
    } in two.frozen_documents["configuration"]["rules"]["avoid"]
    assert (await flow.reload(database, row.id)).status is ProcurementStatus.FROZEN

    await flow.reveal(database, world.owner, row, secret, freeze_at + timedelta(minutes=5))
    selected_again = await flow.reload(database, row.id)
    await advance(selected_again.selection_time)
    final = await flow.reload(database, row.id)
    assert final.status is ProcurementStatus.SELECTED
    async with database.sessions() as session:
        records = list(await session.scalars(select(SelectionRecordRow).order_by(SelectionRecordRow.round)))
        two = await session.get(DrawRound, (row.id, 2))
    assert [r.round for r in records] == [1, 2]
    second = SelectionRecord.from_json(records[1].record)
    assert second.winners == [world.firms[2].organisation_uscc]  # the next lowest quote
    old_award, new_award = await flow.awards(database, row.id)
    assert old_award.ended_reason == "voided" and (new_award.round, new_award.rank) == (2, 1)
    assert new_award.uscc == second.winners[0] and new_award.ended_at is None
    assert two is not None and two.freeze_digests is not None
    checked = _verify(records[1].record, two.freeze_digests, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert SelectionRecord.from_json(records[0].record).winners == [winner_uscc]  # unchanged


async def test_a_dismissed_objection_lets_the_award_wait_then_follow_the_extended_publicity(
    database: Database,
) -> None:
    world = await flow.selected(database, first=920)
    row = world.row
    ends = row.publicity_ends_at
    assert ends is not None
    late = ends - timedelta(hours=1)
    made = await flow.lodge(database, world.firms[3], row, late)
    advance = _advancing(database)
    assert (await advance(ends + timedelta(hours=1))).steps == []  # the award waits for the answer
    answered_at = ends + timedelta(hours=2)
    await flow.answer(database, world.owner, made.id, "dismissed", answered_at)
    moved = await flow.reload(database, row.id)
    assert moved.status is ProcurementStatus.SELECTED and moved.objections_open == 0
    assert moved.publicity_ends_at is not None and moved.publicity_ends_at > answered_at + timedelta(days=2)
    async with database.sessions() as session:
        limit = await session.scalar(select(TimeLimit).where(TimeLimit.action == "objection_answer"))
    assert limit is not None and limit.done_at == answered_at
    assert (await flow.objection(database, made.id)).status == "answered"
    await advance(moved.publicity_ends_at)
    assert (await flow.reload(database, row.id)).status is ProcurementStatus.AWARDED


async def test_a_complaint_upheld_by_a_supervisor_voids_the_result_and_closes_the_others_as_moot(
    database: Database,
) -> None:
    world = await flow.selected(database, first=940)
    row = world.row
    at = world.selected_at + timedelta(hours=1)
    first = await flow.lodge(database, world.firms[0], row, at)
    second = await flow.lodge(database, world.firms[2], row, at + timedelta(minutes=1))
    assert (await flow.reload(database, row.id)).objections_open == 2
    await flow.answer(database, world.owner, first.id, "dismissed", at + timedelta(hours=1))
    await flow.complain(database, world.firms[0], first.id, at + timedelta(hours=2))
    assert (await flow.reload(database, row.id)).objections_open == 2  # the complaint and the second
    await flow.decide(database, await flow.supervisor(database), first.id, "upheld", at + timedelta(hours=3))
    voided = await flow.reload(database, row.id)
    assert voided.status is ProcurementStatus.REDRAWING and voided.objections_open == 0
    decided, moot = await flow.objection(database, first.id), await flow.objection(database, second.id)
    assert (decided.status, decided.outcome, decided.decision) == ("closed", "upheld", "upheld")
    assert (moot.status, moot.outcome) == ("closed", None) and str(first.id) in moot.decision_note
    async with database.sessions() as session:
        open_limits = list(
            await session.scalars(
                select(TimeLimit).where(TimeLimit.done_at.is_(None), TimeLimit.cancelled_at.is_(None))
            )
        )
        actions = list(await session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(row.id))))
        objections = list(await session.scalars(select(Objection.id)))
    assert open_limits == [] and len(objections) == 2
    assert {"objection:complained", "objection:decided", "award:voided", "procurement:voided"} <= set(actions)
    assert "draw:redraw_opened" in actions
