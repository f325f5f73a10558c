"""The served corpus on Qdrant ranks and answers as on FAISS: every gold question searched and asked on
both, on qdrant-edge (the Qdrant engine in process) and on qdrant-client's local mode, the sentence vectors
read back from Qdrant as FAISS's build stores them, and the service's routes answered from Qdrant. The
Qdrant index is built beside a copy of the session's FAISS index, so its vectors are reused."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient

from eval.gold import Split, load_questions
from eval.metrics import first_ranks, reciprocal_rank
from eval.systems import retrieved
from indexer.filtering import Filters
from indexer.pipeline import build_index
from indexer.qdrant_store import QdrantSentenceVectors
from indexer.settings import Settings
from service.api.main import create_app
from service.engine import Engine, load_engine

# The parity the issue asks for: top-10 overlap with FAISS and the gold MRR within this of FAISS's.
MIN_OVERLAP = 0.9
MAX_MRR_DIFFERENCE = 0.02
# Answers differ only where Qdrant's HNSW ranks a passage differently (search overlap 0.987).
MIN_SAME_ANSWERS = 0.9
QUESTIONS = [q for q in load_questions(Split.all) if q.answerable and q.evidence]


@pytest.fixture(scope="module", params=("edge", "local"))
def qdrant_engine(request, tmp_path_factory, corpus_settings: Settings, e5) -> Engine:
    """The real corpus served from Qdrant on one engine."""
    folder = tmp_path_factory.mktemp(f"qdrant-{request.param}")
    shutil.copytree(corpus_settings.index_dir, folder / "index", symlinks=True)
    settings = corpus_settings.model_copy(
        update={"index_dir": folder / "index", "store": "qdrant", "qdrant_url": f"{request.param}:{folder / 'qdrant'}"}
    )
    report = build_index(settings, embedder=e5)
    assert report.embedded == report.sentences_embedded == 0, "moving to Qdrant re-embedded text the FAISS build held"
    return load_engine(settings, embedder=e5)


@pytest.fixture(scope="module")
def qdrant_app_settings(qdrant_engine: Engine, app_settings: Settings) -> Settings:
    """The Qdrant engine's settings (so the app looks for newer builds by the alias) with the test review database."""
    return qdrant_engine.settings.model_copy(update={"db_url": app_settings.db_url})


def mean_mrr(engine: Engine) -> float:
    scores = []
    for question in QUESTIONS:
        passages = [retrieved(p) for p in engine.searcher.search(question.question, 10)]
        scores.append(reciprocal_rank(first_ranks(passages, question.evidence)))
    return float(np.mean(scores))


def test_hybrid_search_ranks_the_gold_questions_as_faiss_does(engine, qdrant_engine):
    overlaps = []
    for question in QUESTIONS:
        faiss_ids = {p.chunk.chunk_id for p in engine.searcher.search(question.question, 10)}
        qdrant_ids = {p.chunk.chunk_id for p in qdrant_engine.searcher.search(question.question, 10)}
        overlaps.append(len(faiss_ids & qdrant_ids) / max(len(faiss_ids), 1))
    overlap = float(np.mean(overlaps))
    faiss_mrr, qdrant_mrr = mean_mrr(engine), mean_mrr(qdrant_engine)
    figures = f"{len(QUESTIONS)} questions: top-10 overlap {overlap:.3f}, MRR FAISS {faiss_mrr:.4f}, Qdrant {qdrant_mrr:.4f}"
    print(figures)
    assert overlap >= MIN_OVERLAP, figures
    assert abs(faiss_mrr - qdrant_mrr) <= MAX_MRR_DIFFERENCE, figures


def test_the_sentence_vectors_are_read_from_qdrant_as_faiss_stores_them(engine, qdrant_engine):
    table, served = engine.index.sentences, qdrant_engine.index.sentences
    assert isinstance(served.vectors, QdrantSentenceVectors) and len(served.vectors) == len(table) > 0
    assert not (qdrant_engine.build / "sentences" / "vectors.npy").exists()
    rows = np.arange(len(table))
    np.testing.assert_array_equal(served.vectors_of(rows[::-1]), table.vectors_of(rows[::-1]))
    np.testing.assert_array_equal(served.spans, table.spans)


def answered(engine: Engine, question: str) -> tuple:
    """What an answer says and cites (not the scores of its related passages)."""
    answer = engine.answerer.ask(question)
    return answer.text, answer.supported, answer.citations, answer.districts, answer.actors, answer.gaps


def test_ask_answers_the_gold_questions_as_on_faiss(engine, qdrant_engine):
    questions = [q.question for q in load_questions(Split.all)]
    same = [answered(engine, question) == answered(qdrant_engine, question) for question in questions]
    figures = f"{len(questions)} questions: {sum(same)} answered alike ({np.mean(same):.3f})"
    print(figures)
    assert np.mean(same) >= MIN_SAME_ANSWERS, figures


def test_bm25_in_qdrant_scores_as_bm25s(engine, qdrant_engine):
    # Sparse vectors of BM25's term weights with Qdrant's IDF modifier are bm25s's BM25, term for term.
    for question in QUESTIONS:
        faiss_positions, faiss_scores = engine.index.lexical.search(question.question, 50)
        qdrant_positions, qdrant_scores = qdrant_engine.index.lexical.search(question.question, 50)
        np.testing.assert_allclose(qdrant_scores, faiss_scores, rtol=1e-4, atol=1e-5)
        faiss_by, qdrant_by = dict(zip(faiss_positions.tolist(), faiss_scores)), dict(zip(qdrant_positions.tolist(), qdrant_scores))
        # Positions agree wherever scores are not tied at the cut-off.
        for position in set(faiss_by) ^ set(qdrant_by):
            assert abs(faiss_by.get(position, qdrant_by.get(position)) - faiss_scores[-1]) < 1e-4


@pytest.mark.parametrize(
    "filters",
    [
        Filters(districts=("Skärholmen",)),
        Filters(doc_ids=("rinkeby-kista-naringsliv-2022-t2",)),
        Filters(year_from=2022),
        Filters(year_to=2019),
        Filters(districts=("Rinkeby-Kista",), year_from=2021, year_to=2022),
    ],
)
def test_payload_filters_allow_the_chunks_the_positions_do(engine, qdrant_engine, filters):
    # Asked for every chunk, the dense ranking lists exactly the chunks a filter allows, and the lexical
    # one exactly those of them that hold a query term.
    query = "trygghet och medborgarvärdar i parker"
    vector = engine.searcher.embed_query(query)
    everything = len(engine.index.chunks)
    expected = engine.index.retrieval.rankings(query, vector, everything, filters)
    found = qdrant_engine.index.retrieval.rankings(query, vector, everything, filters)
    assert len(expected[0].positions), "the filter should allow some chunks"
    for wanted, got in zip(expected, found):
        assert sorted(got.positions.tolist()) == sorted(wanted.positions.tolist())


def test_similar_passages_come_from_the_stored_vectors(engine, qdrant_engine, app_settings, qdrant_app_settings):
    chunk = engine.index.chunks[17]
    assert np.allclose(qdrant_engine.index.dense.vector(17), engine.index.dense.vector(17), atol=1e-6)
    with (
        TestClient(create_app(settings=app_settings, engine=engine)) as faiss_client,
        TestClient(create_app(settings=qdrant_app_settings, engine=qdrant_engine)) as client,
    ):
        path = f"/api/passages/{quote(chunk.chunk_id, safe='')}/similar?k=5"
        expected, found = faiss_client.get(path), client.get(path)
    assert found.status_code == 200
    assert [p["chunk_id"] for p in found.json()["results"]] == [p["chunk_id"] for p in expected.json()["results"]]


def test_the_api_serves_search_ask_and_coverage_from_qdrant(qdrant_engine, qdrant_app_settings):
    with TestClient(create_app(settings=qdrant_app_settings, engine=qdrant_engine)) as client:
        search = client.get("/api/search", params={"q": "medborgarvärdar", "k": 5, "district": "Skärholmen"})
        assert search.status_code == 200 and search.json()["results"]
        assert all("Skärholmen" in r["districts"] for r in search.json()["results"])
        ask = client.post("/api/ask", json={"question": "vilka stadsdelar arbetar med medborgarvärdar?"})
        assert ask.status_code == 200 and ask.json()["supported"] and ask.json()["citations"]
        coverage = client.get("/api/coverage", params={"q": "medborgarvärdar"})
        assert coverage.status_code == 200
        health = client.get("/healthz")
        assert health.status_code == 200


def test_the_served_build_is_the_aliased_one(qdrant_engine):
    settings = qdrant_engine.settings
    assert qdrant_engine.index.manifest.collection.startswith(f"{settings.qdrant_collection}-")
    assert Path(qdrant_engine.build).parent.name == "builds"
