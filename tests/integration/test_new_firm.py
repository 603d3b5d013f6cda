"""One "new firm" fact builder (market.registry.new_firm): an application through the ORM
and an import through set-based SQL write the same rows for the same record — on real
PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select

from market.audit import Actor
from market.db import Database
from market.models import (
    CreditEvent,
    Firm,
    FirmStatus,
    FirmStatusChange,
    Licence,
    LicenceStatus,
    Organisation,
    TrackRecord,
)
from market.registry import firms
from market.registry.bulk import IMPORTED, upsert_firms
from market.registry.records import firm_input
from market.registry.vocabulary import load_vocabulary
from tests.registry_data import contractor, uscc

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ACTOR = Actor(None, "applicant:firm1", "203.0.113.9")
# A policy whose base is past the top of the scale: the score a firm starts with is still
# 100.00 (the import once wrote the base unclamped and PostgreSQL refused the firm row).
VOCABULARY = load_vocabulary()
GENEROUS = dataclasses.replace(VOCABULARY, credit=dataclasses.replace(VOCABULARY.credit, base=Decimal("105")))
# ids, the code itself and the database's own clock differ by construction
UNCOMPARED = {"id", "firm_id", "uscc", "created_at", "updated_at"}


def _record(serial: int) -> Any:
    """contractor(1)'s record with another USCC: everything else is the same input."""
    raw = contractor(
        1,
        name="韶关市同一建设工程有限公司",
        licences=[
            *contractor(1)["licences"],
            {
                "licence_type": "安全生产许可证",
                "number": "(粤)JZ安许证字[2024]012345",
                "issuer": "广东省住房和城乡建设厅",
                "valid_until": "2027-01-09",
            },
        ],
        track_records=[
            {
                "project": "浈江区某小学运动场改造",
                "owner_name": "韶关市浈江区教育局",
                "contract_value": "1250000.00",
                "completed_on": "2025-06-30",
                "field_code": "housing_municipal",
            }
        ],
    )
    return dataclasses.replace(firm_input(VOCABULARY, raw), uscc=uscc(serial))


async def _rows(database: Database, firm_id: int) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, tuple[Table, Any]] = {
        "organisation": (Organisation.__table__, Organisation.__table__.c.id),  # type: ignore[dict-item]
        "firm": (Firm.__table__, Firm.__table__.c.id),  # type: ignore[dict-item]
        "firm_status_change": (FirmStatusChange.__table__, FirmStatusChange.__table__.c.firm_id),  # type: ignore[dict-item]
        "credit_event": (CreditEvent.__table__, CreditEvent.__table__.c.firm_id),  # type: ignore[dict-item]
        "licence": (Licence.__table__, Licence.__table__.c.firm_id),  # type: ignore[dict-item]
        "track_record": (TrackRecord.__table__, TrackRecord.__table__.c.firm_id),  # type: ignore[dict-item]
    }
    found: dict[str, list[dict[str, Any]]] = {}
    async with database.sessions() as session:
        for name, (table, key) in tables.items():
            result = await session.execute(select(table).where(key == firm_id))
            rows = [{k: v for k, v in row.items() if k not in UNCOMPARED} for row in result.mappings()]
            found[name] = sorted(rows, key=repr)
    return found


async def test_an_application_and_an_import_write_the_same_rows_for_the_same_record(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        applied = await firms.apply(uow, ACTOR, _record(1), now=NOW, vocabulary=GENEROUS)
        imported = await upsert_firms(
            uow, ACTOR, [_record(2)], now=NOW, vocabulary=GENEROUS, status=FirmStatus.APPLIED
        )
        await uow.commit()
    by_orm = await _rows(database, applied.id)
    in_bulk = await _rows(database, imported.firm_ids[uscc(2)])

    # each path states why the firm exists; everything else is the same fact
    for rows, reason in ((by_orm, firms.APPLICATION), (in_bulk, IMPORTED)):
        assert rows["firm"][0].pop("status_reason") == reason
        assert rows["firm_status_change"][0].pop("reason") == reason
    assert by_orm == in_bulk

    firm = by_orm["firm"][0]
    assert (firm["status"], firm["credit_score"], firm["applied_at"]) == (FirmStatus.APPLIED, Decimal("100.00"), NOW)
    assert [(e["delta"], e["score_after"]) for e in by_orm["credit_event"]] == [(Decimal("105.00"), Decimal("100.00"))]
    assert [lic["status"] for lic in by_orm["licence"]] == [LicenceStatus.PENDING, LicenceStatus.PENDING]
    assert by_orm["firm_status_change"][0]["actor_label"] == "applicant:firm1"
    assert len(by_orm["track_record"]) == 1 and by_orm["organisation"][0]["name"] == "韶关市同一建设工程有限公司"
