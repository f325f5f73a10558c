"""The web page in a real browser (Debian's headless Chromium) against the real server over the real corpus:
ask, follow a citation into the document, search, links that reproduce a view, and hostile input shown as text.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn

from service.api.main import create_app

pytestmark = pytest.mark.browser

QUESTION = "vilka stadsdelar arbetar med medborgarvärdar?"
HOSTILE = "<script>alert(1)</script>"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous, because a slow machine embeds the question on every request; waits end as soon as the page is ready.
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def base_url(engine, app_settings) -> str:
    """The real server (uvicorn) on a free loopback port, serving the session engine."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    # Listening before the server starts: early connections wait in the backlog instead of being refused.
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(create_app(settings=app_settings, engine=engine), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join()
    sock.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright; skipped locally without it, a failure in CI."""
    chromium = shutil.which("chromium")
    if chromium is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page; any dialog (an executed alert) or console error (a CSP violation) fails the test."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    problems: list[str] = []
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page
    context.close()
    assert problems == []


def ask_api(base_url: str, question: str) -> dict:
    response = httpx.post(f"{base_url}/api/ask", json={"question": question}, timeout=WAIT_MS / 1000)
    response.raise_for_status()
    return response.json()


def submit(page, question: str, mode: str = "Fråga") -> None:
    page.locator(f"label[for=mode-{'search' if mode == 'Sök' else 'ask'}]").click()
    page.get_by_label("Ställ en fråga om dokumenten").fill(question)
    page.get_by_role("button", name=mode, exact=True).click()


def test_ask_then_open_the_cited_passage(page, base_url, screenshot):
    from playwright.sync_api import expect

    expected = ask_api(base_url, QUESTION)
    page.goto(base_url)
    submit(page, QUESTION)

    lines = page.locator(".district-line")
    expect(lines).to_have_count(len(expected["districts"]))
    for line, district in zip(lines.all(), expected["districts"]):
        expect(line.locator(".district-name")).to_have_text(district["name"])
        expect(line.locator("button.cite")).to_have_count(len(district["citations"]))
    expect(page.locator(".sources .source")).to_have_count(len(expected["citations"]))

    marker = page.locator('.district-list button.cite[data-cite="1"]').first
    marker.click()
    first = expected["citations"][0]
    mark = page.locator("#doc-text mark")
    expect(mark).to_be_visible()
    assert mark.text_content() == first["quote"]
    expect(mark).to_be_in_viewport()
    expect(page.locator("#doc-title")).to_have_text(first["title"])
    expect(page.locator("#doc-where")).to_contain_text(first["section"].split(" > ")[-1])

    query = parse_qs(urlsplit(page.url).query)
    assert query["q"] == [QUESTION] and query["mode"] == ["ask"]
    page.screenshot(path=str(screenshot("screenshot-answer.png")))

    page.keyboard.press("Escape")  # closes the document and returns focus to the marker that opened it
    expect(page.locator("#document")).to_be_hidden()
    expect(marker).to_be_focused()


def test_search_lists_passages_and_opens_one(page, base_url):
    from playwright.sync_api import expect

    expected = httpx.get(
        f"{base_url}/api/search", params={"q": "trygghet", "k": 10, "district": "Spånga-Tensta"}, timeout=WAIT_MS / 1000
    ).json()
    page.goto(base_url)
    expect(page.locator("#district option")).not_to_have_count(1)  # filled from /api/districts
    page.get_by_role("combobox", name="Stadsdel").select_option("Spånga-Tensta")
    submit(page, "trygghet", mode="Sök")

    passages = page.locator(".passage")
    expect(passages).to_have_count(len(expected["results"]))
    assert passages.first.locator(".passage-text").text_content() == expected["results"][0]["text"]

    passages.first.get_by_role("button", name="Visa i dokumentet").click()
    mark = page.locator("#doc-text mark")
    expect(mark).to_be_in_viewport()
    assert mark.text_content() == expected["results"][0]["text"]
    query = parse_qs(urlsplit(page.url).query)
    assert query["mode"] == ["search"] and query["district"] == ["Spånga-Tensta"]


def test_a_link_reproduces_the_view(page, base_url):
    from playwright.sync_api import expect

    expected = httpx.get(
        f"{base_url}/api/search", params={"q": "medborgarvärdar", "district": "Skärholmen"}, timeout=WAIT_MS / 1000
    ).json()
    page.goto(f"{base_url}/?q=medborgarv%C3%A4rdar&mode=search&district=Sk%C3%A4rholmen")
    expect(page.locator(".passage")).to_have_count(len(expected["results"]))
    expect(page.get_by_label("Ställ en fråga om dokumenten")).to_have_value("medborgarvärdar")
    expect(page.get_by_role("combobox", name="Stadsdel")).to_have_value("Skärholmen")
    expect(page.get_by_role("radio", name="Sök")).to_be_checked()
    expect(page.get_by_role("button", name="Sök", exact=True)).to_be_visible()


@pytest.mark.parametrize("mode", ["Sök", "Fråga"])
def test_hostile_query_is_shown_as_text(page, base_url, mode):
    from playwright.sync_api import expect

    page.goto(base_url)
    submit(page, HOSTILE, mode=mode)
    heading = page.locator("#search-title" if mode == "Sök" else "#answer-title")
    expect(heading).to_have_text(HOSTILE)
    assert page.locator("#results script").count() == 0
    assert page.evaluate("document.scripts.length") == 1  # only /static/app.js


def test_page_fits_a_phone(browser, base_url, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="sv-SE", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{base_url}/?q={QUESTION}&mode=ask")
    expect(page.locator(".district-line").first).to_be_visible()
    page.locator('.district-list button.cite[data-cite="1"]').first.click()
    expect(page.locator("#doc-text mark")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=False)
    context.close()
