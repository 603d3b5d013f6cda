"""The public pages in a real browser: the home page, the QR-code verification page and
its upload check, and the trail from a superseded document to its new version."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from contracts import DocumentKind
from tests.browser.conftest import IssuedContract, LiveApp

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_home_page_is_in_chinese_and_its_lookup_opens_the_verify_page(
    page: Page, live_app: LiveApp, service_contract: IssuedContract
) -> None:
    await page.goto("/")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page).to_have_title(live_app.settings.platform_name)
    await expect(page.locator("h1")).to_have_text(live_app.settings.platform_name)
    await expect(page.get_by_role("heading", level=2).first).to_contain_text("电子文件核验")

    document_id = service_contract.document["id"]
    await page.locator("input[name=id]").fill(document_id)
    await page.get_by_role("button", name="查询").click()

    await expect(page).to_have_url(f"{live_app.url}/verify/{document_id}")
    await expect(page.locator("#sha256")).to_have_text(service_contract.document["sha256"])


async def test_lookup_form_keeps_a_malformed_id_on_the_home_page(page: Page, live_app: LiveApp) -> None:
    await page.goto("/")
    await page.locator("input[name=id]").fill("not-an-id")
    await page.get_by_role("button", name="查询").click()
    # the pattern attribute stops the submission in the browser; nothing is requested
    await expect(page).to_have_url(f"{live_app.url}/")
    assert await page.locator("input[name=id]").evaluate("input => input.validity.patternMismatch")


async def test_verify_page_confirms_the_genuine_pdf_and_rejects_an_altered_copy(
    page: Page, service_contract: IssuedContract, pdf_file: Callable[[str, bytes], Path], tmp_path: Path
) -> None:
    document = service_contract.document
    await page.goto(f"/verify/{document['id']}")
    await expect(page.locator("h1")).to_contain_text("电子文件核验")
    await expect(page.locator("#sha256")).to_have_text(document["sha256"])
    await expect(page.locator(".status strong")).to_have_text("有效")
    await expect(page.locator("#document")).to_contain_text("中介服务合同")

    await page.locator("input[type=file][name=file]").set_input_files(pdf_file("合同.pdf", service_contract.pdf))
    await page.get_by_role("button", name="核验").click()
    await expect(page.locator("#result")).to_contain_text("与本平台签发的原件一致")
    await expect(page.locator("#result")).to_have_class(re.compile(r"\bok\b"))

    screenshot = tmp_path / "verify.png"
    await page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0 and screenshot.read_bytes().startswith(PNG_SIGNATURE)

    altered = bytearray(service_contract.pdf)
    altered[len(altered) // 3] ^= 0x01
    await page.locator("input[type=file][name=file]").set_input_files(pdf_file("改过的合同.pdf", bytes(altered)))
    await page.get_by_role("button", name="核验").click()
    await expect(page.locator("#result")).to_contain_text("不是本平台签发")
    await expect(page.locator("#result")).to_have_class(re.compile(r"\bbad\b"))


async def test_superseded_document_page_links_to_its_new_version(
    page: Page, live_app: LiveApp, issue: Callable[[DocumentKind], Awaitable[dict[str, Any]]]
) -> None:
    first = await issue(DocumentKind.RESULT_NOTICE)
    second = await issue(DocumentKind.RESULT_NOTICE)  # same procurement: replaces the first

    await page.goto(f"/verify/{first['id']}")
    await expect(page.locator(".status strong")).to_have_text("已被新版本替代")
    link = page.get_by_role("link", name="新版本")
    await expect(link).to_have_attribute("href", f"/verify/{second['id']}")

    await link.click()
    await expect(page).to_have_url(f"{live_app.url}/verify/{second['id']}")
    await expect(page.locator("#sha256")).to_have_text(second["sha256"])
    await expect(page.locator(".status strong")).to_have_text("有效")
