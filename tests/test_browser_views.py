"""The views of issue 16 in a real browser (Debian's headless Chromium) against the real server over the
real corpus: the API documentation with no network, the compare view, search with highlights, facets and
paging, exports opened as Swedish CSV, the link to the original file, and every view at phone and desktop
width with no text overflowing its box."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from service.api.main import create_app
from tests.conftest import make_settings
from tests.test_browser import CHROMIUM_ARGS, WAIT_MS, browser  # noqa: F401 - shared fixtures
from tests.test_browser_research import serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(engine, tmp_path_factory) -> Iterator[str]:
    """The real server over the session engine, with a review database of its own."""
    database = tmp_path_factory.mktemp("reviews") / "reviews.db"
    settings = make_settings(engine.settings.index_dir, db_url=f"sqlite:///{database}")
    with serving(create_app(settings=settings, engine=engine)) as url:
        yield url


def open_page(browser, width: int = 1280, height: int = 900):
    """A fresh page at ``width``; returns it with the list of problems (dialogs, console errors) it met."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="sv-SE", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    problems: list[str] = []
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return page, problems


@pytest.fixture
def page(browser):
    """A fresh desktop-width page; a dialog or console error fails the test."""
    page, problems = open_page(browser)
    yield page
    page.context.close()
    assert problems == []


def offline(page, base_url: str) -> list[str]:
    """Refuse every request that leaves this server; returns the list of those refused."""
    refused: list[str] = []
    local = urlsplit(base_url).netloc

    def route(request_route):
        if urlsplit(request_route.request.url).netloc == local or request_route.request.url.startswith(("blob:", "data:")):
            request_route.continue_()
        else:
            refused.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return refused


# ReDoc's footer links Redocly's logo from its CDN: the page's policy blocks that one image (and says so
# on the console); everything ReDoc needs to render comes from this server.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".opblock-summary-path"), ("/redoc", "[data-section-id]")])
def test_api_docs_render_with_no_network(browser, base_url, path, ready, screenshot):
    from playwright.sync_api import expect

    page, problems = open_page(browser)
    refused = offline(page, base_url)
    page.goto(f"{base_url}{path}")
    expect(page.locator(ready).first).to_be_visible()
    expect(page.get_by_text("/api/search").first).to_be_visible()
    if path == "/docs":
        page.screenshot(path=str(screenshot("screenshot-api-docs.png")))
    page.context.close()
    assert refused == []
    assert [problem for problem in problems if REDOC_LOGO not in problem] == []
