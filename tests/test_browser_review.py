"""Reviewing in a real browser (Debian's headless Chromium) against the real server: a reviewer enters a
key, judges an answer and one citation, and finds both on /granskning with the summary and its chart.
Without a key the page is unchanged; the key stays in sessionStorage and never reaches the address."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from service.api.main import create_app
from service.reviews.schemas import ReviewIn
from service.reviews.store import IndexStamp, ReviewStore
from service.schemas.ask import ask_response
from tests.test_browser import WAIT_MS, browser, page  # noqa: F401 - shared fixtures
from tests.conftest import make_settings
from tests.test_browser_research import serving

pytestmark = pytest.mark.browser

KEYS = {"anna": "anna-nyckel-0123456789", "bo": "bo-nyckel-0123456789ab"}
QUESTION = "Vilka stadsdelar arbetar med medborgarvärdar?"
EARLIER_BUILD = IndexStamp("20261001T090000-tidigare", "earlier-index-settings", "earlier-answer-settings")


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('reviews') / 'reviews.db'}"


@pytest.fixture(scope="module")
def base_url(engine, database) -> Iterator[str]:
    """The real server with two reviewers' keys and a review database of this module."""
    app = create_app(settings=make_settings(engine.settings.index_dir, db_url=database, reviewer_keys=KEYS), engine=engine)
    with serving(app) as url:
        yield url


def ask_api(base_url: str, question: str) -> dict:
    response = httpx.post(f"{base_url}/api/ask", json={"question": question}, timeout=WAIT_MS / 1000)
    response.raise_for_status()
    return response.json()


def become_reviewer(page, key: str) -> None:
    page.locator("#reviewer summary").click()
    page.get_by_label("Granskarnyckel").fill(key)
    page.get_by_role("button", name="Börja granska").click()


def ask(page, base_url: str, question: str) -> None:
    page.goto(base_url)
    page.get_by_label("Ställ en fråga om dokumenten").fill(question)
    page.get_by_role("button", name="Fråga", exact=True).click()


def test_without_a_key_the_page_is_unchanged(page, base_url):
    from playwright.sync_api import expect

    ask(page, base_url, QUESTION)
    expect(page.locator(".district-line").first).to_be_visible()
    assert page.locator("#review-form").count() == 0
    assert page.locator(".cite-verdict").count() == 0
    expect(page.locator("#reviewer summary")).to_have_text("Granskare")


def test_a_reviewer_judges_an_answer_and_finds_it_on_the_review_page(page, base_url, database, engine, screenshot):
    from playwright.sync_api import expect

    expected = ask_api(base_url, QUESTION)
    ask(page, base_url, QUESTION)
    expect(page.locator(".district-line")).to_have_count(len(expected["districts"]))
    become_reviewer(page, KEYS["anna"])
    expect(page.locator("#reviewer summary")).to_have_text("Granskare: anna")
    expect(page.locator(".cite-verdict")).to_have_count(len(expected["citations"]))
    assert KEYS["anna"] not in page.url
    assert page.evaluate("sessionStorage.getItem('stadshus.reviewer')") is not None

    form = page.locator("#review-form")
    form.get_by_text("Delvis korrekt", exact=True).click()
    page.locator("#source-1").get_by_text("Stöder påståendet", exact=True).click()
    page.get_by_label("Kommentar (valfri)").fill("Källa 1 stämmer; raden för Rinkeby-Kista är svag.")
    form.get_by_role("button", name="Skicka bedömning").click()
    result = form.locator(".review-result")
    expect(result).to_have_attribute("data-status", "created")
    expect(result).to_contain_text("Sparad")

    form.get_by_role("button", name="Skicka bedömning").click()
    expect(result).to_have_attribute("data-status", "unchanged")
    form.get_by_text("Korrekt", exact=True).click()
    form.get_by_role("button", name="Skicka bedömning").click()
    expect(result).to_have_attribute("data-status", "updated")
    form.get_by_text("Delvis korrekt", exact=True).click()
    form.get_by_role("button", name="Skicka bedömning").click()
    expect(result).to_have_attribute("data-status", "updated")

    # bo judges the same answer through the API, and an earlier index build had its own judgments:
    # the summary then has a kappa and the chart two bars.
    bo = httpx.post(
        f"{base_url}/api/reviews",
        json={"answer": expected, "verdict": "correct", "citations": [{"citation_id": 1, "verdict": "supports"}]},
        headers={"X-Reviewer-Key": KEYS["bo"]},
        timeout=WAIT_MS / 1000,
    )
    assert bo.status_code == 201, bo.text
    seed_earlier_build(database, engine)

    page.goto(f"{base_url}/granskning")
    anna = page.locator(".judgment", has_text="Källa 1 stämmer")
    expect(anna).to_have_count(1)
    expect(anna.locator("td").nth(1)).to_have_text("anna")
    expect(anna.locator(".verdict")).to_have_text("Delvis korrekt")
    expect(anna.locator(".citation-verdict")).to_have_text(["[1] Stöder påståendet"])
    expect(anna).to_contain_text("Källa 1 stämmer")
    expect(anna.locator("summary")).to_have_text(QUESTION)
    expect(page.locator(".judgment")).to_have_count(4)

    summary = httpx.get(f"{base_url}/api/reviews/summary", timeout=WAIT_MS / 1000).json()
    expect(page.locator(".figure-value").first).to_have_text(f"{round(summary['overall']['share_correct'] * 100)} %")
    expect(page.locator(".bar-chart rect.bar")).to_have_count(len(summary["by_build"]))
    expect(page.locator("#agreement td").last).to_have_text(f"{summary['agreement'][0]['kappa']:.2f}".replace(".", ","))
    page.screenshot(path=str(screenshot("screenshot-granskning.png")), full_page=True)

    # Filters narrow the list and are kept in the address.
    page.get_by_label("Bedömning", exact=True).select_option("partly_correct")
    page.get_by_role("button", name="Filtrera").click()
    expect(page.locator(".judgment")).to_have_count(1)
    assert "verdict=partly_correct" in page.url
    page.get_by_label("Granskare", exact=True).fill("bo")
    page.get_by_role("button", name="Filtrera").click()
    expect(page.locator("#judgments")).to_contain_text("Inga bedömningar matchar filtren.")
    page.get_by_role("button", name="Rensa").click()
    expect(page.locator(".judgment")).to_have_count(4)
    page.get_by_label("Indexversion", exact=True).select_option(EARLIER_BUILD.build_id)
    page.get_by_role("button", name="Filtrera").click()
    expect(page.locator(".judgment")).to_have_count(2)


def seed_earlier_build(database: str, engine) -> None:
    """Two judgments of one answer made on an earlier index build, both "wrong", as the store keeps them
    (the signature is the review API's to check)."""
    answer = ask_response(engine.answerer.ask("Vad gör medborgarvärdarna?")).model_dump(mode="json")
    answer["signature"] = "0" * 64
    store = ReviewStore.open(database)
    try:
        for reviewer, verdict in (("anna", "wrong"), ("bo", "wrong")):
            store.save(ReviewIn.model_validate({"answer": answer, "verdict": verdict}), reviewer, EARLIER_BUILD)
    finally:
        store.close()


def test_a_wrong_key_is_refused_when_entered_and_a_right_one_stays_in_the_tab(browser, base_url):  # noqa: F811
    from playwright.sync_api import expect

    # A context of its own: the refused whoami is logged by the browser as a console error on purpose.
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        ask(page, base_url, "Vad gör medborgarvärdarna?")
        expect(page.locator(".answer")).to_be_visible()
        # The key is checked when it is entered, before any answer is judged with it.
        become_reviewer(page, "fel-nyckel-0123456789")
        expect(page.locator("#reviewer-error")).to_have_text(
            "Granskarnyckeln stämmer inte. Kontrollera att den är rätt inskriven, eller be om en ny."
        )
        expect(page.locator("#reviewer summary")).to_have_text("Granskare")
        expect(page.locator("#review-form")).to_have_count(0)
        assert page.evaluate("sessionStorage.getItem('stadshus.reviewer')") is None

        page.get_by_label("Granskarnyckel").fill(KEYS["bo"])
        page.get_by_role("button", name="Börja granska").click()
        expect(page.locator("#reviewer summary")).to_have_text("Granskare: bo")
        expect(page.locator("#review-form")).to_have_count(1)
        page.reload()
        expect(page.locator("#reviewer summary")).to_have_text("Granskare: bo")
        other = context.browser.new_context().new_page()
        other.goto(base_url)
        expect(other.locator("#reviewer summary")).to_have_text("Granskare")
        other.context.close()

        page.locator("#reviewer summary").click()
        page.get_by_role("button", name="Sluta granska").click()
        expect(page.locator("#reviewer summary")).to_have_text("Granskare")
        assert page.evaluate("sessionStorage.getItem('stadshus.reviewer')") is None
        expect(page.locator("#review-form")).to_have_count(0)
    finally:
        context.close()
    assert errors == []


def test_with_judging_off_there_is_no_review_control(browser, engine, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    app = create_app(settings=make_settings(engine.settings.index_dir, db_url=f"sqlite:///{tmp_path / 'av.db'}"), engine=engine)
    with serving(app) as url:
        context = browser.new_context(locale="sv-SE")
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        expect(page.locator("#corpus-info")).not_to_be_empty()
        page.wait_for_load_state("networkidle")
        expect(page.locator("#reviewer")).to_be_hidden()
        assert httpx.get(f"{url}/api/reviews/whoami", timeout=WAIT_MS / 1000).json() == {"enabled": False, "reviewer": None}
        context.close()


def test_an_empty_review_page_says_so(browser, engine, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    app = create_app(settings=make_settings(engine.settings.index_dir, db_url=f"sqlite:///{tmp_path / 'tom.db'}"), engine=engine)
    with serving(app) as url:
        context = browser.new_context(locale="sv-SE")
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{url}/granskning")
        expect(page.locator("#judgments")).to_contain_text("Inga bedömningar matchar filtren.")
        expect(page.locator("#chart")).to_contain_text("Inga bedömningar ännu.")
        expect(page.locator(".figure-value").first).to_have_text("–")
        context.close()
