"""Search over the real corpus indexed with the real embedder (the session ``engine`` fixture)."""

from __future__ import annotations

import re

import pytest

from indexer.types import Passage
from service.search import Filters, QueryError, SearchMode, SearchOptions

MEDBORGARVARDAR = re.compile(r"medborgarv[äå]rd", re.IGNORECASE)
LIST_QUESTION = "vilka stadsdelar arbetar med medborgarvärdar?"
PLAN = "socialforvaltningen-lokala-utvecklingsplaner-2017"
T1 = "rinkeby-kista-naringsliv-2022-t1"
T2 = "rinkeby-kista-naringsliv-2022-t2"


@pytest.fixture(scope="module")
def searcher(engine):
    return engine.searcher


def about_medborgarvardar(passages: list[Passage]) -> list[Passage]:
    return [p for p in passages if MEDBORGARVARDAR.search(p.chunk.text)]


def found_in(passages: list[Passage], section_part: str, district: str) -> bool:
    """Whether a passage about medborgarvärdar from a section naming ``section_part`` carries ``district``."""
    return any(section_part in p.chunk.section and district in p.chunk.districts for p in about_medborgarvardar(passages))


def assert_valid(passages: list[Passage], engine) -> None:
    """Ranks count from 1 and every passage is exactly its slice of its document."""
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    for passage in passages:
        chunk = passage.chunk
        document = engine.index.documents[chunk.doc_id]
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert passage.title == document.title
        assert chunk.page == document.page_at(chunk.start)


def test_the_list_question_finds_medborgarvardar_in_every_district_that_has_them(searcher):
    """The issue's example: hybrid top 10 holds the passages of Spånga-Tensta, Skärholmen, Enskede-Årsta-Vantör
    (the social services plan) and of the Rinkeby-Kista T2 report, each with its district."""
    passages = searcher.search(LIST_QUESTION, k=10, mode=SearchMode.hybrid)
    assert found_in(passages, "4.2 Spånga-Tensta", "Spånga-Tensta")
    assert found_in(passages, "Skärholmen", "Skärholmen")
    assert found_in(passages, "4.9 Enskede-Årsta-Vantör", "Enskede-Årsta-Vantör")
    t2 = [p for p in about_medborgarvardar(passages) if p.chunk.doc_id == T2]
    assert t2, "the Rinkeby-Kista T2 passage is missing from the hybrid top 10"
    assert "Rinkeby-Kista" in t2[0].chunk.districts


@pytest.mark.parametrize("mode", list(SearchMode))
def test_every_mode_returns_valid_passages(searcher, engine, mode):
    passages = searcher.search(LIST_QUESTION, k=10, mode=mode)
    assert len(passages) == 10
    assert_valid(passages, engine)
    # No district in the question: the order is the retriever's, best first.
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert MEDBORGARVARDAR.search(passages[0].chunk.text)


@pytest.mark.parametrize("query", ["medborgarvardar", "medborgarvårdare", "medborgarvärdarna"])
def test_misspellings_and_variants_still_find_the_passages(searcher, engine, query):
    passages = searcher.search(query, k=10, mode=SearchMode.bm25)
    assert_valid(passages, engine)
    assert found_in(passages, "Spånga-Tensta", "Spånga-Tensta")
    assert found_in(passages, "Skärholmen", "Skärholmen")
    assert found_in(passages, "Enskede-Årsta-Vantör", "Enskede-Årsta-Vantör")
    assert any(p.chunk.doc_id == T2 for p in about_medborgarvardar(passages))


def test_without_term_expansion_the_misspelling_finds_nothing(searcher):
    passages = searcher.search("medborgarvardar", k=10, mode=SearchMode.bm25, options=SearchOptions(expand_terms=False))
    assert passages == []


def test_near_duplicates_of_the_two_reports_are_collapsed(searcher):
    query = "Jobbskjutsen arbetssökande utrikesfödda kvinnor"
    opening = "Stadsdelsförvaltningen arbetar tillsammans med arbetssökande, utrikesfödda kvinnor"

    collapsed = [p for p in searcher.search(query, k=10) if p.chunk.text.startswith(opening)]
    assert len(collapsed) == 1
    (passage,) = collapsed
    other = {T1: T2, T2: T1}[passage.chunk.doc_id]
    assert passage.also_in == (other,)

    both = [
        p
        for p in searcher.search(query, k=10, options=SearchOptions(collapse_duplicates=False))
        if p.chunk.text.startswith(opening)
    ]
    assert {p.chunk.doc_id for p in both} == {T1, T2}
    assert all(p.also_in == () for p in both)


def test_a_district_named_in_the_query_ranks_its_passages_first(searcher):
    plain = searcher.search("medborgarvärdar", k=10)
    assert "Spånga-Tensta" not in plain[0].chunk.districts, "the test needs a query whose top is elsewhere"

    passages = searcher.search("medborgarvärdar i Spånga-Tensta", k=10)
    about = ["Spånga-Tensta" in p.chunk.districts for p in passages]
    assert about[0]
    assert about == sorted(about, reverse=True), "passages about Spånga-Tensta must all come before the others"
    assert MEDBORGARVARDAR.search(passages[0].chunk.text)
    without_boost = searcher.search("medborgarvärdar i Spånga-Tensta", k=10, options=SearchOptions(district_boost=False))
    assert [p.chunk.chunk_id for p in without_boost] != [p.chunk.chunk_id for p in passages]


@pytest.mark.parametrize("name", ["Skärholmen", "skärholmen", "Vårberg"])
def test_a_district_filter_restricts_results(searcher, engine, name):
    passages = searcher.search("medborgarvärdar och trygghet", k=20, filters=Filters(districts=(name,)))
    assert passages
    assert_valid(passages, engine)
    assert all("Skärholmen" in p.chunk.districts for p in passages)


@pytest.mark.parametrize("mode", list(SearchMode))
def test_a_document_filter_restricts_results(searcher, mode):
    passages = searcher.search("medborgarvärdar", k=20, mode=mode, filters=Filters(doc_ids=(T2,)))
    assert passages and all(p.chunk.doc_id == T2 for p in passages)


def test_a_filtered_hybrid_search_keeps_its_only_lexical_match(searcher):
    """Within the T2 report only one passage has the word; BM25 finds just that one. Fusion must not
    lose a retriever's only candidate (a lone z-score is 0, as is the floor given to missing items)."""
    lexical = searcher.search("medborgarvärdar", k=5, mode=SearchMode.bm25, filters=Filters(doc_ids=(T2,)))
    assert len(lexical) == 1 and MEDBORGARVARDAR.search(lexical[0].chunk.text)
    hybrid = searcher.search("medborgarvärdar", k=5, mode=SearchMode.hybrid, filters=Filters(doc_ids=(T2,)))
    assert hybrid[0].chunk.chunk_id == lexical[0].chunk.chunk_id


@pytest.mark.parametrize(
    ("year_from", "year_to", "expected"),
    [
        (2022, None, {"norrmalm-naringsliv-2022", "rinkeby-kista-lup-2017-2022", T1, T2}),
        (None, 2017, {"rinkeby-kista-lup-2017-2022", PLAN}),
        (2018, 2021, {"rinkeby-kista-lup-2017-2022"}),
        (2023, None, set()),
    ],
)
def test_year_filters_keep_the_documents_covering_those_years(searcher, year_from, year_to, expected):
    passages = searcher.search("trygghet och samverkan", k=100, filters=Filters(year_from=year_from, year_to=year_to))
    assert {p.chunk.doc_id for p in passages} == expected


def test_filters_combine(searcher):
    passages = searcher.search("trygghet", k=50, filters=Filters(districts=("Farsta",), doc_ids=(PLAN,)))
    assert passages
    assert all(p.chunk.doc_id == PLAN and "Farsta" in p.chunk.districts for p in passages)
    assert searcher.search("trygghet", k=10, filters=Filters(districts=("Farsta",), doc_ids=(T2,))) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(query="trygghet", filters=Filters(districts=("Atlantis",))), "Okänd stadsdel"),
        (dict(query="trygghet", filters=Filters(districts=("skarholmen",))), "Okänd stadsdel"),
        (dict(query="trygghet", filters=Filters(doc_ids=("finns-inte",))), "Okänt dokument"),
        (dict(query=""), "Frågan är tom"),
        (dict(query=" \t\n\x00 "), "Frågan är tom"),
        (dict(query="trygghet " * 300), "Frågan är för lång"),
        (dict(query="trygghet", k=0), "Antalet träffar"),
        (dict(query="trygghet", k=-1), "Antalet träffar"),
        (dict(query="trygghet", k=10000), "Antalet träffar"),
    ],
)
def test_bad_queries_raise_query_error_in_swedish(searcher, kwargs, message):
    with pytest.raises(QueryError, match=message):
        searcher.search(**kwargs)


def test_the_longest_allowed_query_and_k_are_accepted(searcher, engine):
    longest = ("trygghet " * 1000)[: engine.settings.max_query_chars]
    assert searcher.search(longest, k=engine.settings.max_k)
    assert len(searcher.search("trygghet", k=1)) == 1
