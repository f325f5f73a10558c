"""Report versions, section-by-section comparison, what is new, and time order."""

from __future__ import annotations

import pytest

from indexer.sentences import sentence_spans
from indexer.types import Document
from service.schemas.versions import ComparisonResponse, comparison_response, whats_new_response
from service.timeline import UNDATED, period_start
from service.versions import (
    NoEarlierVersion,
    UnknownDocument,
    compare,
    normalise,
    report_families,
    versions,
    whats_new,
    whats_new_answer,
)

T1 = "rinkeby-kista-naringsliv-2022-t1"
T2 = "rinkeby-kista-naringsliv-2022-t2"
# Sections whose text differs between the two files only by extraction: the PDF (T2) has hard line
# breaks, ” quotes and page furniture; the first report has a page break inside a sentence ("med" /
# "Skatteverket") and drops the form boilerplate that the PDF wraps over two lines.
UNCHANGED = (
    "UPPFÖLJNINGSRAPPORT NÄRINGSLIV",
    "Uppföljning av direktiv och aktiviteter med näringslivskoppling i budget 2022",
    "Utvecklat stöd till Unga",
    "Jobbskjutsen",
    "Järvavärdar",
    "Hur sker samverkan med socialnämnden",
    "Hur samverkar nämnden för att underlätta för närvaron av kultur",
    "Hur sker samarbetet med att bistå i Stockholm Business Region",
)


def document(doc_id: str, title: str, organisation: str, period: str | None, year: int | None = 2022) -> Document:
    return Document(doc_id, f"{doc_id}.txt", title, "", text="", organisation=organisation, year=year, period=period)


@pytest.fixture(scope="module")
def comparison(engine):
    return compare(engine, T1, T2)


def by_heading(comparison, heading: str):
    found = [s for s in comparison.sections if s.section_b and s.section_b.split(" > ")[-1].startswith(heading)]
    assert len(found) == 1, (heading, [s.title for s in found])
    return found[0]


# Families


def test_the_two_rinkeby_kista_reports_are_one_family_and_norrmalm_another(engine):
    families = report_families(engine.index.documents)
    assert set(families) == set(engine.index.documents)
    assert families[T1] == families[T2]
    assert families["norrmalm-naringsliv-2022"] != families[T1]
    assert len(set(families.values())) == 4
    assert [d.doc_id for d in versions(engine.index.documents, T2)] == [T1, T2]


def test_families_need_organisation_title_and_years_alike():
    farsta, alvsjo = "Farsta stadsdelsnämnd", "Älvsjö stadsdelsnämnd"
    docs = [
        document("a", f"Tertialrapport 1 2022 ({farsta}, T1 2022)", farsta, "T1 2022"),
        document("b", f"Tertialrapport 2 2022 ({farsta}, T2 2022)", farsta, "T2 2022"),
        document("c", f"Tertialrapport 1 2023 ({farsta}, T1 2023)", farsta, "T1 2023", 2023),
        document("d", f"Tertialrapport 1 2022 ({alvsjo}, T1 2022)", alvsjo, "T1 2022"),
        document("e", f"Verksamhetsberättelse 2022 ({farsta})", farsta, "2022"),
    ]
    families = report_families(docs)
    assert families["a"] == families["b"]
    assert len({families[x] for x in "acde"}) == 4
    assert [d.doc_id for d in versions({d.doc_id: d for d in docs}, "a")] == ["a", "b"]


# Comparison


def test_uppdatering_t2_sections_are_added_with_their_sentences(comparison):
    updates = [s for s in comparison.sections if (s.section_b or "").endswith(("Uppdatering T2", "T2 uppdatering"))]
    assert len(updates) == 6
    assert all(s.status == "added" and s.added for s in updates)
    added = [r.text for s in updates for r in s.added]
    assert "Hittills har 453 ärenden granskats, vilket är 40 procent av alla pågående ärenden." in added
    assert "Fjorton lokala näringslivsrepresentanter deltog i dialogen." in added
    assert by_heading(comparison, "Välfärdsfusk").status == "added"
    assert {s.title for s in comparison.only_in_b} >= {s.title for s in updates}
    assert comparison.only_in_a == ()  # every section of the first report is still there


@pytest.mark.parametrize("heading", UNCHANGED)
def test_extraction_differences_are_no_change(comparison, heading):
    section = by_heading(comparison, heading)
    assert section.status == "unchanged", section
    assert section.added == section.removed == ()


def test_the_unchanged_sections_do_differ_in_the_raw_text(engine, comparison):
    """The test above would be empty if the cleaned texts were simply equal: show that they are not."""
    a, b = engine.index.documents[T1], engine.index.documents[T2]
    differing = 0
    for heading in UNCHANGED:
        section = by_heading(comparison, heading)
        text_a = next(a.text[s.start : s.end] for s in a.sections if s.title == section.section_a)
        text_b = next(b.text[s.start : s.end] for s in b.sections if s.title == section.section_b)
        differing += text_a != text_b or section.section_a != section.section_b
    assert differing >= 5
    # A paragraph cut by a page break after "med" is joined by cleaning in both versions.
    assert "med Skatteverket" in a.text and "med Skatteverket" in b.text


def test_changed_sections_list_new_and_gone_sentences_but_not_requoted_ones(comparison):
    section = by_heading(comparison, "Beskriv samverkan med det lokala näringslivet")
    assert section.status == "changed"
    added = [r.text for r in section.added]
    removed = [r.text for r in section.removed]
    assert added[0].startswith("En lokal näringslivsdialog har genomförts under våren")
    assert "Planering för en lokal näringslivsdialog pågår." in removed
    # "en väg in" is quoted "..." in one file and ”...” in the other: the same sentence.
    assert not any("en väg in" in text for text in added + removed)
    moved = "Därutöver arbetar förvaltningen med följande projekt:"
    everything = [r.text for s in comparison.sections for r in (*s.added, *s.removed)]
    assert moved not in everything
    removed_later = by_heading(comparison, "Beskriv nämndens arbete med att utveckla")
    assert "Årets första trygghetsvandring genomfördes i april i Rinkeby." in [r.text for r in removed_later.removed]


def test_every_sentence_is_verbatim_at_its_offsets(engine, comparison):
    for section in comparison.sections:
        for ref in (*section.added, *section.removed):
            assert engine.index.documents[ref.doc_id].text[ref.start : ref.end] == ref.text
        assert all(r.doc_id == T2 for r in section.added)
        assert all(r.doc_id == T1 for r in section.removed)


def test_a_document_compared_with_itself_is_unchanged(engine):
    doc_id = "socialforvaltningen-lokala-utvecklingsplaner-2017"
    itself = compare(engine, doc_id, doc_id)
    assert itself.sections and not itself.changed


def test_unknown_document_is_a_key_error_with_a_swedish_message(engine):
    with pytest.raises(UnknownDocument, match="Okänt dokument: 'finns-inte'") as caught:
        compare(engine, T1, "finns-inte")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value).startswith("Okänt dokument")


def test_json_form_round_trips(comparison):
    payload = comparison_response(comparison)
    assert ComparisonResponse.model_validate_json(payload.model_dump_json()) == payload
    assert len(payload.sections) == len(comparison.sections)


# What is new


def test_whats_new_compares_the_latest_version_with_the_one_before(engine):
    for doc_id in (T1, T2):
        new = whats_new(engine, doc_id)
        assert (new.previous, new.latest) == (T1, T2)
    texts = [r.text for r in new.added]
    assert "Två felaktiga fakturor avseende personlig assistans har identifierats under perioden." in texts
    assert not any(text.startswith("Stadsdelsförvaltningen arbetar tillsammans med arbetssökande") for text in texts)
    assert [r.start for r in new.added] == sorted(r.start for r in new.added)
    assert whats_new_response(new).added[0].text == new.added[0].text


def test_whats_new_answer_cites_every_new_sentence_and_names_the_comparison(engine):
    answer = whats_new_answer(engine, T1, "vad är nytt i den senare versionen av rapporten?")
    new = whats_new(engine, T1)
    assert answer.supported and answer.comparison == (T1, T2)
    assert len(answer.citations) == len(new.added)
    chunks = {c.chunk_id: c for c in engine.index.chunks}
    for citation in answer.citations:
        assert engine.index.documents[T2].text[citation.start : citation.end] == citation.quote
        assert chunks[citation.chunk_id].start <= citation.start < chunks[citation.chunk_id].end
    # One sentence saying how much changed, the first new sentence quoted; the comparison shows the rest.
    removed = sum(len(s.removed) for s in new.comparison.sections)
    assert f"{len(new.added)} nya meningar och {removed} borttagna" in answer.text
    assert answer.text.endswith(f"”{new.added[0].text}” [1]") and "\n" not in answer.text


def test_a_report_with_one_version_has_nothing_to_compare(engine):
    with pytest.raises(NoEarlierVersion, match="ingen annan version"):
        whats_new(engine, "norrmalm-naringsliv-2022")
    with pytest.raises(UnknownDocument):
        whats_new(engine, "finns-inte")


# Normalising and sentences


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ('arbete med "Växla upp Stockholm"', "arbete med ”Växla upp Stockholm”"),
        ("perioden 2023-2025", "perioden 2023–2025"),
        ("Programmet ska ses", "Pro- grammet\nska  ses"),
        ("i textrutorna ().", "i textrutorna (klicka här för att ange\ntext)."),
        ("Kultur- och idrottsförvaltningen", "kultur- och idrottsförvaltningen"),
    ],
)
def test_normalise_folds_extraction_differences(a, b):
    assert normalise(a) == normalise(b)


def test_normalise_keeps_real_differences():
    assert normalise("Planering pågår.") != normalise("Planering har genomförts.")
    assert normalise("kultur- och idrott") != normalise("kultur och idrott")


def test_sentence_spans_join_page_breaks_and_keep_list_items():
    text = (
        "Framöver planerar förvaltningen att utöka samverkan med myndigheter i staden och med\n\n"
        "Skatteverket, Polisen samt Inspektionen för vård och omsorg. Det sker i år.\n\n"
        "Frågor som togs upp:\n\nTrygga stadsmiljöer\n\nGoda förutsättningar att samverka"
    )
    sentences = [text[a:b] for a, b in sentence_spans(text, 0, len(text))]
    assert sentences == [
        "Framöver planerar förvaltningen att utöka samverkan med myndigheter i staden och med\n\n"
        "Skatteverket, Polisen samt Inspektionen för vård och omsorg.",
        "Det sker i år.",
        "Frågor som togs upp:",
        "Trygga stadsmiljöer",
        "Goda förutsättningar att samverka",
    ]


def test_sentence_spans_keep_closing_quotes():
    text = "Projektet heter ”Visa att du bryr dig!” Det fortsätter."
    assert [text[a:b] for a, b in sentence_spans(text, 0, len(text))] == [
        "Projektet heter ”Visa att du bryr dig!”",
        "Det fortsätter.",
    ]


# Time order


def test_period_start_is_the_year_then_the_month_the_period_begins():
    starts = {
        d.doc_id: period_start(d)
        for d in (
            document("t2", "Rapport tertialrapport 2", "X", "T2 2022"),
            document("t1", "Rapport", "X", "2022"),
            document("lup", "Program", "X", "2017–2022", 2017),
            document("plan", "Plan", "Y", "2017", 2017),
            document("undated", "Odaterat", "Y", None, None),
        )
    }
    assert starts == {"t2": (2022, 5), "t1": (2022, 1), "lup": (2017, 1), "plan": (2017, 1), "undated": UNDATED}


def test_the_corpus_reports_are_ordered_by_their_periods(engine):
    documents = engine.index.documents
    assert period_start(documents[T1]) < period_start(documents[T2])
    assert period_start(documents["socialforvaltningen-lokala-utvecklingsplaner-2017"]) < period_start(documents[T1])
