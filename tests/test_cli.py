"""The `stadshus` command through typer's CliRunner: index, search and ask, in text and JSON, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.settings import Settings, get_settings
from indexer.storage import load_index
from service.cli import app
from service.schemas.ask import AskResponse
from service.schemas.search import SearchResponse
from tests.conftest import GAZETTEER

QUESTION = "vilka stadsdelar arbetar med medborgarvärdar?"
SEARCH_FIELDS = {
    "rank", "score", "chunk_id", "doc_id", "title", "districts", "section", "text", "start", "end", "page", "also_in",
    "highlights", "dense", "organisation", "year", "period",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def assert_clean_failure(result, code: int | None = None) -> None:
    """A non-zero exit with a message and no traceback."""
    assert result.exit_code != 0
    if code is not None:
        assert result.exit_code == code
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "Fel:" in result.stderr


@pytest.fixture
def tmp_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """STADSHUS_* pointing at a small corpus and an empty index folder of this test."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "trygghet.txt").write_text(
        "Trygghet i Skärholmen 2021\n\nMedborgarvärdar\n\n"
        "Stadsdelsförvaltningen anställer medborgarvärdar som rör sig i Vårberg på kvällar och helger.\n",
        encoding="utf-8",
    )
    (corpus / "fritid.txt").write_text(
        "Fritid i Farsta 2021\n\nSommarlov\n\nFritidsgården i Hökarängen har öppet hela sommarlovet.\n",
        encoding="utf-8",
    )
    (corpus / "tom.txt").write_text("", encoding="utf-8")
    monkeypatch.setenv("STADSHUS_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("STADSHUS_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("STADSHUS_GAZETTEER", str(GAZETTEER))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


# index


def test_index_prints_a_summary(runner, tmp_env):
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    summary = flat(result.stderr)
    assert "Indexerade 2 dokument, 4 textstycken (4 nya inbäddningar, 0 återanvända)" in summary
    assert "Hoppade över tom.txt: empty file" in summary
    assert len(load_index(tmp_env.index_dir).chunks) == 4


def test_index_json_reports_what_was_done(runner, tmp_env):
    first = runner.invoke(app, ["index", "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert set(report) == {"documents", "chunks", "embedded", "reused", "skipped", "seconds", "index", "over_embedder_window"}
    assert (report["documents"], report["chunks"], report["embedded"], report["reused"]) == (2, 4, 4, 0)
    assert report["skipped"] == [{"path": "tom.txt", "reason": "empty file"}]
    assert Path(report["index"]) == load_index(tmp_env.index_dir).path

    again = json.loads(runner.invoke(app, ["index", "--json"]).stdout)
    assert (again["embedded"], again["reused"]) == (0, 4)


def test_index_takes_a_corpus_folder_argument(runner, tmp_env, tmp_path):
    other = tmp_path / "annan"
    other.mkdir()
    (other / "plan.md").write_text("# Plan för Bromma\n\nParkerna i Alvik får ny belysning.\n", encoding="utf-8")
    result = runner.invoke(app, ["index", str(other), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"] == 1
    assert set(load_index(tmp_env.index_dir).documents) == {"plan"}


def test_index_of_a_missing_folder_fails_cleanly(runner, tmp_env, tmp_path):
    result = runner.invoke(app, ["index", str(tmp_path / "finns-inte")])
    assert_clean_failure(result)
    assert "är ingen mapp" in flat(result.stderr)


# search


def test_search_json_matches_the_schema(runner, cli_env):
    result = runner.invoke(app, ["search", QUESTION, "--k", "10", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"query", "mode", "total", "offset", "results", "facets"}
    assert (data["query"], data["mode"], data["offset"]) == (QUESTION, "hybrid", 0) and data["total"] >= 10
    assert len(data["results"]) == 10
    documents = load_index(cli_env.index_dir).documents
    for rank, item in enumerate(data["results"], start=1):
        assert set(item) == SEARCH_FIELDS
        assert item["rank"] == rank
        assert isinstance(item["score"], float)
        assert isinstance(item["districts"], list) and isinstance(item["also_in"], list)
        assert documents[item["doc_id"]].text[item["start"] : item["end"]] == item["text"]
        assert item["title"] == documents[item["doc_id"]].title
    SearchResponse.model_validate(data)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_modes_and_filters(runner, cli_env, mode):
    result = runner.invoke(
        app, ["search", "medborgarvärdar", "--mode", mode, "--district", "Skärholmen", "--k", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == mode
    assert data["results"] and all("Skärholmen" in item["districts"] for item in data["results"])


def test_search_prints_a_table(runner, cli_env):
    # A wide terminal, so that rich does not wrap document ids inside the table cells.
    result = runner.invoke(app, ["search", "medborgarvärdar", "--k", "3"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "socialforvaltningen-lokala-utvecklingsplaner-2017" in result.stdout
    assert "Skärholmen" in result.stdout


# ask


def test_ask_json_matches_the_schema_and_cites_verbatim(runner, cli_env):
    result = runner.invoke(app, ["ask", QUESTION, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    answer = AskResponse.model_validate(data)
    assert answer.question == QUESTION
    assert answer.supported and answer.citations
    documents = load_index(cli_env.index_dir).documents
    for citation in answer.citations:
        assert documents[citation.doc_id].text[citation.start : citation.end] == citation.quote
    cited = {c.id for c in answer.citations}
    assert answer.districts and all(set(d.citations) <= cited for d in answer.districts)
    assert {"Skärholmen", "Spånga-Tensta"} <= {d.name for d in answer.districts}


def test_ask_prints_the_answer_with_its_sources(runner, cli_env):
    result = runner.invoke(app, ["ask", QUESTION])
    assert result.exit_code == 0, result.output
    assert "[1]" in result.stdout
    assert "Skärholmen" in result.stdout


# errors


def test_search_without_an_index_fails_cleanly(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("STADSHUS_INDEX_DIR", str(tmp_path / "inget-index"))
    monkeypatch.setenv("STADSHUS_GAZETTEER", str(GAZETTEER))
    get_settings.cache_clear()
    try:
        for command in (["search", "trygghet"], ["ask", "Vad gör Skärholmen för tryggheten?"]):
            result = runner.invoke(app, command)
            assert_clean_failure(result, 1)
            assert "stadshus index" in flat(result.stderr)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["search", ""], "Frågan är tom"),
        (["search", "   "], "Frågan är tom"),
        (["ask", ""], "Frågan är tom"),
        (["search", "trygghet", "--k", "0"], "Antalet träffar"),
        (["search", "trygghet", "--k", "10000"], "Antalet träffar"),
        (["search", "trygghet", "--district", "Atlantis"], "Okänd stadsdel"),
        (["search", "trygghet", "--doc", "finns-inte"], "Okänt dokument"),
        (["ask", "trygghet", "--district", "Atlantis"], "Okänd stadsdel"),
    ],
)
def test_bad_queries_fail_with_a_swedish_message(runner, cli_env, arguments, message):
    result = runner.invoke(app, arguments)
    assert_clean_failure(result, 2)
    assert message in flat(result.stderr)


def test_an_unknown_mode_is_a_usage_error(runner, cli_env):
    result = runner.invoke(app, ["search", "trygghet", "--mode", "magisk"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
