"""`market serve` parses HTTP with httptools on asyncio's own loop (web.cli.SERVER_LOOP)."""

from __future__ import annotations

from typing import Any

from uvicorn.config import Config

from web.cli import SERVER_LOOP


async def _app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never called
    raise AssertionError("only the configuration is loaded")


def test_serve_uses_httptools_for_http() -> None:
    config = Config(_app, **SERVER_LOOP)  # type: ignore[arg-type]
    config.load()
    assert config.http_protocol_class.__name__ == "HttpToolsProtocol"


def test_serve_stays_on_asyncio_loop_even_with_uvloop_installed() -> None:
    # uvloop measured more CPU per bid than asyncio here (bench/bids.py); "auto" would take it
    factory = Config(_app, **SERVER_LOOP).get_loop_factory()  # type: ignore[arg-type]
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()
