"""The draw ceremony's pages in a real browser: the commitment the page's WebCrypto makes is
byte for byte the one ``selection.ceremony.commitment`` makes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.async_api import Page

from selection.ceremony import commitment
from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser

CASES = [
    ("SGZJ-2026-0001", 1, "owner", "00" * 32),
    ("SGZJ-2026-12345", 2, "supervisor", "0123456789abcdef" * 4),
    ("SGXE-2031-0420", 17, "platform", "f" * 64),
]


async def _with_draw_js(page: Page) -> None:
    await page.goto("/procurements")
    await page.add_script_tag(url="/static/draw.js")  # a same-origin script, as the CSP allows


async def test_the_page_commitment_is_the_specified_bytes(page: Page, live_app: LiveApp) -> None:
    await _with_draw_js(page)
    for reference, round_number, role, secret in CASES:
        made = await page.evaluate(
            "([r, n, role, s]) => window.marketDraw.commitment(r, n, role, s)",
            [reference, round_number, role, secret],
        )
        assert made == commitment(reference, round_number, role, secret)
    # a secret made by the browser: 64 lowercase hex digits, and its commitment agrees too
    secret = await page.evaluate("() => window.marketDraw.newSecret()")
    assert len(secret) == 64 and set(secret) <= set("0123456789abcdef")
    made = await page.evaluate("(s) => window.marketDraw.commitment('SGZJ-2026-0007', 1, 'owner', s)", secret)
    assert made == commitment("SGZJ-2026-0007", 1, "owner", secret)


async def test_the_reveal_page_reads_the_secret_from_the_command_s_output(
    page: Page, live_app: LiveApp
) -> None:
    printed = subprocess.run(
        [sys.executable, "-S", "-m", "selection.secret", "--reference", "SGZJ-2026-0001", "--round", "1",
         "--role", "owner"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    secret = printed.split("\n")[0].split()[1]
    await _with_draw_js(page)
    assert await page.evaluate("(t) => window.marketDraw.secretOfFile(t)", printed) == secret
    assert await page.evaluate("(t) => window.marketDraw.secretOfFile(t)", f"\n{secret}\n") == secret
    assert await page.evaluate("(t) => window.marketDraw.secretOfFile(t)", "secret 371") == ""
