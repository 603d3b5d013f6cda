"""`market serve` parses HTTP with httptools on uvloop (web.cli.SERVER_LOOP)."""

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


def test_serve_runs_on_uvloop() -> None:
    # named, not "auto": a machine without uvloop must fail at install, not serve slower unseen
    factory = Config(_app, **SERVER_LOOP).get_loop_factory()  # type: ignore[arg-type]
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
