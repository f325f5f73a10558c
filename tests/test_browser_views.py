"""The views of issue 16 in a real browser (Debian's headless Chromium) against the real server over the
real corpus: the API documentation with no network, the compare view, search with highlights, facets and
paging, exports opened as Swedish CSV, the link to the original file, and every view at phone and desktop
width with no text overflowing its box."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

import pytest

from service.api.main import create_app
from tests.conftest import make_settings
from tests.test_browser import QUESTION, WAIT_MS, browser  # noqa: F401 - shared fixtures
from tests.test_browser_research import T1, T2, serving

pytestmark = pytest.mark.browser

SEARCH = "trygghetsvandringar"
# The query's compound parts: a hit may match "trygghet" or "vandringar" alone.
PARTS = ("trygg", "vandring")


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


def get_json(base_url: str, path: str, **params) -> dict:
    response = httpx.get(f"{base_url}{path}", params=params, timeout=WAIT_MS / 1000)
    response.raise_for_status()
    return response.json()


def test_search_marks_the_query_words_and_filters_by_facet(page, base_url):
    from playwright.sync_api import expect

    expected = get_json(base_url, "/api/search", q=SEARCH, k=10)
    page.goto(f"{base_url}/?{urlencode({'q': SEARCH, 'mode': 'search'})}")
    first = page.locator(".passage").first
    expect(first).to_be_visible()
    hit = expected["results"][0]
    assert first.locator("mark.hit-word").all_text_contents() == [hit["text"][s:e] for s, e in hit["highlights"]]
    marked = first.locator("mark.hit-word").all_text_contents()
    assert marked and all(any(part in word.lower() for part in PARTS) for word in marked), marked
    expect(first.locator(".hit-districts")).to_have_text(", ".join(hit["districts"]))
    expect(first.locator(".hit-year")).not_to_be_empty()
    expect(page.locator(".pager-status")).to_have_text(f"Träff 1–10 av {expected['total']}")

    district = next(f for f in expected["facets"]["districts"] if f["count"] < expected["total"])
    facet = page.locator(f'.facet[data-facet="{district["name"]}"]')
    expect(facet.locator(".facet-count")).to_have_text(str(district["count"]))
    facet.click()
    expect(page.locator(f'.facet[data-facet="{district["name"]}"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".passage")).to_have_count(min(district["count"], 10))
    for districts in page.locator(".passage .hit-districts").all_text_contents():
        assert district["name"] in districts
    assert parse_qs(urlsplit(page.url).query)["district"] == [district["name"]]


def test_search_pages_and_says_when_nothing_is_near(page, base_url):
    from playwright.sync_api import expect

    expected = get_json(base_url, "/api/search", q=SEARCH, k=10, offset=10)
    page.goto(f"{base_url}/?{urlencode({'q': SEARCH, 'mode': 'search'})}")
    page.get_by_role("button", name="Nästa").click()
    expect(page.locator(".pager-status")).to_have_text(
        f"Träff 11–{10 + len(expected['results'])} av {expected['total']}"
    )
    expect(page.locator(".passage .passage-text").first).to_have_text(expected["results"][0]["text"])
    page.goto(f"{base_url}/?{urlencode({'q': 'qwxz blörp', 'mode': 'search'})}")
    expect(page.locator(".search .abstain")).to_contain_text("Inga träffar")
    expect(page.locator(".passage")).to_have_count(0)


def test_compare_view_marks_changes_and_opens_them(page, base_url, engine):
    from playwright.sync_api import expect

    comparison = get_json(base_url, f"/api/documents/{T1}/compare", **{"with": T2})
    added = [s for section in comparison["sections"] for s in section["added"]]
    removed = [s for section in comparison["sections"] for s in section["removed"]]
    page.goto(base_url)
    page.locator("label[for=mode-compare]").click()
    family = page.get_by_label("Rapport")
    family.select_option(index=1)
    expect(page.get_by_label("Tidigare version")).to_have_value(T1)
    expect(page.get_by_label("Senare version")).to_have_value(T2)
    page.get_by_role("button", name="Jämför", exact=True).click()
    expect(page.locator(".compare-section").first).to_be_visible()
    assert parse_qs(urlsplit(page.url).query) == {"mode": ["compare"], "a": [T1], "b": [T2]}
    expect(page.locator("button.change-added")).to_have_count(len(added))
    expect(page.locator("button.change-removed")).to_have_count(len(removed))
    unchanged = sum(section["status"] == "unchanged" for section in comparison["sections"])
    if unchanged:
        expect(page.locator(".compare-unchanged summary").first).to_be_visible()
        expect(page.locator(".compare-unchanged li").first).to_be_hidden()

    page.locator("button.change-added").first.click()
    expect(page.locator("#doc-title")).to_have_text(engine.index.documents[T2].title)
    assert page.locator("#doc-text mark").text_content() == added[0]["text"]
    if removed:
        page.locator("button.change-removed").first.click()
        expect(page.locator("#doc-title")).to_have_text(engine.index.documents[T1].title)
        expect(page.locator("#doc-text mark")).to_have_text(removed[0]["text"])


def test_a_citation_links_to_the_original_file(page, base_url, engine):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/?{urlencode({'q': QUESTION, 'mode': 'ask'})}")
    link = page.locator(".sources .source").first.locator("a.original-link")
    expect(link).to_be_visible()
    doc_id = link.get_attribute("href").split("/")[3]
    expect(page.locator(".sources .source").first.locator(".source-year")).not_to_be_empty()
    with page.context.expect_page() as opened:
        link.click()
    original = opened.value
    original.wait_for_load_state()
    source = engine.settings.corpus_dir / engine.index.documents.infos[doc_id].source
    assert original.url == f"{base_url}/api/documents/{doc_id}/original"
    assert original.locator("body").inner_text().split()[:20] == source.read_text(encoding="utf-8").split()[:20]
    original.close()


# OVERFLOWS once the fonts are loaded and two frames have been laid out.
SETTLED = (
    "() => document.fonts.ready.then(() => new Promise((done) => requestAnimationFrame(() => "
    "requestAnimationFrame(() => done((" + "{overflows}" + ")())))))"
)


# Every view, at phone and desktop width: (link, what shows once it is ready).
VIEWS = {
    "start": ("/", "#examples li"),
    "answer": (f"/?{urlencode({'q': QUESTION, 'mode': 'ask'})}", ".district-line"),
    "search": (f"/?{urlencode({'q': SEARCH, 'mode': 'search'})}", ".passage"),
    "overview": ("/?q=medborgarv%C3%A4rdar&mode=coverage", ".coverage-row"),
    "compare": (f"/?mode=compare&a={T1}&b={T2}", ".compare-section"),
    "document": (f"/?doc={T2}&start=0&end=40", "#doc-text mark"),
}

# Text outside the box of the block that holds it, and the page wider than the window. Text in a box
# that scrolls (the overview's table) may lie beyond the scrolling box, not beyond its own cell.
OVERFLOWS = r"""() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    let box = node.parentElement;
    while (box && getComputedStyle(box).display.startsWith("inline")) box = box.parentElement;
    if (!box || box.closest(".visually-hidden")) continue;
    const outer = box.getBoundingClientRect();
    // Word by word: a space at the end of a line in preserved white space may hang past the box unseen.
    const range = document.createRange();
    for (const word of node.textContent.matchAll(/\S+/g)) {
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const outside = [...range.getClientRects()].some(
        (rect) => rect.width && (rect.left < outer.left - 1 || rect.right > outer.right + 1));
      if (outside) {
        found.push(`${box.tagName.toLowerCase()}.${box.className}: ${word[0]} in ${node.textContent.trim().slice(0, 60)}`);
        break;
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) found.push(`page ${document.documentElement.scrollWidth} px wide`);
  return found;
}"""
SETTLED = SETTLED.replace("{overflows}", OVERFLOWS)



@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_fits_with_no_text_overflowing(browser, base_url, view, width, screenshot):
    from playwright.sync_api import expect

    path, ready = VIEWS[view]
    page, problems = open_page(browser, width=width, height=844 if width == 390 else 900)
    page.goto(f"{base_url}{path}")
    expect(page.locator(ready).first).to_be_visible()
    page.screenshot(path=str(screenshot(f"screenshot-{view}-{width}.png")), full_page=True)
    overflows = page.evaluate(SETTLED)
    if overflows:
        # A view whose sections are still being laid out (the compare view fills in section by section) is
        # measured again once it is still; text that really overflows its box does so both times.
        page.wait_for_timeout(1000)
        overflows = page.evaluate(SETTLED)
    page.context.close()
    assert overflows == []
    assert problems == []
