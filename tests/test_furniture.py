"""Page furniture found, not listed: running headers and footers recognised by repetition across pages and
by shape (page counters, reference lines), on generated PDF and .docx files of several layouts that are
not in the corpus, from two pages to two hundred."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.documents import parse_document
from indexer.gazetteer import load_gazetteer
from indexer.pipeline import build_index
from indexer.storage import load_index
from indexer.types import Document
from tests.conftest import GAZETTEER, make_settings
from tests.fakes import HashEmbedder
from tests.generated_files import PDF_PAGES, area_code, report_pages, write_paged_docx, write_pdf

REFERENCE = "Tjänsteutlåtande Dnr SKH 2021/0123"
# Whatever of the furniture could survive, as patterns over the cleaned text.
FURNITURE = [r"Dnr", r"Sida \d", r"\b\d+ / \d+\b", r"- \d+ -", r"Skärholmens stadsdelsförvaltning", r"Verksamhetsberättelse"]


def parse(path: Path) -> Document:
    return parse_document(path, path.parent, path.read_bytes(), load_gazetteer(GAZETTEER))


def assert_clean(document: Document, pages: list[list[str]]) -> None:
    """No furniture in the text, and every word of every page's paragraphs still there, in order."""
    for pattern in FURNITURE:
        assert not re.search(pattern, document.text), (pattern, document.text[:400])
    flat = " ".join(document.text.split())
    for paragraphs in pages:
        for paragraph in paragraphs:
            assert " ".join(paragraph.split()) in flat, paragraph


PDF_LAYOUTS = {
    "two pages, reference line with the counter in the header, n / m below": (
        2, (REFERENCE, "Sida {page} ({pages})"), ("{page} / {pages}",),
    ),
    "two pages, reference line and counter in the footer only": (2, (), ("Dnr FAR-2022/17", "Sida {page} ({pages})")),
    "three pages, organisation header, centred - n - footer": (
        3, ("Skärholmens stadsdelsförvaltning", "Verksamhetsberättelse 2021"), ("", "- {page} -", ""),
    ),
    "two hundred pages, organisation and reference header, sida n av m footer": (
        200, ("Skärholmens stadsdelsförvaltning", "Dnr 1.2.3-456/2021"), ("Sida {page} av {pages}",),
    ),
}


@pytest.mark.parametrize("layout", list(PDF_LAYOUTS))
def test_pdf_running_headers_and_page_counters_are_dropped(tmp_path, layout):
    count, header, footer = PDF_LAYOUTS[layout]
    pages = report_pages(count)
    document = parse(write_pdf(tmp_path / "rapport.pdf", pages, header=header, footer=footer))
    assert_clean(document, pages)
    assert document.title.startswith("Trygghetsarbetet i Vårberg")
    assert [page.number for page in document.pages] == list(range(1, count + 1))
    assert document.page_at(document.text.index(f"område {area_code(count)} visar")) == count


def test_a_two_page_pdf_with_a_running_header_and_page_counters_yields_passages_without_them(tmp_path):
    """The issue's case: a two-page report whose header is a reference line with "Sida 1 (2)"."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pages = [list(page) for page in PDF_PAGES[:2]]
    write_pdf(corpus / "utlatande.pdf", pages, header=(REFERENCE, "Sida {page} ({pages})"), footer=("{page} / {pages}",))
    build_index(make_settings(tmp_path / "index", corpus), embedder=HashEmbedder())
    index = load_index(tmp_path / "index")
    assert len(index.chunks) >= 2
    for chunk in index.chunks:
        for pattern in FURNITURE:
            assert not re.search(pattern, chunk.indexed_text), (pattern, chunk.indexed_text)
    assert {chunk.page for chunk in index.chunks} == {1, 2}
    assert index.documents["utlatande"].title.startswith("Uppföljning av trygghetsarbetet 2021")


DOCX_LAYOUTS = {
    "Word's own header and a PAGE field footer": dict(header=REFERENCE, page_field_footer=True),
    "two pages, reference line typed at each page's top, sida n (m) at its bottom": dict(
        pages=2, typed_header="Farsta stadsdelsförvaltning Dnr 1.2-45/2021", typed_footer="Sida {page} ({pages})"
    ),
    "three pages, organisation line typed at the top, - n - at the bottom": dict(
        pages=3, typed_header="Skärholmens stadsdelsförvaltning", typed_footer="- {page} -"
    ),
    "twelve pages, n / m typed at the bottom": dict(pages=12, typed_footer="{page} / {pages}"),
}


@pytest.mark.parametrize("layout", list(DOCX_LAYOUTS))
def test_docx_running_headers_and_page_counters_are_dropped(tmp_path, layout):
    options = dict(DOCX_LAYOUTS[layout])
    pages = report_pages(options.pop("pages", 2))
    document = parse(write_paged_docx(tmp_path / "rapport.docx", pages, **options))
    assert_clean(document, pages)
    assert "Farsta stadsdelsförvaltning" not in document.text
    assert [page.number for page in document.pages] == list(range(1, len(pages) + 1))
    assert document.page_at(document.text.index(f"område {area_code(len(pages))} visar")) == len(pages)


def test_a_line_repeated_in_the_body_is_kept(tmp_path):
    """Repetition counts at page edges only: a sentence every page repeats in its middle is text."""
    repeated = "Arbetet följs upp varje tertial av nämnden."
    pages = [[page[0], page[1], repeated, page[2]] for page in report_pages(3)]
    document = parse(write_pdf(tmp_path / "rapport.pdf", pages))
    assert document.text.count(repeated) == 3
