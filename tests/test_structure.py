"""Document structure: which lines are headings, the section paths they make, and the metadata of the
first page."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.documents import parse_document
from indexer.gazetteer import load_gazetteer
from indexer.pipeline import parse_corpus
from indexer.types import Document
from tests.conftest import GAZETTEER, make_settings

SYNTHETIC = """Lokal utvecklingsplan för Hässelby-Vällingby 2020

Innehåll
1. Inledning\t2
3 Prioriteringar\t4
3.3 Hässelby-Vällingby\t5

1. Inledning

Planen beskriver hur stadsdelsnämnden arbetar med lokal utveckling under de kommande åren.

3 Prioriteringar

Nämnden har valt ut tre områden där behoven är störst.

3.3 Hässelby-Vällingby

Stadsdelsnämnden prioriterar arbetet med trygghet i Vällingby centrum och i Hässelby gård.

Trygghetsvandringar

Förvaltningen genomför trygghetsvandringar varje vår tillsammans med polisen och bostadsbolagen.

Beskriv samverkan med det lokala näringslivet inom stadsdelsnämndens geografiska område.

Förvaltningen träffar företagarföreningen i Vällingby fyra gånger per år.

Hur sker samverkan med polisen?

Samverkan sker i ett lokalt brottsförebyggande råd som möts varje månad.

Målen för arbetet är att:
1. Fler unga ska ha en meningsfull fritid
2. Fler vuxna ska komma i arbete
3. Fler boende ska känna sig trygga
"""


def parse_text(tmp_path: Path, text: str, name: str = "plan.txt") -> Document:
    """Parse ``text`` as the file ``name`` of a corpus in ``tmp_path``."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_document(path, tmp_path, path.read_bytes(), load_gazetteer(GAZETTEER))


def section(document: Document, title: str):
    """The section with exactly this path title."""
    matches = [s for s in document.sections if s.title == title]
    assert len(matches) == 1, f"{title!r} not among {[s.title for s in document.sections]}"
    return matches[0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    """The five corpus documents, cleaned and structured (no index needed)."""
    documents, skipped = parse_corpus(make_settings(tmp_path_factory.mktemp("unused-index")))
    assert not skipped
    return {document.doc_id: document for document in documents}


def test_headings_of_every_kind_become_nested_sections(tmp_path):
    document = parse_text(tmp_path, SYNTHETIC)
    district = "3 Prioriteringar > 3.3 Hässelby-Vällingby"
    assert [s.title for s in document.sections] == [
        "Lokal utvecklingsplan för Hässelby-Vällingby 2020",
        "1. Inledning",
        "3 Prioriteringar",
        district,
        f"{district} > Trygghetsvandringar",
        f"{district} > Beskriv samverkan med det lokala näringslivet inom stadsdelsnämndens geografiska område.",
        f"{district} > Hur sker samverkan med polisen?",
    ]


def test_a_section_holds_the_body_under_its_heading(tmp_path):
    document = parse_text(tmp_path, SYNTHETIC)
    body = section(document, "3 Prioriteringar > 3.3 Hässelby-Vällingby")
    assert document.text[body.start : body.end] == (
        "Stadsdelsnämnden prioriterar arbetet med trygghet i Vällingby centrum och i Hässelby gård."
    )
    question = section(document, "3 Prioriteringar > 3.3 Hässelby-Vällingby > Hur sker samverkan med polisen?")
    assert document.text[question.start : question.end].startswith("Samverkan sker i ett lokalt")
    # Sections follow each other without overlapping.
    for left, right in zip(document.sections, document.sections[1:]):
        assert left.end <= right.start


def test_table_of_contents_lines_and_numbered_list_items_are_not_sections(tmp_path):
    document = parse_text(tmp_path, SYNTHETIC)
    headings = [s.heading for s in document.sections]
    assert headings.count("1. Inledning") == 1
    assert not any("\t" in h or h.endswith((" 2", " 4", " 5")) or h == "Innehåll" for h in headings)
    assert not any(h.startswith(("1. Fler", "2. Fler", "3. Fler")) for h in headings)
    last = document.sections[-1]
    assert "3. Fler boende ska känna sig trygga" in document.text[last.start : last.end]


def test_a_district_heading_gives_its_section_the_district(tmp_path):
    document = parse_text(tmp_path, SYNTHETIC)
    assert section(document, "3 Prioriteringar > 3.3 Hässelby-Vällingby").districts == ("Hässelby-Vällingby",)
    assert section(document, "3 Prioriteringar > 3.3 Hässelby-Vällingby > Trygghetsvandringar").districts == (
        "Hässelby-Vällingby",
    )
    assert section(document, "1. Inledning").districts == ()


def test_lup_numbered_list_items_are_not_sections(corpus):
    lup = corpus["rinkeby-kista-lup-2017-2022"]
    headings = [s.heading for s in lup.sections]
    assert "1. Inledning" in headings and "5. Prioriterade åtgärder" in headings
    assert not any(h.startswith(("1. Lokalt utvecklingsarbete", "3. Resurser ska styras")) for h in headings)
    inledning = section(lup, "1. Inledning")
    body = lup.text[inledning.start : inledning.end]
    assert "1. Lokalt utvecklingsarbete ska utgå från ett medborgarperspektiv" in body
    assert "3. Resurser ska styras till områden med störst behov" in body


def test_lup_chapters_and_their_subsections(corpus):
    lup = corpus["rinkeby-kista-lup-2017-2022"]
    titles = {s.title for s in lup.sections}
    assert {
        "2. Nulägesanalys > Styrkor",
        "3. Geografiska/tematiska prioriteringar > Socialt kapital",
        "5. Prioriterade åtgärder > Etablering av våldsförebyggande samverkan",
        "7. Metoder för att mäta måluppfyllelse",
    } <= titles


def test_social_services_plan_has_district_section_paths(corpus):
    plan = corpus["socialforvaltningen-lokala-utvecklingsplaner-2017"]
    trygghet = section(plan, "4 Prioriterade åtgärder > 4.2 Spånga-Tensta > Trygghet")
    assert trygghet.districts == ("Spånga-Tensta",)
    assert "medborgarvärdar" in plan.text[trygghet.start : trygghet.end]
    skarholmen = section(plan, "3 Stadsdelarnas geografiska och tematiska prioriteringar > 3.14 Skärholmen")
    assert skarholmen.districts == ("Skärholmen",)
    # Each of the 14 districts has its own section in chapters 3, 4 and 5; the contents list adds none.
    for chapter in ("3 ", "4 ", "5 "):
        district_sections = {s.path[1] for s in plan.sections if s.path[0].startswith(chapter) and len(s.path) > 1}
        assert len(district_sections) == 14, chapter
    assert sum(1 for s in plan.sections if s.heading == "3.13 Hägersten-Liljeholmen") == 1


def test_form_questions_are_sections_of_the_follow_up_reports(corpus):
    t2 = corpus["rinkeby-kista-naringsliv-2022-t2"]
    titles = [s.title for s in t2.sections]
    assert any(t.endswith("> Beskriv nämndens arbete med ”Växla upp Stockholm” > Järvavärdar") for t in titles)
    assert any(
        t.startswith("3. Attraktivare miljöer och bättre framkomlighet > Hur sker samarbetet med Stockholm Business")
        for t in titles
    )


METADATA = {
    "norrmalm-naringsliv-2022": dict(
        title="Uppföljningsrapport näringsliv (Norrmalms stadsdelsnämnd, 2022)",
        organisation="Norrmalms stadsdelsnämnd",
        doc_type="uppföljningsrapport",
        year=2022,
        period="2022",
        districts=("Norrmalm",),
    ),
    "rinkeby-kista-lup-2017-2022": dict(
        title="Lokalt utvecklingsprogram för Rinkeby-Kista stadsdelsnämndsområde (2017–2022)",
        organisation="Rinkeby-Kista stadsdelsnämnd",
        doc_type="LUP",
        year=2017,
        period="2017–2022",
        districts=("Rinkeby-Kista",),
    ),
    "rinkeby-kista-naringsliv-2022-t1": dict(
        title="Uppföljningsrapport näringsliv (Rinkeby-Kista stadsdelsförvaltning, 2022)",
        organisation="Rinkeby-Kista stadsdelsförvaltning",
        doc_type="uppföljningsrapport",
        year=2022,
        period="2022",
        districts=("Rinkeby-Kista",),
    ),
    "rinkeby-kista-naringsliv-2022-t2": dict(
        title="Uppföljningsrapport näringsliv tertialrapport 2 (Rinkeby-Kista stadsdelsförvaltning, T2 2022)",
        organisation="Rinkeby-Kista stadsdelsförvaltning",
        doc_type="tertialrapport",
        year=2022,
        period="T2 2022",
        districts=("Rinkeby-Kista",),
    ),
    "socialforvaltningen-lokala-utvecklingsplaner-2017": dict(
        title="Socialförvaltningens arbete med Lokala utvecklingsplaner 2017",
        organisation="Socialförvaltningen",
        doc_type="plan",
        year=2017,
        period="2017",
        districts=(),
    ),
}


@pytest.mark.parametrize("doc_id", sorted(METADATA))
def test_document_metadata(corpus, doc_id):
    document = corpus[doc_id]
    expected = METADATA[doc_id]
    actual = {field: getattr(document, field) for field in expected}
    assert actual == expected
    assert document.source == f"{doc_id}.txt"


def test_two_versions_of_a_report_have_titles_that_tell_them_apart(corpus):
    titles = [document.title for document in corpus.values()]
    assert len(set(titles)) == len(titles)


def test_metadata_of_a_plain_document_without_clues(tmp_path):
    text = "Anteckningar\n\nHär finns bara några rader utan årtal eller avsändare.\n"
    document = parse_text(tmp_path, text, "anteckningar.txt")
    assert document.title == "Anteckningar"
    assert (document.organisation, document.doc_type, document.year, document.period) == (None, "dokument", None, None)
    assert document.doc_id == "anteckningar"
