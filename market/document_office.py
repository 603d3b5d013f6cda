"""The platform's document office: the pool of worker processes that render and seal
documents, and the seal that checks an uploaded copy.

Rendering and sealing are CPU work done by :mod:`contracts` in those processes; this module
only owns their lifetime (started on first use, closed with the app) and counts what is in
flight for the operator's metrics. What is rendered, stored and audited is
:mod:`market.documents`' business.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import contracts
from market.errors import ConfigurationError
from market.settings import Settings


@dataclass(frozen=True, slots=True)
class RenderQueue:
    """For the operator's metrics: worker processes running (0 until the first document
    starts them), documents being rendered and documents waiting for a free worker."""

    workers: int
    active: int
    pending: int


class DocumentOffice:
    """The process-wide renderer and seal. Both are made on first use: building the font
    cache and starting worker processes takes seconds, and most requests never need them."""

    def __init__(self, settings: Settings) -> None:
        parts = urlsplit(settings.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"MARKET_PUBLIC_URL={settings.public_url!r} must be an absolute http(s) URL; "
                "it is printed in the QR code of every document"
            )
        self.settings = settings
        self.workers = settings.render_workers or None
        self._pool: contracts.RenderPool | None = None
        self._lock = asyncio.Lock()
        self._in_flight = 0

    @contextlib.contextmanager
    def _counted(self) -> Iterator[None]:
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1

    @property
    def queue(self) -> RenderQueue:
        # The pool hands documents to free workers in order: all are busy while more
        # documents are in flight than there are workers.
        workers = self._pool.max_workers if self._pool is not None else 0
        active = min(self._in_flight, workers)
        return RenderQueue(workers, active, self._in_flight - active)

    @functools.cached_property
    def render_settings(self) -> contracts.RenderSettings:
        # Built on first use: it loads WeasyPrint, which the service need not pay for at start.
        return contracts.RenderSettings(
            base_url=self.settings.public_url,
            cache_dir=self.settings.home / "cache",
            platform_name=self.settings.platform_name,
        )

    @functools.cached_property
    def seal_config(self) -> contracts.SealConfig:
        if self.settings.seal_pkcs12 is not None:
            return contracts.SealConfig.production(self.settings.seal_pkcs12, self.settings.seal_passphrase)
        return contracts.SealConfig.development(self.settings.home / "seal")

    async def pool(self) -> contracts.RenderPool:
        async with self._lock:
            if self._pool is None:
                self._pool = await asyncio.to_thread(
                    contracts.RenderPool, self.render_settings, self.seal_config, self.workers
                )
            return self._pool

    async def seal(self) -> contracts.Seal:
        return await asyncio.to_thread(contracts.load_seal, self.seal_config)

    async def issue(
        self, document: contracts.Document, template: contracts.TemplateSource | None, document_id: str
    ) -> contracts.IssuedDocument:
        with self._counted():
            return await (await self.pool()).issue(document, template, document_id)

    async def render_unsigned(
        self, document: contracts.Document, template: contracts.TemplateSource | None, document_id: str
    ) -> contracts.UnsignedDocument:
        with self._counted():
            pool = await self.pool()
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                pool.executor,
                contracts.render_unsigned,
                document,
                self.render_settings,
                template,
                document_id,
            )

    async def check(self, pdf: bytes) -> contracts.VerificationResult:
        seal = await self.seal()
        return await contracts.verify_pdf_async(pdf, seal.trust_roots, [seal.certificate])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
