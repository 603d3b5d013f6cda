"""Running the CPU-bound rendering off the event loop and across every core.

Rendering a document holds the GIL for ~0.1-0.3 s (layout, font subsetting, signing), so
threads would stall an async web server. :class:`RenderPool` keeps worker *processes*,
started with ``spawn`` (forking a process that runs an event loop and threads is unsafe),
each warmed up once: fonts prepared, seal loaded, WeasyPrint imported.

Typical use in the application::

    pool = RenderPool(settings, seal_config)          # at startup (CPUs - 1 workers)
    issued = await pool.issue(document)               # in a request handler / job
    issued_many = await pool.issue_many_async(docs)   # a batch, all workers busy
    pool.close()                                      # at shutdown
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType

from contracts.fonts import prepare_fonts
from contracts.issuing import IssuedDocument, issue_document
from contracts.model import Document
from contracts.rendering import FONT_TIMESTAMP_EPOCH, RenderSettings
from contracts.seal import SealConfig, load_seal
from contracts.seal_image import draw_seal
from contracts.templating import TemplateSource


@dataclass(frozen=True)
class IssueRequest:
    """One document to issue in a batch, with its optional template and id."""

    document: Document
    template: TemplateSource | None = None
    document_id: str | None = None


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, which containers and ``taskset``
    narrow), not every CPU of the machine."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(cpus: int | None = None) -> int:
    """Render workers a server should run: one per CPU but one, at least one.

    Idle CPU priority alone did not keep a batch from slowing the API (p99 about 4x idle
    with a worker on each of 2 cores): each request's processes (web server, PostgreSQL
    backend) then wake up on a core a renderer holds, whose caches it has filled, and
    must preempt it first. A core left to the event loop avoids that; the goal is a p99
    within 2x of idle (``bench/documents.py``). Rendering still uses every other core.
    """
    return max(1, (usable_cpus() if cpus is None else cpus) - 1)


def worker_cpus(workers: int) -> tuple[int, ...] | None:
    """The CPUs render workers are kept on: all but the first usable one when the pool
    leaves the event loop a core (fewer workers than CPUs), else no restriction.

    Idle priority decides who gets a CPU, not what the CPU holds: a request that wakes up
    on a core a renderer was using finds its caches filled with layout data and runs
    slower, and the request's chain (web server, PostgreSQL backend, the client's reply)
    lands there often. Keeping the renderers on the other cores left the API's p99 under
    a batch at about 1.5x idle instead of 2.4-2.9x on 2 cores (``bench/documents.py``).
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: no affinity to set
        return None
    if workers >= len(cpus) or len(cpus) < 2:
        return None
    return tuple(cpus[1:])


def _warm_up(settings: RenderSettings, seal: SealConfig, niceness: int,
             cpus: tuple[int, ...] | None = None) -> None:
    if cpus:
        # a narrower mask imposed since (taskset, a container) wins: keep the one we have
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpus)
    if niceness:
        # Rendering is batch work: it should use every idle core, but a web request must
        # get the CPU at once. SCHED_IDLE (Linux) gives exactly that: any normal task
        # preempts the worker immediately; a plain nice value still lets a render delay
        # a request by a scheduler slice. Elsewhere, fall back to nice.
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except (AttributeError, OSError):
            os.nice(niceness)
    prepare_fonts(settings.cache_dir, settings.source_font)
    draw_seal(load_seal(seal).config.organisation)
    _pin_font_timestamps()


def _pin_font_timestamps() -> None:
    # A worker is a process we start only to render, so it is where the process-wide
    # SOURCE_DATE_EPOCH is set (see FONT_TIMESTAMP_EPOCH): once, before its first render,
    # not from a render call that may run in a thread.
    os.environ.setdefault("SOURCE_DATE_EPOCH", FONT_TIMESTAMP_EPOCH)


def _issue(settings: RenderSettings, seal: SealConfig, request: IssueRequest) -> IssuedDocument:
    return issue_document(request.document, settings, seal, request.template,
                          request.document_id)


def _as_request(item: Document | IssueRequest) -> IssueRequest:
    return item if isinstance(item, IssueRequest) else IssueRequest(item)


class RenderPool:
    """A pool of worker processes that issue documents.

    ``max_workers`` defaults to :func:`default_workers` (one core left to the event loop,
    the workers kept off it: :func:`worker_cpus`); workers run at idle CPU priority
    (``SCHED_IDLE``, or ``niceness`` steps below normal where that is unavailable; 0 keeps
    normal priority) so a batch never starves the API. The first call of each worker
    builds the font cache if it is missing (seconds, once per cache directory).
    Exceptions raised while issuing (:class:`InvalidDocumentData`,
    :class:`TemplateRejected`, :class:`SealError`) are re-raised in the caller.
    """

    def __init__(self, settings: RenderSettings, seal: SealConfig,
                 max_workers: int | None = None, niceness: int = 10) -> None:
        # Prepare shared state once in the parent, so workers never race to build it.
        prepare_fonts(settings.cache_dir, settings.source_font)
        load_seal(seal)
        self.settings = settings
        self.seal = seal
        self.max_workers = max_workers or default_workers()
        self._executor = ProcessPoolExecutor(
            max_workers=self.max_workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_up, initargs=(settings, seal, niceness, worker_cpus(self.max_workers)))

    @property
    def executor(self) -> Executor:
        """The underlying executor (for ``loop.run_in_executor``)."""
        return self._executor

    async def issue(self, document: Document, template: TemplateSource | None = None,
                    document_id: str | None = None) -> IssuedDocument:
        """Issue one document in a worker process without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, _issue, self.settings, self.seal,
            IssueRequest(document, template, document_id))

    async def issue_many_async(
            self, items: Iterable[Document | IssueRequest]) -> list[IssuedDocument]:
        """Issue many documents on all workers; results in input order."""
        return list(await asyncio.gather(*(
            self.issue(r.document, r.template, r.document_id)
            for r in map(_as_request, items))))

    def issue_many(self, items: Iterable[Document | IssueRequest]) -> list[IssuedDocument]:
        """Synchronous :meth:`issue_many_async` (for scripts and jobs)."""
        futures = [self._executor.submit(_issue, self.settings, self.seal, r)
                   for r in map(_as_request, items)]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Stop the workers (waits for running renders)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


async def issue_document_async(document: Document, settings: RenderSettings,
                               seal: SealConfig, template: TemplateSource | None = None,
                               document_id: str | None = None,
                               executor: Executor | None = None) -> IssuedDocument:
    """Issue one document off the event loop.

    With ``executor`` (e.g. :attr:`RenderPool.executor`) it runs there; without, in a
    thread via :func:`asyncio.to_thread` — fine for occasional documents, but the thread
    holds the GIL most of the time, so busy servers should use a :class:`RenderPool`. In a
    thread, fixed font timestamps need SOURCE_DATE_EPOCH set by this process (see
    :data:`~contracts.rendering.FONT_TIMESTAMP_EPOCH`); pool workers set it themselves.
    """
    if executor is None:
        return await asyncio.to_thread(issue_document, document, settings, seal, template,
                                       document_id)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, _issue, settings, seal,
                                      IssueRequest(document, template, document_id))


def issue_batch(items: Sequence[Document | IssueRequest], settings: RenderSettings,
                seal: SealConfig, max_workers: int | None = None) -> list[IssuedDocument]:
    """Issue a batch of documents using every core (a temporary :class:`RenderPool`).

    Results are in input order. For repeated batches keep one pool instead: starting
    workers costs about a second each. Unlike a server's pool, a batch run on its own has
    no event loop to leave a core to, so it takes them all.
    """
    with RenderPool(settings, seal, max_workers or usable_cpus()) as pool:
        return pool.issue_many(items)
