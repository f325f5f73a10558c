"""The lexical index against a reference: bm25s's own dense scoring of the same weighted terms, on the real
corpus; and query expansion's compound and variant lookups against a plain scan of the vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.lexical import BM25Index
from indexer.swedish import QueryExpander

QUERIES = (
    "vilka stadsdelar arbetar med medborgarvärdar?",
    "trygghetsvandringar i Skärholmen",
    "feriejobb för unga",
    "Hur många företag besöktes?",
    "medborgarvardar",
    "ord som inte finns xyzzy",
)


@pytest.fixture(scope="module")
def lexical(engine) -> BM25Index:
    return engine.index.lexical


def reference_scores(index: BM25Index, query: str) -> np.ndarray:
    """bm25s's ``get_scores`` for each weighted term, summed over every chunk (what search used to do)."""
    total = np.zeros(len(index), dtype=np.float32)
    for weighted in index.query_terms(query):
        if weighted.term in index._model.vocab_dict:
            total += weighted.weight * index._model.get_scores([weighted.term])
    return total


@pytest.mark.parametrize("query", QUERIES)
def test_search_ranks_as_dense_bm25s_scoring_does(lexical, query):
    expected = reference_scores(lexical, query)
    positions, scores = lexical.search(query, 20)
    matching = np.flatnonzero(expected > 0)
    assert len(positions) == min(20, len(matching))
    np.testing.assert_allclose(scores, expected[positions], rtol=1e-5)
    assert np.all(np.diff(scores) <= 0)
    # Nothing left out scores more than the last one returned.
    if len(positions):
        rest = np.setdiff1d(matching, positions)
        assert not len(rest) or expected[rest].max() <= scores[-1] + 1e-6


def test_a_subset_keeps_only_its_chunks(lexical):
    query = QUERIES[0]
    everything, _ = lexical.search(query, len(lexical))
    subset = np.sort(everything[1::2])
    positions, _ = lexical.search(query, 5, subset)
    assert positions.tolist() == [p for p in everything.tolist() if p in set(subset.tolist())][:5]


def test_nothing_matches_an_unknown_word(lexical):
    positions, scores = lexical.search("xyzzy", 10)
    assert len(positions) == len(scores) == 0


def test_compound_and_variant_lookups_match_a_scan_of_the_vocabulary(lexical):
    frequency = lexical.document_frequency
    expander = QueryExpander(frequency, len(lexical))
    vocabulary = sorted(frequency)
    for term in ("värd", "vandring", "företag", "medborgarvård", "trygghet"):
        scanned = [v for v in vocabulary if len(v) >= len(term) + 3 and v.endswith(term)]
        assert expander._compounds_ending(term) == scanned
    variants = {w.term for w in expander.expand_term("medborgarvard") if w.source == "variant"}
    assert {"medborgarvärd"} <= variants
