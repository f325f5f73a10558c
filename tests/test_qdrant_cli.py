"""The `stadshus` command with STADSHUS_STORE=qdrant (the default Qdrant, qdrant-edge in the index folder):
index, search, ask, coverage and similar answer as on FAISS, and a missing Qdrant index fails cleanly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.settings import Settings, get_settings
from service.cli import app
from service.schemas.ask import AskResponse
from service.schemas.coverage import CoverageResponse
from service.schemas.search import SearchResponse
from service.schemas.similar import SimilarResponse
from tests.conftest import GAZETTEER

QUESTION = "vilka stadsdelar arbetar med medborgarvärdar?"


def _environment(monkeypatch: pytest.MonkeyPatch, index_dir: Path, corpus_dir: Path, store: str) -> None:
    monkeypatch.setenv("STADSHUS_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("STADSHUS_CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("STADSHUS_GAZETTEER", str(GAZETTEER))
    monkeypatch.setenv("STADSHUS_STORE", store)
    get_settings.cache_clear()


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, corpus_settings: Settings) -> tuple[Path, dict]:
    """A copy of the session's FAISS index folder moved to Qdrant by `stadshus index`, and its report."""
    folder = tmp_path_factory.mktemp("qdrant-cli") / "index"
    shutil.copytree(corpus_settings.index_dir, folder, symlinks=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _environment(monkeypatch, folder, corpus_settings.corpus_dir, "qdrant")
        report = _json(CliRunner().invoke(app, ["index", "--json"]))
    get_settings.cache_clear()
    return folder, report


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, indexed, corpus_settings: Settings):
    """Run `stadshus ARGS --json` on the Qdrant index (``store="faiss"``: on the session's FAISS index)
    and return its parsed output."""
    runner = CliRunner()

    def invoke(*args: str, store: str = "qdrant") -> dict:
        index_dir = indexed[0] if store == "qdrant" else corpus_settings.index_dir
        _environment(monkeypatch, index_dir, corpus_settings.corpus_dir, store)
        return _json(runner.invoke(app, [*args, "--json"]))

    yield invoke
    get_settings.cache_clear()


def test_index_moves_the_faiss_build_to_qdrant_without_embedding(indexed):
    _, report = indexed
    assert report["embedded"] == 0 and report["reused"] == report["chunks"] > 0
    assert (Path(report["index"]) / "lexicon").is_dir()


def test_search_on_qdrant_filters_and_ranks_as_faiss(run):
    for mode in ("hybrid", "dense", "bm25"):
        data = run("search", "medborgarvärdar", "--mode", mode, "--district", "Skärholmen", "--k", "5")
        SearchResponse.model_validate(data)
        assert data["results"] and all("Skärholmen" in item["districts"] for item in data["results"])
    qdrant = [item["chunk_id"] for item in run("search", QUESTION, "--k", "10")["results"]]
    faiss = [item["chunk_id"] for item in run("search", QUESTION, "--k", "10", store="faiss")["results"]]
    assert len(set(qdrant) & set(faiss)) >= 9, (qdrant, faiss)


def test_ask_coverage_and_similar_on_qdrant(run):
    answer = AskResponse.model_validate(run("ask", QUESTION))
    assert answer.supported and answer.citations
    coverage = CoverageResponse.model_validate(run("coverage", "medborgarvärdar"))
    assert any(row.status == "evidence" for row in coverage.rows)
    chunk_id = answer.citations[0].chunk_id
    similar = SimilarResponse.model_validate(run("similar", chunk_id, "--k", "5"))
    expected = SimilarResponse.model_validate(run("similar", chunk_id, "--k", "5", store="faiss"))
    assert [r.chunk_id for r in similar.results] == [r.chunk_id for r in expected.results]


def test_a_qdrant_store_without_an_index_fails_cleanly(monkeypatch, tmp_path, corpus_settings):
    _environment(monkeypatch, tmp_path / "index", corpus_settings.corpus_dir, "qdrant")
    result = CliRunner().invoke(app, ["search", "medborgarvärdar"])
    get_settings.cache_clear()
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.exception
    assert "Fel:" in result.stderr and "stadshus index" in " ".join(result.stderr.split())
