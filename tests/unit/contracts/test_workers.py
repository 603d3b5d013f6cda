from __future__ import annotations

import asyncio
import os
import sys

import pytest

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
from contracts.workers import default_workers, issue_batch, usable_cpus


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


def test_a_server_pool_leaves_the_event_loop_a_core() -> None:
    assert [default_workers(cpus) for cpus in (1, 2, 4, 16)] == [1, 1, 3, 15]
    assert default_workers() == max(1, usable_cpus() - 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CPU affinity is Linux's")
def test_a_server_pools_workers_stay_off_the_first_cpu(settings: RenderSettings,
                                                       seal_config: SealConfig) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("one CPU: nothing to leave to the event loop")
    with RenderPool(settings, seal_config, max_workers=len(cpus) - 1) as pool:
        assert pool.executor.submit(os.sched_getaffinity, 0).result() == set(cpus[1:])
    with RenderPool(settings, seal_config, max_workers=len(cpus)) as batch:  # a batch takes all
        assert batch.executor.submit(os.sched_getaffinity, 0).result() == set(cpus)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE is Linux's")
def test_render_workers_run_at_idle_cpu_priority(settings: RenderSettings,
                                                 seal_config: SealConfig) -> None:
    with RenderPool(settings, seal_config, max_workers=1) as pool:
        assert pool.executor.submit(os.sched_getscheduler, 0).result() == os.SCHED_IDLE
        assert pool.executor.submit(os.getpid).result() != os.getpid()


def test_a_batch_on_its_own_takes_every_core(settings: RenderSettings, seal_config: SealConfig,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real_init = RenderPool.__init__

    def recording_init(self: RenderPool, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        sizes.append(self.max_workers)

    monkeypatch.setattr(RenderPool, "__init__", recording_init)
    issue_batch([sample_document(DocumentKind.RESULT_NOTICE)], settings, seal_config)
    assert sizes == [usable_cpus()]
