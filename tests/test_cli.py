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
    assert "finns inte" in flat(result.stderr)


def served_answers(runner) -> bool:
    """Whether the served index still finds the flagship question's passage."""
    result = runner.invoke(app, ["search", "medborgarvärdar Vårberg", "--json", "--mode", "bm25"])
    return result.exit_code == 0 and json.loads(result.stdout)["results"][0]["doc_id"] == "trygghet"


def test_a_build_losing_most_of_the_corpus_is_refused_unless_allowed(runner, tmp_env, tmp_path):
    for number in range(3):
        (tmp_env.corpus_dir / f"rapport{number}.txt").write_text(f"Rapport {number}\n\nParken i Farsta nummer {number}.\n")
    assert json.loads(runner.invoke(app, ["index", "--json"]).stdout)["documents"] == 5
    served = load_index(tmp_env.index_dir).path
    empty, one = tmp_path / "tom", tmp_path / "en"
    empty.mkdir()
    one.mkdir()
    (one / "fritid.txt").write_text((tmp_env.corpus_dir / "fritid.txt").read_text(encoding="utf-8"), encoding="utf-8")
    for folder, said in ((empty, "inga dokument"), (tmp_path / "saknas", "finns inte"), (one, "tappa 4 av 5 dokument")):
        result = runner.invoke(app, ["index", str(folder)])
        assert_clean_failure(result)
        assert said in flat(result.stderr)
        assert load_index(tmp_env.index_dir).path == served
        assert served_answers(runner)
    result = runner.invoke(app, ["index", str(one), "--allow-shrink", "--json"])
    assert result.exit_code == 0, result.output
    assert set(load_index(tmp_env.index_dir).documents) == {"fritid"}


def test_a_build_logs_its_progress_line_by_line_when_output_is_not_a_terminal(runner, tmp_env):
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert "Läser filer: 3 av 3" in lines and "Bäddar in textstycken: 4 av 4" in lines
    assert lines.index("Bäddar in textstycken: 4 av 4") < next(i for i, line in enumerate(lines) if "Indexerade" in line)


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


# Settings checked before any command


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("STADSHUS_ADMIN_KEY", "", "är tom"),
        ("STADSHUS_ADMIN_KEY", "a", "är kortare än 16 tecken"),
        ("STADSHUS_ADMIN_KEY", "femton-tecken-x", "är kortare än 16 tecken"),
        ("STADSHUS_ADMIN_KEY", "nyckel med mellanslag", "får bara innehålla synliga ASCII-tecken"),
        ("STADSHUS_ADMIN_KEY", "hemlig-nyckel-med-å", "får bara innehålla synliga ASCII-tecken"),
        ("STADSHUS_CHUNK_TOKENS", "många", "måste vara ett heltal"),
        ("STADSHUS_FUSION", "medel", "måste vara något av"),
        ("STADSHUS_LLM_BASE_URL", "localhost:11434", "måste börja med http://"),
        ("STADSHUS_REQUEST_THREADS", "0", "måste vara minst 1"),
    ],
)
@pytest.mark.parametrize("command", [["serve"], ["search", "medborgarvärdar"], ["index"]])
def test_a_refused_setting_stops_every_command(runner, monkeypatch, command, variable, value, reason):
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, command)
    finally:
        get_settings.cache_clear()
    assert_clean_failure(result, 2)
    assert f"{variable} {reason}" in flat(result.stderr)
    if len(value) > 4:
        assert value not in result.stderr  # a refused value may be a secret: never repeated


def test_serve_refuses_to_start_with_an_empty_admin_key(tmp_path):
    import os
    import subprocess
    import sys

    stadshus = Path(sys.executable).with_name("stadshus")
    environment = {**os.environ, "STADSHUS_ADMIN_KEY": "", "STADSHUS_INDEX_DIR": str(tmp_path / "index")}
    started = subprocess.run(
        [str(stadshus), "serve", "--port", "9"], env=environment, capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 2
    assert "STADSHUS_ADMIN_KEY är tom" in flat(started.stderr) and "Traceback" not in started.stderr


def test_a_key_of_sixteen_visible_characters_is_accepted(monkeypatch):
    monkeypatch.setenv("STADSHUS_ADMIN_KEY", "0123456789abcdef")
    assert Settings().admin_key.get_secret_value() == "0123456789abcdef"


def test_a_damaged_record_met_while_answering_is_a_swedish_message_not_a_traceback(monkeypatch, capsys):
    from indexer.records import RecordError
    from service import cli

    def damaged() -> None:
        raise RecordError("record 7 cannot be read (Expecting value)")

    monkeypatch.setattr(cli, "app", damaged)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    error = flat(capsys.readouterr().err)
    assert "Sökindexet är skadat. Bygg om det med `stadshus index`." in error and "Traceback" not in error


def test_a_missing_index_is_said_in_swedish(runner, tmp_env):
    result = runner.invoke(app, ["search", "medborgarvärdar"])
    assert_clean_failure(result)
    assert "Det finns inget sökindex ännu" in flat(result.stderr)
