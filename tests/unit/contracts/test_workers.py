from __future__ import annotations

import asyncio

from contracts import (
    DocumentKind,
    IssueRequest,
    RenderPool,
    RenderSettings,
    Seal,
    SealConfig,
    issue_document_async,
    verify_pdf,
)
from contracts.samples import sample_document


def test_async_issue_runs_off_the_event_loop(settings: RenderSettings,
                                             seal_config: SealConfig, seal: Seal) -> None:
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def main() -> bytes:
        beat = asyncio.create_task(heartbeat())
        issued = await issue_document_async(sample_document(DocumentKind.RESULT_NOTICE),
                                            settings, seal_config)
        beat.cancel()
        return issued.pdf

    pdf = asyncio.run(main())
    assert ticks > 1
    assert verify_pdf(pdf, seal.trust_roots).issued_by_platform


def test_render_pool_issues_a_batch_in_order(settings: RenderSettings,
                                             seal_config: SealConfig) -> None:
    kinds = [DocumentKind.SELECTION_NOTICE, DocumentKind.RESULT_NOTICE]
    with RenderPool(settings, seal_config, max_workers=2) as pool:
        issued = pool.issue_many([sample_document(kinds[0]),
                                  IssueRequest(sample_document(kinds[1]), document_id="custom-id-0001")])
    assert [d.kind for d in issued] == kinds
    assert issued[1].document_id == "custom-id-0001"
