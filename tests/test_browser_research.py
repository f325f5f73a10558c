"""The research views in a real browser (Debian's headless Chromium) against the real server over the real
corpus: the overview table of every district, a quote opened from it, "Fler liknande", downloads, a link
to a quote, and a "what is new" question."""

from __future__ import annotations

import csv
import io
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from service.api.main import create_app
from tests.conftest import make_settings
from tests.test_browser import WAIT_MS, browser, page  # noqa: F401 - fixtures shared with the page's own browser test

pytestmark = pytest.mark.browser

TOPIC = "medborgarvärdar"
COVERED = ["Rinkeby-Kista", "Spånga-Tensta", "Hässelby-Vällingby", "Enskede-Årsta-Vantör", "Skarpnäck", "Skärholmen"]
T1 = "rinkeby-kista-naringsliv-2022-t1"
T2 = "rinkeby-kista-naringsliv-2022-t2"


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    # Listening before the server starts: early connections wait in the backlog instead of being refused.
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.fixture(scope="module")
def base_url(engine, tmp_path_factory) -> Iterator[str]:
    """The real server over the session engine, with a review database of its own."""
    database = tmp_path_factory.mktemp("reviews") / "reviews.db"
    with serving(create_app(settings=make_settings(engine.settings.index_dir, db_url=f"sqlite:///{database}"), engine=engine)) as url:
        yield url


def get_json(base_url: str, path: str, **params) -> dict:
    response = httpx.get(f"{base_url}{path}", params=params, timeout=WAIT_MS / 1000)
    response.raise_for_status()
    return response.json()


def show_overview(page, base_url: str, topic: str) -> None:
    page.goto(base_url)
    page.locator("label[for=mode-coverage]").click()
    page.get_by_label("Ställ en fråga om dokumenten").fill(topic)
    page.get_by_role("button", name="Översikt", exact=True).click()


def test_overview_of_every_district_opens_the_quotes(page, base_url, engine, screenshot):
    from playwright.sync_api import expect

    table = get_json(base_url, "/api/coverage", q=TOPIC)
    show_overview(page, base_url, TOPIC)

    rows = page.locator(".coverage-row")
    expect(rows).to_have_count(len(engine.gazetteer.names) + 1)  # every district and Socialförvaltningen
    expect(page.locator(".coverage-row.has-evidence .row-name")).to_have_text(COVERED)
    for name in set(engine.gazetteer.names) - set(COVERED):
        row = page.locator(f'.coverage-row[data-name="{name}"]')
        expect(row.locator(".status")).to_have_text("Inga belägg hittades")
        expect(row.locator(".best-score")).to_contain_text("bästa poäng")
    skarholmen = next(row for row in table["rows"] if row["name"] == "Skärholmen")
    evidence = page.locator('.coverage-row[data-name="Skärholmen"] button.evidence')
    expect(evidence).to_have_count(len(skarholmen["evidence"]))
    expect(page.locator('.coverage-row[data-name="Skärholmen"] .badge')).to_have_text("Gör redan")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"q": [TOPIC], "mode": ["coverage"]}

    # A screenshot with the question, the table's first rows and the quote one of them cites.
    page.set_viewport_size({"width": 1360, "height": 1240})
    spanga = next(row for row in table["rows"] if row["name"] == "Spånga-Tensta")
    page.locator('.coverage-row[data-name="Spånga-Tensta"] button.evidence').first.click()
    mark = page.locator("#doc-text mark")
    expect(mark).to_be_in_viewport()
    first = spanga["evidence"][0]
    assert mark.text_content() == first["quote"]
    expect(page.locator("#doc-title")).to_have_text(first["title"])
    expect(page.locator("#doc-where")).to_contain_text(first["section"].split(" > ")[-1])
    page.screenshot(path=str(screenshot("screenshot-coverage.png")))

    evidence.last.click()
    assert mark.text_content() == skarholmen["evidence"][-1]["quote"]


def test_more_like_this_lists_other_districts(page, base_url, engine):
    from playwright.sync_api import expect

    table = get_json(base_url, "/api/coverage", q=TOPIC)
    item = next(row for row in table["rows"] if row["name"] == "Skärholmen")["evidence"][0]
    # The page asks for five; the chunk id's "#" travels as %23.
    similar = get_json(base_url, f"/api/passages/{item['chunk_id'].replace('#', '%23')}/similar", k=5)
    show_overview(page, base_url, TOPIC)
    page.locator('.coverage-row[data-name="Skärholmen"] button.evidence').first.click()
    expect(page.locator("#doc-text mark")).to_be_visible()

    button = page.get_by_role("button", name="Fler liknande")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    items = page.locator(".similar-item")
    expect(items).to_have_count(len(similar["results"]))
    for shown, result in zip(items.all(), similar["results"]):
        assert shown.locator(".similar-text").text_content() == result["text"]
        assert "Skärholmen" not in (shown.locator(".source-meta").text_content() or "")

    items.first.get_by_role("button", name="Visa i dokumentet").click()
    mark = page.locator("#doc-text mark")
    expect(mark).to_be_in_viewport()
    assert mark.text_content() == similar["results"][0]["text"]
    expect(page.locator("#doc-title")).to_have_text(similar["results"][0]["title"])
    expect(page.locator("#similar")).to_be_hidden()


def test_downloads_of_the_table_search_and_answer(page, base_url, engine):
    from playwright.sync_api import expect

    show_overview(page, base_url, TOPIC)
    expect(page.locator(".coverage-row")).not_to_have_count(0)
    with page.expect_download() as table_download:
        page.locator(".coverage .downloads").get_by_role("link", name="CSV").click()
    assert table_download.value.suggested_filename == "stadshus-oversikt-medborgarvardar.csv"
    text = Path(table_download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert [row["Stadsdel/organisation"] for row in rows if row["Status"] == "Belägg finns"][:1] == ["Rinkeby-Kista"]
    assert {row["Stadsdel/organisation"] for row in rows if row["Citat"]} == set(COVERED)
    for row in rows:
        if row["Citat"]:
            assert engine.index.documents[row["Dokument-id"]].text[int(row["Start"]) : int(row["Slut"])] == row["Citat"]

    page.goto(f"{base_url}/?q=trygghet&mode=search&district=Sp%C3%A5nga-Tensta")
    expect(page.locator(".passage")).not_to_have_count(0)
    with page.expect_download() as search_download:
        page.locator(".search .downloads").get_by_role("link", name="Markdown").click()
    assert search_download.value.suggested_filename == "stadshus-sok-trygghet.md"
    assert Path(search_download.value.path()).read_text(encoding="utf-8").startswith("# Sökresultat: trygghet")

    page.goto(f"{base_url}/?q=Vilka+stadsdelar+arbetar+med+medborgarv%C3%A4rdar%3F&mode=ask")
    expect(page.locator(".district-line")).not_to_have_count(0)
    with page.expect_download() as answer_download:
        page.locator(".answer .downloads").get_by_role("button", name="CSV").click()
    assert answer_download.value.suggested_filename == "stadshus-svar-vilka-stadsdelar-arbetar-med-medborgarvardar.csv"
    answer_text = Path(answer_download.value.path()).read_text(encoding="utf-8-sig")
    answer_rows = list(csv.DictReader(io.StringIO(answer_text, newline=""), delimiter=";"))
    expect(page.locator(".sources .source")).to_have_count(len(answer_rows))


def test_a_link_to_a_quote_opens_it(page, base_url, engine):
    from playwright.sync_api import expect

    document = engine.index.documents[T2]
    start = document.text.index("En lokal näringslivsdialog har genomförts")
    end = document.text.index(".", start) + 1
    page.goto(f"{base_url}/?doc={T2}&start={start}&end={end}")
    mark = page.locator("#doc-text mark")
    expect(mark).to_be_in_viewport()
    assert mark.text_content() == document.text[start:end]
    expect(page.locator("#doc-meta")).to_contain_text("version 2 av 2")
    expect(page.locator("#doc-where")).to_contain_text("Avsnitt")


def test_a_linked_overview_is_reproduced(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/?q=medborgarv%C3%A4rdar&mode=coverage")
    expect(page.locator(".coverage-row.has-evidence")).to_have_count(len(COVERED))
    expect(page.get_by_role("radio", name="Översikt")).to_be_checked()
    expect(page.get_by_role("button", name="Översikt", exact=True)).to_be_visible()
    # The overview covers every district and document: those filters are off.
    expect(page.get_by_label("Stadsdel", exact=True)).to_be_disabled()
    expect(page.get_by_label("Dokument", exact=True)).to_be_disabled()


def test_whats_new_in_the_later_report(page, base_url):
    from playwright.sync_api import expect

    expected = httpx.post(
        f"{base_url}/api/ask", json={"question": "Vad är nytt i den senare versionen av rapporten?", "doc": T2},
        timeout=WAIT_MS / 1000,
    ).json()
    page.goto(base_url)
    page.get_by_role("link", name="Vad är nytt i Rinkeby-Kistas tertialrapport 2?").click()
    # One sentence of how much changed, the first new sentence cited; the rest are in the comparison.
    expect(page.locator(".answer-text button.cite")).to_have_count(1)
    expect(page.locator(".folded-sources .source")).to_have_count(len(expected["citations"]))
    expect(page.locator(".folded-sources .source").first).to_be_hidden()
    page.locator('.answer-text button.cite[data-cite="1"]').click()
    assert page.locator("#doc-text mark").text_content() == expected["citations"][0]["quote"]
    expect(page.locator("#doc-title")).to_have_text(expected["citations"][0]["title"])
    page.get_by_role("link", name="Öppna jämförelsen sida vid sida").click()
    expect(page.locator(".compare-section").first).to_be_visible()
    assert parse_qs(urlsplit(page.url).query) == {"mode": ["compare"], "a": [T1], "b": [T2]}
