"""The pages under the platform's Content-Security-Policy, in a browser cut off from every
host but the platform: the API explorer at /schema renders from the platform's own files,
and no page trips the policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import ConsoleMessage, Page, Route, expect

from tests.browser.conftest import OWNER, PASSWORD, IssuedContract, LiveApp

pytestmark = pytest.mark.browser

# Playwright evaluates init scripts outside the page's CSP, so this records what the policy
# refused without itself needing 'unsafe-inline'.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


class Watched:
    def __init__(self) -> None:
        self.outside: list[str] = []
        self.console: list[str] = []

    async def only_the_platform(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:  # what a government network without internet does
            self.outside.append(route.request.url)
            await route.abort("internetdisconnected")

    def note(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            self.console.append(message.text)

    async def assert_clean(self, page: Page) -> None:
        violations = await page.evaluate("window.__cspViolations")
        policy_messages = [m for m in self.console if "Content Security Policy" in m]
        assert (violations, policy_messages, self.outside) == ([], [], [])


@pytest.fixture
async def watched(page: Page) -> AsyncIterator[Watched]:
    watch = Watched()
    await page.add_init_script(RECORD_VIOLATIONS)
    await page.route("**/*", watch.only_the_platform)
    page.on("console", watch.note)
    yield watch


async def test_api_explorer_renders_the_operations_with_no_internet(page: Page, watched: Watched) -> None:
    await page.goto("/schema")
    await expect(page.locator("#swagger-ui .info .title")).to_contain_text("market")
    login = page.locator(".opblock-post").filter(has_text="/api/auth/login")
    await expect(login).to_be_visible()
    # the explorer draws a long document as a virtual list (only what is in view is in the
    # page): count the operations it loaded, not the ones drawn
    assert await page.evaluate("window.ui.specSelectors.operations().size") >= 100

    await login.locator(".opblock-summary").click()  # the operation unfolds, its schema shows
    await expect(login.locator(".opblock-body")).to_contain_text("username")
    await watched.assert_clean(page)


async def test_pages_and_the_verify_form_keep_within_the_policy(
    page: Page, watched: Watched, service_contract: IssuedContract
) -> None:
    for path in ("/", "/firms", f"/verify/{service_contract.document['id']}", "/no-such-page"):
        await page.goto(path)
        await expect(page.locator("h1")).to_be_visible()
        # site.css applied: a stylesheet the policy refused would leave the default white
        assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(245, 247, 250)"
        await watched.assert_clean(page)


async def test_try_it_out_signed_in_by_the_cookie_sends_the_csrf_token(
    page: Page, live_app: LiveApp, watched: Watched
) -> None:
    signed_in = await page.request.post("/api/auth/login", data={"username": OWNER, "password": PASSWORD})
    assert signed_in.ok  # the context now holds the session and CSRF cookies, as after a login page

    await page.goto("/schema")
    logout = page.locator(".opblock-post").filter(has_text="/api/auth/logout")
    await logout.locator(".opblock-summary").click()
    await logout.get_by_role("button", name="Try it out").click()
    await logout.get_by_role("button", name="Execute").click()
    await expect(logout.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")
    await watched.assert_clean(page)

    me = await page.request.get("/api/auth/me")
    assert me.status == 401  # the explorer's POST really signed the cookie's session out
