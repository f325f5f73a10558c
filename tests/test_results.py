"""Search pages: the relevance floor (calibrated on data), highlighted query words, facets and paging."""

from __future__ import annotations

import pytest

from eval.search_floor import OFF_TOPIC, calibrate
from indexer.filtering import document_years
from indexer.swedish import WeightedTerm, tokenize
from service.highlight import QueryWords, highlights
from service.results import relevance, search_page
from service.search import Filters, QueryError


def marked(text: str, spans) -> list[str]:
    return [text[start:end] for start, end in spans]


@pytest.mark.parametrize(
    ("terms", "text", "expected"),
    [
        # Same stem, any inflection and case.
        ([("medborgarvärd", "query")], "Medborgarvärdarna rör sig ute; en medborgarvärd.", ["Medborgarvärdarna", "medborgarvärd"]),
        # A query word as the tail of a compound in the text.
        ([("värd", "query")], "Stadsdelen anställer medborgarvärdar och värdar.", ["medborgarvärdar", "värdar"]),
        # A text word as the head of the query's compound.
        ([("trygghetsvandring", "query")], "Trygghet och trygghetsvandringar i Tensta.", ["Trygghet", "trygghetsvandringar"]),
        # Variants and parts the index expands the query to.
        ([("medborgarvård", "query"), ("medborgarvärd", "variant")], "medborgarvärdar", ["medborgarvärdar"]),
        # Short stems are no compound parts: "bil" does not mark "bilda".
        ([("bil", "query")], "att bilda en bil", ["bil"]),
    ],
)
def test_the_words_that_match_are_highlighted(terms, text, expected):
    words = QueryWords.of(WeightedTerm(term, 1.0, source, term) for term, source in terms)
    assert marked(text, highlights(text, words)) == expected


def test_each_hit_marks_the_query_words_by_offsets(engine):
    page = search_page(engine, "värdar", limit=10)
    assert page.hits
    marked_words = {word.lower() for hit in page.hits for word in marked(hit.passage.chunk.text, hit.highlights)}
    assert {"medborgarvärdar", "medborgarvärdarna"} & marked_words
    for hit in page.hits:
        assert hit.matched or hit.dense >= engine.settings.search_min_dense
        for start, end in hit.highlights:
            assert 0 <= start < end <= len(hit.passage.chunk.text)


@pytest.mark.parametrize("query", ["medborgarvärdar i Skärholmen", "trygghetsvandringar", "Söder andan", "qwxz blörp"])
def test_a_hit_matches_when_its_indexed_text_holds_a_query_term(engine, query):
    # relevance reads this off the BM25 postings; here it is worked out from the words themselves.
    terms = {t.term for t in engine.index.lexical.query_terms(query)}
    positions = list(range(len(engine.index.chunks)))
    _, matched = relevance(engine, query, positions)
    holding = [not terms.isdisjoint(tokenize(engine.index.chunks[p].indexed_text)) for p in positions]
    assert matched.tolist() == holding
    assert any(holding) or query == "qwxz blörp"


@pytest.mark.parametrize("query", ["qwxz blörp", "recipe for pancakes", "Harry Potter"])
def test_nonsense_gets_no_hits(engine, query):
    page = search_page(engine, query)
    assert (page.total, page.hits, page.districts, page.years) == (0, (), {}, {})
    # Without the floor the searcher still ranks passages: the floor is what empties the page.
    assert engine.searcher.search(query, 10)


def test_the_floor_is_calibrated_on_data(engine):
    result = calibrate(engine)
    assert result.floor == engine.settings.search_min_dense
    # Chosen on dev, which it keeps whole; on test one evidence passage of about two hundred falls under it.
    assert result.dev_evidence_kept == 1.0 and result.test_evidence_kept >= 0.99
    assert result.off_topic == len(OFF_TOPIC) and result.off_topic_silenced >= 0.6


def test_pages_continue_one_another(engine):
    everything = search_page(engine, "trygghet", limit=30)
    first, second = search_page(engine, "trygghet", limit=10), search_page(engine, "trygghet", offset=10, limit=10)
    assert first.total == second.total == everything.total > 10
    ids = [hit.passage.chunk.chunk_id for hit in first.hits + second.hits]
    assert ids == [hit.passage.chunk.chunk_id for hit in everything.hits[:20]]
    assert [hit.passage.rank for hit in second.hits] == list(range(11, 11 + len(second.hits)))
    beyond = search_page(engine, "trygghet", offset=everything.total, limit=10)
    assert beyond.hits == () and beyond.total == everything.total


def test_facets_count_the_best_hits_and_filter_to_at_least_their_count(engine):
    page = search_page(engine, "trygghet", limit=10)
    infos = engine.index.documents.infos
    assert sum(page.districts.values()) >= page.total > len(page.hits)
    assert sum(1 for hit in page.hits if "Norrmalm" in hit.passage.chunk.districts) <= page.districts["Norrmalm"]
    # Facets count among the best hits of the whole search; a filtered search has its own best hits, so
    # clicking a facet finds at least as many.
    name, count = next(iter(page.districts.items()))
    narrowed = search_page(engine, "trygghet", limit=100, filters=Filters(districts=(name,)))
    assert narrowed.total >= count and all(name in hit.passage.chunk.districts for hit in narrowed.hits)
    year, count = next(iter(page.years.items()))
    narrowed = search_page(engine, "trygghet", limit=100, filters=Filters(year_from=year, year_to=year))
    assert narrowed.total >= count
    for hit in narrowed.hits:
        first, last = document_years(infos[hit.passage.chunk.doc_id])
        assert first <= year <= last


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (100, 10), (0, 0), (0, 101)])
def test_pages_out_of_range_are_refused(engine, offset, limit):
    with pytest.raises(QueryError):
        search_page(engine, "trygghet", offset=offset, limit=limit)
