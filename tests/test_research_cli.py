"""The research commands of `stadshus` through typer's CliRunner: coverage, compare, similar and
review export, in text and JSON, with clean failures (a Swedish message, no traceback, non-zero exit)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.coverage import coverage
from service.reviews.checks import index_stamp
from service.reviews.export import load_candidates
from service.reviews.schemas import ReviewIn
from indexer.settings import get_settings
from service.reviews.store import ReviewStore
from service.schemas.ask import ask_response
from service.schemas.coverage import coverage_response
from service.schemas.similar import similar_response
from service.schemas.versions import comparison_response
from service.similar import similar_passages
from service.versions import compare
from tests.conftest import GAZETTEER

T1 = "rinkeby-kista-naringsliv-2022-t1"
T2 = "rinkeby-kista-naringsliv-2022-t2"
TOPIC = "medborgarvärdar"
WIDE = {"COLUMNS": "300"}  # rich does not wrap table cells on a wide terminal


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_clean_failure(result, code: int, message: str) -> None:
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "Fel:" in result.stderr and message in flat(result.stderr)


# coverage


def test_coverage_json_is_the_library_table(runner, cli_env, engine):
    result = runner.invoke(app, ["coverage", TOPIC, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == coverage_response(coverage(engine, TOPIC)).model_dump(mode="json")


def test_coverage_with_years(runner, cli_env, engine):
    result = runner.invoke(app, ["coverage", TOPIC, "--year-from", "2022", "--year-to", "2022", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == coverage_response(coverage(engine, TOPIC, 2022, 2022)).model_dump(mode="json")


def test_coverage_prints_every_district(runner, cli_env, engine):
    result = runner.invoke(app, ["coverage", TOPIC], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in engine.gazetteer.names:
        assert name in result.stdout
    assert result.stdout.count("inga belägg hittades") == 14 - 6 + 1  # eight districts and Socialförvaltningen
    assert "[1] ”" in result.stdout  # citation numbers are printed, not read as markup


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["coverage", ""], "Frågan är tom"),
        (["coverage", "vilka stadsdelar arbetar"], "saknar ett ämne"),
        (["coverage", TOPIC, "--year-from", "2022", "--year-to", "2017"], "senare än slutåret"),
    ],
)
def test_bad_coverage_queries_fail_cleanly(runner, cli_env, arguments, message):
    assert_clean_failure(runner.invoke(app, arguments), 2, message)


# compare


def test_compare_json_is_the_library_comparison(runner, cli_env, engine):
    result = runner.invoke(app, ["compare", T1, T2, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == comparison_response(compare(engine, T1, T2)).model_dump(mode="json")


def test_compare_prints_added_and_removed_sentences(runner, cli_env):
    result = runner.invoke(app, ["compare", T1, T2], env=WIDE)
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "+ En lokal näringslivsdialog har genomförts under våren" in text
    assert "- Planering för en lokal näringslivsdialog pågår." in text
    assert text.endswith("8 nya avsnitt, 0 borttagna avsnitt, 5 ändrade, 11 oförändrade.")


def test_compare_with_an_unknown_document_fails_cleanly(runner, cli_env):
    assert_clean_failure(runner.invoke(app, ["compare", T1, "finns-inte"]), 2, "Okänt dokument: 'finns-inte'")


# similar


def test_similar_json_is_the_library_list(runner, cli_env, engine):
    chunk_id = next(c.chunk_id for c in engine.index.chunks if c.doc_id == T1 and c.districts)
    result = runner.invoke(app, ["similar", chunk_id, "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == similar_response(chunk_id, similar_passages(engine, chunk_id, 3)).model_dump(mode="json")
    wider = runner.invoke(app, ["similar", chunk_id, "--k", "3", "--all-districts", "--json"])
    expected = similar_passages(engine, chunk_id, 3, other_districts_only=False)
    assert json.loads(wider.stdout) == similar_response(chunk_id, expected).model_dump(mode="json")


def test_similar_prints_a_table(runner, cli_env, engine):
    chunk_id = next(c.chunk_id for c in engine.index.chunks if c.doc_id == T1 and c.districts)
    result = runner.invoke(app, ["similar", chunk_id, "--k", "2"], env=WIDE)
    assert result.exit_code == 0, result.output
    for passage in similar_passages(engine, chunk_id, 2):
        assert passage.chunk.doc_id in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["similar", "finns-inte#1"], "Okänt textstycke"), (["similar", "{chunk}", "--k", "0"], "Antalet träffar")],
)
def test_bad_similar_input_fails_cleanly(runner, cli_env, engine, arguments, message):
    arguments = [a.replace("{chunk}", engine.index.chunks[0].chunk_id) for a in arguments]
    assert_clean_failure(runner.invoke(app, arguments), 2, message)


# review export


@pytest.fixture
def review_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """STADSHUS_DB_URL pointing at an empty review database of this test."""
    url = f"sqlite:///{tmp_path / 'reviews.db'}"
    monkeypatch.setenv("STADSHUS_DB_URL", url)
    monkeypatch.delenv("STADSHUS_REVIEWER_KEYS", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def judge(url: str, engine, question: str, verdict: str) -> None:
    """Store anna's judgment of the service's answer to ``question``, every citation supporting it."""
    # The store keeps what it is given; the signature is the review API's to check.
    answer = ask_response(engine.answerer.ask(question)).model_dump(mode="json") | {"signature": "0" * 64}
    review = ReviewIn.model_validate(
        {"answer": answer, "verdict": verdict, "citations": [{"citation_id": c["id"], "verdict": "supports"} for c in answer["citations"]]}
    )
    store = ReviewStore.open(url)
    try:
        store.save(review, "anna", index_stamp(engine))
    finally:
        store.close()


def test_review_export_writes_candidates(runner, cli_env, review_db, engine, tmp_path):
    judge(review_db, engine, "Vilka stadsdelar arbetar med medborgarvärdar?", "correct")
    judge(review_db, engine, "Vad gör medborgarvärdarna i Skärholmen?", "wrong")
    path = tmp_path / "ut" / "kandidater.jsonl"
    result = runner.invoke(app, ["review", "export", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["path"], report["written"]) == (str(path), 1)
    assert [item["reason"] for item in report["skipped"]] == ["verdict wrong"]
    (candidate,) = load_candidates(path)
    assert candidate.type == "list" and candidate.split == "review"
    assert set(candidate.districts) <= set(engine.gazetteer.names) and candidate.districts
    for evidence in candidate.evidence:
        assert evidence.snippet in engine.index.documents[evidence.doc_id].text

    text = runner.invoke(app, ["review", "export", str(path)])
    assert text.exit_code == 0, text.output
    assert "Skrev 1 kandidater till" in flat(text.stderr) and "verdict wrong" in flat(text.stderr)


def test_review_export_without_a_usable_database_fails_cleanly(runner, cli_env, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("STADSHUS_DB_URL", f"sqlite:///{blocker}/reviews.db")
    get_settings.cache_clear()
    try:
        assert_clean_failure(runner.invoke(app, ["review", "export", str(tmp_path / "x.jsonl")]), 1, "granskningsdatabasen")
    finally:
        get_settings.cache_clear()


def test_review_export_with_bad_reviewer_keys_fails_cleanly(runner, cli_env, review_db, monkeypatch, tmp_path):
    monkeypatch.setenv("STADSHUS_REVIEWER_KEYS", "anna:kort")
    get_settings.cache_clear()
    result = runner.invoke(app, ["review", "export", str(tmp_path / "x.jsonl")])
    assert_clean_failure(result, 1, "granskningsinställningarna är ogiltiga")


def test_review_export_without_an_index_fails_cleanly(runner, review_db, monkeypatch, tmp_path):
    monkeypatch.setenv("STADSHUS_INDEX_DIR", str(tmp_path / "inget-index"))
    monkeypatch.setenv("STADSHUS_GAZETTEER", str(GAZETTEER))
    get_settings.cache_clear()
    try:
        assert_clean_failure(runner.invoke(app, ["review", "export", str(tmp_path / "x.jsonl")]), 1, "stadshus index")
    finally:
        get_settings.cache_clear()


def test_review_export_to_an_unwritable_path_fails_cleanly(runner, cli_env, review_db, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    assert_clean_failure(runner.invoke(app, ["review", "export", str(blocker / "x.jsonl")]), 1, "kan inte skriva")
