"""The OCDS feed over a real procurement (publication, bids, opening, draw, result, award):
every package validates against the official 1.1.5 schema; bidders appear only in the
releases from the opening on; the feed pages in a stable order."""

from __future__ import annotations

from sqlalchemy import select

from market import audit, audit_checkpoints
from market.db import Database
from market.errors import NotFound
from market.models import Procurement
from market.opendata import feed, ocds
from market.procurement.terms import load_procurement_terms
from tests.integration.test_lifecycle import _advancing
from tests.integration.test_record_replay import _selected
from tests.ocds_schema import problems

TERMS = load_procurement_terms()
PREFIX = "ocds-sg0000"
URL = "https://jy.example.cn"
T = {"prefix": PREFIX, "terms": TERMS, "public_url": URL}


async def test_the_feed_of_a_real_procurement_validates_and_keeps_bids_sealed_until_the_opening(
    database: Database,
) -> None:
    await _selected(database)
    async with database.sessions() as session:
        row = await session.scalar(select(Procurement))
        assert row is not None and row.publicity_ends_at is not None and row.reference is not None
    await _advancing(database)(row.publicity_ends_at)  # the award

    await audit.seal_pending(database)  # the sealer publishes a checkpoint at the selection
    async with database.unit_of_work() as uow:
        page = await feed.page(uow, since=0, limit=100, **T)  # type: ignore[arg-type]
        checkpoint = await feed.newest_checkpoint(uow)
    assert checkpoint is not None
    tags = [r["tag"] for r in page.releases]
    assert tags == [["tender"], ["tenderUpdate"], ["award"], ["awardUpdate"]]
    assert all(r["ocid"] == f"{PREFIX}-{row.reference}" and r["language"] == "zh" for r in page.releases)
    assert "tenderers" not in page.releases[0]["tender"]
    assert page.releases[1]["tender"]["numberOfTenderers"] == 3
    assert page.releases[2]["awards"][0]["status"] == "pending"
    assert page.releases[3]["awards"][0]["status"] == "active"
    package = ocds.package(
        page.releases,
        uri=f"{URL}/ocds/releases",
        published=row.selection_time,
        publisher="x",
        checkpoint=checkpoint,
    )
    assert problems(package) == []
    # the feed carries the audit chain's newest checkpoint, which the chain contains
    carried = package["auditCheckpoint"]
    assert carried["checkpoint"] == f"{checkpoint.seq}:{checkpoint.hash}" == f"{carried['seq']}:{carried['hash']}"
    held = await audit_checkpoints.verify(database, [audit_checkpoints.parse(carried["checkpoint"])])
    assert held.intact, held.problems

    async with database.unit_of_work() as uow:
        first = await feed.page(uow, since=0, limit=2, **T)  # type: ignore[arg-type]
        assert first.next_since is not None
        rest = await feed.page(uow, since=first.next_since, limit=100, **T)  # type: ignore[arg-type]
        releases = await feed.record(uow, f"{PREFIX}-{row.reference}", **T)  # type: ignore[arg-type]
    assert [r["id"] for r in first.releases + rest.releases] == [r["id"] for r in page.releases]
    record = ocds.record_package(
        f"{PREFIX}-{row.reference}",
        releases,
        uri=f"{URL}/r",
        published=row.selection_time,
        publisher="x",
        checkpoint=checkpoint,
    )
    assert problems(record, records=True) == [] and record["auditCheckpoint"] == carried
    compiled = record["records"][0]["compiledRelease"]
    assert compiled["tender"]["status"] == "complete" and compiled["awards"][0]["status"] == "active"
    roles = {p["name"]: set(p["roles"]) for p in compiled["parties"]}
    assert sum("supplier" in r for r in roles.values()) == 1
    assert sum("tenderer" in r for r in roles.values()) == 3


async def test_an_unknown_or_malformed_ocid_is_not_found(database: Database) -> None:
    async with database.unit_of_work() as uow:
        for ocid in (f"{PREFIX}-SGZJ-2026-9999", "ocds-zzzzzz-SGZJ-2026-0001", "x" * 120):
            try:
                await feed.record(uow, ocid, **T)  # type: ignore[arg-type]
            except NotFound:
                continue
            raise AssertionError(f"{ocid} was found")
