"""Migration 0004 fills in the issuer and the parties of documents issued before it."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import text

from contracts import DocumentKind, canonical_json
from contracts.samples import CONTRACTOR, OWNER, sample_document
from market import migrate
from tests.conftest import ClonedDatabase

BEFORE = "fcc578d5cca6"  # 0003, the registries


async def test_upgrade_takes_issuer_and_parties_from_existing_documents(fresh_database: ClonedDatabase) -> None:
    await fresh_database.database.dispose()
    await asyncio.to_thread(migrate.downgrade, fresh_database.url, BEFORE)
    data = json.loads(canonical_json(sample_document(DocumentKind.WORKS_CONTRACT)))["data"]
    async with fresh_database.database.sessions() as session:
        org = await session.scalar(text(
            "INSERT INTO organisation (kind, name) VALUES ('owner', '韶关市住房和城乡建设管理局') RETURNING id"))
        user = await session.scalar(text(
            "INSERT INTO user_account (username, display_name, password_hash, organisation_id)"
            " VALUES ('owner.li', 'owner.li', 'x', :org) RETURNING id"), {"org": org})
        await session.execute(text(
            "INSERT INTO issued_document (id, kind, document_number, procurement_reference, title, data,"
            " template_version, content_digest, sha256, pdf, size, page_count, signer, signed_at, issued_by)"
            " VALUES ('d1', 'works_contract', 'n', 'SGXE-2026-0042', 't', CAST(:data AS jsonb), 'v', 'c',"
            " 's', '\\x00', 1, 1, 'platform', now(), :user)"), {"data": json.dumps(data), "user": user})
        await session.commit()
    await fresh_database.database.dispose()
    await asyncio.to_thread(migrate.upgrade, fresh_database.url)
    async with fresh_database.database.sessions() as session:
        row = (await session.execute(text(
            "SELECT issuer_organisation_id, party_usccs FROM issued_document WHERE id = 'd1'"))).one()
    assert row[0] == org
    assert row[1] == sorted([OWNER.uscc, CONTRACTOR.uscc])
