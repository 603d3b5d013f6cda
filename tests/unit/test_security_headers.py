"""The security headers hook sets its headers in one pass over the answer's headers."""

from __future__ import annotations

import asyncio
from typing import Any

from web.security import CONTENT_SECURITY_POLICY, security_headers


def _answer(
    path: str, headers: list[tuple[bytes, bytes]], *, https: bool = False
) -> list[tuple[bytes, bytes]]:
    settings: Any = type("S", (), {"served_over_https": https})()
    hook = security_headers(settings)
    message: Any = {"type": "http.response.start", "status": 200, "headers": headers}
    asyncio.run(hook(message, {"type": "http", "path": path}))  # type: ignore[arg-type]
    return list(message["headers"])


def test_a_handlers_own_header_of_the_same_name_is_replaced_in_place_and_its_duplicates_go() -> None:
    got = _answer(
        "/api/bids",
        [
            (b"content-type", b"application/json"),
            (b"Cache-Control", b"max-age=600"),
            (b"x-request-id", b"abc"),
            (b"cache-control", b"public"),
        ],
    )
    assert got[:3] == [
        (b"content-type", b"application/json"),
        (b"cache-control", b"no-store"),
        (b"x-request-id", b"abc"),
    ]
    assert dict(got)[b"content-security-policy"] == CONTENT_SECURITY_POLICY.encode()
    assert [name for name, _ in got].count(b"cache-control") == 1
    assert {b"x-content-type-options", b"x-frame-options", b"referrer-policy"} <= dict(got).keys()
    assert b"strict-transport-security" not in dict(got)


def test_static_files_keep_their_cache_header_and_https_adds_hsts() -> None:
    got = _answer("/static/site.css", [(b"cache-control", b"max-age=3600")], https=True)
    assert (b"cache-control", b"max-age=3600") in got
    assert dict(got)[b"strict-transport-security"].startswith(b"max-age=")


def test_other_messages_are_left_alone() -> None:
    settings: Any = type("S", (), {"served_over_https": False})()
    body: Any = {"type": "http.response.body", "body": b"x"}
    asyncio.run(security_headers(settings)(body, {"type": "http", "path": "/"}))
    assert body == {"type": "http.response.body", "body": b"x"}
