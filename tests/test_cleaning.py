"""Cleaning extracted text: wraps and hyphenation repaired, boilerplate and tables of contents dropped,
whitespace normalised, page positions kept. Small synthetic inputs first, then the real corpus."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from indexer.cleaning import CleanText, clean
from indexer.pipeline import parse_corpus
from indexer.types import Document
from tests.conftest import make_settings


def clean_text(text: str) -> str:
    """The cleaned text of one unpaginated source."""
    return clean(((None, text),)).text


def page_of(cleaned: CleanText, offset: int) -> int | None:
    """The page holding ``offset``, as the index will report it."""
    document = Document(doc_id="d", source="d.pdf", title="d", text=cleaned.text, sha256="", pages=cleaned.pages)
    return document.page_at(offset)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    """The five corpus documents, cleaned and structured (no index needed)."""
    documents, skipped = parse_corpus(make_settings(tmp_path_factory.mktemp("unused-index")))
    assert not skipped
    return {document.doc_id: document for document in documents}


# Four paragraphs as a PDF extractor gives them: hard-wrapped at 60 characters, blank lines between.
PARAGRAPHS = (
    "Stadsdelsnämnden har under året fortsatt arbetet med trygghet i Skärholmen och Vårberg. "
    "Arbetet har skett tillsammans med polisen, fastighetsägarna och de lokala föreningarna, och "
    "de boende har bjudits in till trygghetsvandringar vid tunnelbanestationerna under våren.",
    "Förvaltningen har anställt medborgarvärdar som rör sig i området på kvällar och helger. "
    "Värdarna fångar upp synpunkter från de boende och slussar dem vidare till rätt verksamhet "
    "inom förvaltningen eller till andra aktörer i staden, till exempel trafikkontoret.",
    "Fritidsgårdarna har utökat sina öppettider under sommarlovet och erbjuder aktiviteter för "
    "ungdomar mellan tretton och sjutton år. Besöksantalet har ökat jämfört med föregående år, "
    "särskilt bland flickor, vilket var ett av målen i verksamhetsplanen för året.",
    "Under hösten genomförs en uppföljning av samtliga insatser. Resultaten redovisas för "
    "stadsdelsnämnden i samband med verksamhetsberättelsen och ligger till grund för nästa års "
    "prioriteringar inom det lokala utvecklingsarbetet i stadsdelsområdet.",
)


def test_hard_line_wraps_are_joined_into_paragraphs():
    wrapped = "\n\n".join(textwrap.fill(p, 60, break_on_hyphens=False) for p in PARAGRAPHS)
    assert len([line for line in wrapped.splitlines() if line]) >= 20, "the input must look hard-wrapped"

    cleaned = clean(((None, wrapped),))

    assert [block.text for block in cleaned.blocks] == list(PARAGRAPHS)
    assert cleaned.text == "\n\n".join(PARAGRAPHS)


def test_hyphenation_at_a_line_end_is_undone():
    text = clean_text("Programmet bygger på riktlinjerna. Pro-\ngrammet ska ses som ett dynamiskt arbete.")
    assert "Programmet ska ses som ett dynamiskt arbete." in text
    assert "Pro-" not in text


def test_hyphenation_is_undone_across_a_blank_line():
    text = clean_text(
        "Det lokala utvecklingsprogrammet är framtaget utifrån Kommunfullmäktiges riktlinjer. Pro-\n\n"
        "grammet ska ses som ett dynamiskt arbete."
    )
    assert text == (
        "Det lokala utvecklingsprogrammet är framtaget utifrån Kommunfullmäktiges riktlinjer. "
        "Programmet ska ses som ett dynamiskt arbete."
    )


def test_hyphenation_is_undone_across_a_page_break():
    cleaned = clean(
        (
            (1, "Stadsdelsnämnden följer upp arbetet varje tertial och redovisar det i utvecklings-"),
            (2, "programmet för stadsdelsområdet, som revideras varje år."),
        )
    )
    assert "utvecklingsprogrammet för stadsdelsområdet" in cleaned.text
    offset = cleaned.text.index("programmet för")
    assert page_of(cleaned, offset) == 2
    assert page_of(cleaned, cleaned.text.index("Stadsdelsnämnden")) == 1


def test_a_shared_compound_part_keeps_its_hyphen():
    """In "kultur- och idrottsförvaltningen" two compounds share a part; no word is broken there."""
    across_lines = clean_text("Samverkan sker med kultur-\noch idrottsförvaltningen varje år.")
    on_one_line = clean_text("Samverkan sker med kultur- och idrottsförvaltningen varje år.")
    assert across_lines == on_one_line == "Samverkan sker med kultur- och idrottsförvaltningen varje år."


def test_a_hyphenated_name_broken_at_its_hyphen_is_rejoined():
    assert clean_text("Arbetet leds av stadsdelsförvaltningen i Rinkeby-\nKista.") == (
        "Arbetet leds av stadsdelsförvaltningen i Rinkeby-Kista."
    )
    # The same break with the line end turned into a space by the extractor.
    assert clean_text("Lokalt utvecklings- program för Rinkeby- Kista stadsdelsnämnds- område") == (
        "Lokalt utvecklingsprogram för Rinkeby-Kista stadsdelsnämndsområde"
    )


def test_form_boilerplate_and_its_empty_field_label_are_dropped():
    text = clean_text(
        "Förvaltningen deltar i nätverksmötena som anordnas av näringslivskontoret. I den mån det är möjligt och\n"
        "Övriga upplysningar\n"
        "Klicka här för att ange text.\n"
        "\n\n\n"
        "lämpligt försöker förvaltningen koppla satsningar till pågående projekt.\n"
        "\n"
        "Datum för uppföljning\n"
        "Klicka eller tryck här för att ange datum.\n"
    )
    assert text == (
        "Förvaltningen deltar i nätverksmötena som anordnas av näringslivskontoret. I den mån det är möjligt "
        "och lämpligt försöker förvaltningen koppla satsningar till pågående projekt."
    )


def test_an_answered_field_keeps_its_answer():
    """Only an empty label goes with the boilerplate; a sentence above it is an answer and stays."""
    text = clean_text("Förvaltningen har inget att tillägga.\nKlicka här för att ange text.")
    assert text == "Förvaltningen har inget att tillägga."


def test_table_of_contents_lines_are_dropped():
    text = clean_text(
        "Lokala utvecklingsplaner 2017\n\n"
        "Innehåll\n\n"
        "Innehåll\t2\n"
        "1 Bakgrund och planeringsprocess\t4\n"
        "2.1 Mål ........................ 6\n"
        "3.13 Hägersten-Liljeholmen\t14\n\n"
        "1 Bakgrund och planeringsprocess\n\n"
        "Kommunfullmäktige fattade i oktober 2015 beslut om Stockholms stads vision.\n"
    )
    assert text == (
        "Lokala utvecklingsplaner 2017\n\n"
        "1 Bakgrund och planeringsprocess\n\n"
        "Kommunfullmäktige fattade i oktober 2015 beslut om Stockholms stads vision."
    )


def test_whitespace_is_normalised():
    text = clean_text(
        "  Stadsdelen\u00a0har  många\tparker\u200b och\u2009lekplatser.  \r\n"
        "\r\n\r\n\r\n"
        "Avstavnings\u00adtecken och \ufeffosynliga tecken försvinner.\f\r\n"
    )
    assert text == "Stadsdelen har många parker och lekplatser.\n\nAvstavningstecken och osynliga tecken försvinner."


def test_page_spans_map_offsets_to_their_pages():
    pages = (
        (1, "Stockholms stad\nTrygghet i Skärholmen\nArbetet i Skärholmen har fortsatt under året.\n1"),
        (2, "Stockholms stad\nMedborgarvärdar i Vårberg\nVärdarna rör sig i Vårberg på kvällarna.\n2"),
        (3, "Stockholms stad\nFritid i Bredäng\nFritidsgården i Bredäng har utökat öppettiderna.\n3"),
    )
    cleaned = clean(pages)

    # The running header and the lone page numbers are page furniture, not text.
    assert "Stockholms stad" not in cleaned.text
    assert not re.search(r"(?m)^\d$", cleaned.text)
    assert [span.number for span in cleaned.pages] == [1, 2, 3]
    assert cleaned.pages[0].start == 0 and cleaned.pages[-1].end == len(cleaned.text)
    assert all(left.end == right.start for left, right in zip(cleaned.pages, cleaned.pages[1:]))
    for number, place in ((1, "Skärholmen"), (2, "Vårberg"), (3, "Bredäng")):
        first, last = cleaned.text.index(place), cleaned.text.rindex(place)
        assert page_of(cleaned, first) == page_of(cleaned, last) == number
    for block in cleaned.blocks:
        assert page_of(cleaned, block.start) == block.page


def test_blocks_point_into_the_cleaned_text():
    cleaned = clean(((None, "\n\n".join(PARAGRAPHS)),))
    for block in cleaned.blocks:
        assert cleaned.text[block.start : block.end] == block.text


# The real corpus


def test_corpus_form_boilerplate_is_gone_and_the_cut_sentence_comes_out_whole(corpus):
    t2 = corpus["rinkeby-kista-naringsliv-2022-t2"].text
    assert (
        "I den mån det är möjligt och lämpligt försöker förvaltningen koppla satsningar från SBR med pågående "
        "projekt" in t2
    )
    assert "Övriga upplysningar" not in t2
    for document in corpus.values():
        assert "Klicka här för att ange text" not in document.text, document.doc_id


def test_corpus_hyphenation_and_name_breaks_are_repaired(corpus):
    lup = corpus["rinkeby-kista-lup-2017-2022"].text
    assert lup.startswith("Lokalt utvecklingsprogram för Rinkeby-Kista stadsdelsnämndsområde\n\n")
    assert "Inriktning, mål och åtgärder 2017-2022" in lup
    # "Pro-" ends one paragraph of the source and "grammet" opens the next, after a blank line.
    assert "anvisningar. Programmet ska ses som ett dynamiskt arbete" in lup
    assert "Bärande samhällsvärderingar" in lup
    social = corpus["socialforvaltningen-lokala-utvecklingsplaner-2017"].text
    assert "kultur- och" in social.lower()


def test_corpus_table_of_contents_is_gone(corpus):
    social = corpus["socialforvaltningen-lokala-utvecklingsplaner-2017"].text
    assert social.startswith(
        "Socialförvaltningens arbete med Lokala utvecklingsplaner 2017\n\n1 Bakgrund och planeringsprocess\n\n"
    )
    assert "Innehåll" not in social
    assert "Hägersten-Liljeholmen 14" not in social
    lup = corpus["rinkeby-kista-lup-2017-2022"].text
    assert "Innehåll" not in lup
    assert "Prioriterade åtgärder 112" not in lup


@pytest.mark.parametrize("pattern", ["\t", "  ", "\n\n\n", "\r", "\u00a0", "\u00ad", " \n", "\n "])
def test_corpus_whitespace_is_normalised(corpus, pattern):
    for document in corpus.values():
        assert pattern not in document.text, document.doc_id
        assert document.text == document.text.strip()


def test_corpus_paragraphs_cut_by_a_page_gap_are_joined(corpus):
    """The Norrmalm report's source breaks a sentence over a blank line ("näringsidkare" / "en säkrare")."""
    norrmalm = corpus["norrmalm-naringsliv-2022"].text
    assert re.search(r"näringsidkare[^\n]* en säkrare arbetsmiljö för många näringsidkare", norrmalm)


def test_source_lines_are_all_accounted_for(corpus):
    """Every word of a prose line of the source survives cleaning (nothing silently lost)."""
    source = Path(__file__).resolve().parents[1] / "corpus" / "rinkeby-kista-naringsliv-2022-t2.txt"
    cleaned = corpus["rinkeby-kista-naringsliv-2022-t2"].text
    flat = re.sub(r"\s+", " ", cleaned)
    for line in source.read_text(encoding="utf-8").splitlines():
        words = line.split()
        # Long prose lines without line-end hyphenation; form boilerplate is meant to go.
        if len(words) >= 8 and not line.rstrip().endswith("-") and "Klicka här" not in line:
            assert " ".join(words[1:-1]) in flat, line
