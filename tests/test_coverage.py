"""Topic coverage across districts, on the real corpus."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from eval.gold import Split, load_questions
from indexer.filtering import document_years
from service.coverage import (
    EVIDENCE,
    NO_EVIDENCE,
    best_threshold_range,
    calibrate_threshold,
    city_organisations,
    coverage,
)
from service.schemas.coverage import CoverageResponse, coverage_response
from service.search import QueryError

MEDBORGARVARDAR = {
    "Spånga-Tensta",
    "Skärholmen",
    "Enskede-Årsta-Vantör",
    "Skarpnäck",
    "Hässelby-Vällingby",
    "Rinkeby-Kista",
}


@dataclass(frozen=True)
class GoldQuestion:
    question: str
    districts: tuple[str, ...] | None


@pytest.fixture(scope="module")
def medborgarvardar(engine):
    return coverage(engine, "medborgarvärdar")


def test_medborgarvardar_lists_the_six_districts_with_verbatim_citations(engine, medborgarvardar):
    rows = {row.name: row for row in medborgarvardar.rows}
    for name in MEDBORGARVARDAR:
        row = rows[name]
        assert row.status == EVIDENCE, name
        assert row.evidence, name
        for item in row.evidence:
            citation = item.citation
            assert citation.quote == engine.index.documents[citation.doc_id].text[citation.start : citation.end]
            assert item.score >= medborgarvardar.threshold
    for row in medborgarvardar.rows:
        if row.kind == "district" and row.name not in MEDBORGARVARDAR:
            assert row.status == NO_EVIDENCE, row.name
            assert row.evidence == ()
            assert row.involvement is None


def test_every_district_and_city_wide_organisation_has_a_row(engine, medborgarvardar):
    districts = [row.name for row in medborgarvardar.rows if row.kind == "district"]
    organisations = [row.name for row in medborgarvardar.rows if row.kind == "organisation"]
    assert districts == list(engine.gazetteer.names)
    assert len(districts) == 14
    # Socialförvaltningen has no district; the district administrations' own names are not extra rows.
    assert organisations == ["Socialförvaltningen"] == list(city_organisations(engine))


def test_involvement_is_the_strongest_found(medborgarvardar):
    rows = {row.name: row for row in medborgarvardar.rows}
    assert rows["Spånga-Tensta"].involvement == "har"
    assert rows["Enskede-Årsta-Vantör"].involvement == "planerar"
    # "så som man gjort i Skarpnäck, Hässelby-Vällingby": done there already.
    assert rows["Skarpnäck"].involvement == "har"
    assert rows["Rinkeby-Kista"].involvement == "nämner"


def test_a_row_under_the_threshold_still_shows_how_close_it_came(engine):
    table = coverage(engine, "Vilka stadsdelar samarbetar med ungdomsmottagningen?")
    rows = {row.name: row for row in table.rows}
    assert set(table.covered) == {"Kungsholmen", "Norrmalm", "Östermalm", "Södermalm", "Farsta"}
    # "samarbetar" says what is listed, not the topic: Rinkeby-Kista's sentence that only "samarbetar"
    # holds nothing of the topic.
    assert rows["Rinkeby-Kista"].status == NO_EVIDENCE and rows["Rinkeby-Kista"].best_score == 0.0
    # Under a wider topic, districts with "unga vuxna" but without the youth clinic come close.
    wider = coverage(engine, "Vilka stadsdelar har ungdomsmottagning för unga vuxna?")
    close = [row for row in wider.rows if row.status == NO_EVIDENCE and 0 < row.best_score < wider.threshold]
    assert close
    for row in (*table.rows, *wider.rows):
        if row.status == NO_EVIDENCE:
            assert row.best_score < table.threshold


def test_the_topic_word_makes_evidence_under_the_threshold(engine):
    strict = coverage(engine, "medborgarvärdar", threshold=0.9)
    rows = {row.name: row for row in strict.rows}
    # Hässelby-Vällingby is only named next to the variant spelling "medborgarvårdare" (weight 0.8).
    assert rows["Hässelby-Vällingby"].status == EVIDENCE
    assert rows["Hässelby-Vällingby"].best_score == pytest.approx(0.8)
    assert all(e.anchored and e.score < 0.9 for e in rows["Hässelby-Vällingby"].evidence)
    assert set(strict.covered) == MEDBORGARVARDAR


def test_max_passages_limits_quotes_and_the_same_sentence_is_one_citation(engine, medborgarvardar):
    assert all(len(row.evidence) <= 3 for row in medborgarvardar.rows)
    one = coverage(engine, "medborgarvärdar", max_passages=1)
    assert all(len(row.evidence) <= 1 for row in one.rows)
    # The 4.9 sentence supports three districts: one citation id shared by their rows.
    rows = {row.name: row for row in medborgarvardar.rows}
    shared = {item.citation.id for name in ("Skarpnäck", "Hässelby-Vällingby") for item in rows[name].evidence}
    assert len(shared) == 1
    assert [c.id for c in medborgarvardar.citations] == list(range(1, len(medborgarvardar.citations) + 1))


def test_year_filter_keeps_only_documents_of_those_years(engine):
    recent = coverage(engine, "medborgarvärdar", year_from=2022)
    assert recent.covered == ("Rinkeby-Kista",)
    assert {e.citation.doc_id for row in recent.rows for e in row.evidence} == {"rinkeby-kista-naringsliv-2022-t2"}
    early = coverage(engine, "medborgarvärdar", year_to=2017)
    assert set(early.covered) == MEDBORGARVARDAR - {"Rinkeby-Kista"}


def test_organisation_rows_get_their_own_city_wide_text(engine):
    table = coverage(engine, "LUP ansvarig")
    row = next(row for row in table.rows if row.name == "Socialförvaltningen")
    assert row.kind == "organisation" and row.status == EVIDENCE
    assert any("utsett en person som LUP ansvarig" in e.citation.quote for e in row.evidence)


def test_a_list_question_is_read_for_its_topic(engine, medborgarvardar):
    question = coverage(engine, "Vilka stadsdelar arbetar med medborgarvärdar?")
    assert set(question.covered) == set(medborgarvardar.covered) == MEDBORGARVARDAR


@pytest.mark.parametrize(
    ("query", "kwargs", "message"),
    [
        ("   ", {}, "tom"),
        ("Vilka stadsdelar arbetar?", {}, "ämne"),
        ("medborgarvärdar", {"max_passages": 0}, "minst 1"),
        ("x" * 5000, {}, "för lång"),
        ("medborgarvärdar", {"threshold": 1.5}, "mellan 0 och 1"),
        ("medborgarvärdar", {"year_from": 2022, "year_to": 2017}, "senare än slutåret"),
    ],
)
def test_bad_input_gives_a_swedish_error(engine, query, kwargs, message):
    with pytest.raises(QueryError, match=message):
        coverage(engine, query, **kwargs)


def test_calibration_picks_the_middle_of_the_widest_best_range(engine):
    gold = [GoldQuestion("medborgarvärdar", tuple(MEDBORGARVARDAR)), GoldQuestion("ignored", None)]
    calibration = calibrate_threshold(engine, gold)
    assert calibration.questions == 1
    assert (calibration.f1, calibration.precision, calibration.recall) == (1.0, 1.0, 1.0)
    # The six rows score 0.8 or 1.0 and hold the topic word; every other row scores 0: any threshold
    # in (0, 1] is as good, and the middle is taken.
    assert calibration.threshold == pytest.approx(0.5)
    assert set(coverage(engine, "medborgarvärdar", threshold=calibration.threshold).covered) == MEDBORGARVARDAR


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([(0.2, 0.5), (0.4, 0.8), (0.6, 0.8), (0.9, 0.6)], (0.2, 0.6)),
        ([(0.3, 0.9), (0.5, 0.7), (0.6, 0.9), (0.7, 0.9), (0.8, 0.9)], (0.5, 0.8)),
        ([(0.3, 0.9), (0.5, 0.7)], (0.0, 0.3)),
        ([(0.5, 0.4)], (0.0, 0.5)),
    ],
)
def test_best_threshold_range_is_the_widest_run_of_best_candidates(points, expected):
    assert best_threshold_range(points) == pytest.approx(expected)


def test_calibration_needs_gold_districts(engine):
    with pytest.raises(ValueError):
        calibrate_threshold(engine, [GoldQuestion("medborgarvärdar", None)])


def test_default_threshold_is_as_good_as_the_calibrated_one_on_dev(engine):
    dev = [q for q in load_questions(Split.dev) if q.type == "list"]
    calibration = calibrate_threshold(engine, dev)
    tp = fp = fn = 0
    for question in dev:
        table = coverage(engine, question.question)
        predicted = {row.name for row in table.rows if row.kind == "district" and row.status == EVIDENCE}
        tp += len(predicted & set(question.districts))
        fp += len(predicted - set(question.districts))
        fn += len(set(question.districts) - predicted)
    f1_at_default = 2 * tp / (2 * tp + fp + fn)
    assert f1_at_default == pytest.approx(calibration.f1, abs=0.01), (
        f"recalibrate: dev F1 {f1_at_default:.3f} at {engine.settings.coverage_threshold}, "
        f"{calibration.f1:.3f} at {calibration.threshold}"
    )


def test_json_form_round_trips(medborgarvardar):
    payload = coverage_response(medborgarvardar)
    again = CoverageResponse.model_validate_json(payload.model_dump_json())
    assert again == payload
    assert len(again.rows) == 15
    spanga = next(row for row in again.rows if row.name == "Spånga-Tensta")
    assert spanga.evidence[0].score > 0 and spanga.evidence[0].involvement and spanga.evidence[0].anchored


# The research gold questions (eval/gold/research.jsonl)

RESEARCH_GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold" / "research.jsonl"


def research_questions() -> list[dict]:
    return [json.loads(line) for line in RESEARCH_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def gold_validator():
    """eval/gold/validate.py, loaded by path (``eval.gold`` is also a module name)."""
    spec = importlib.util.spec_from_file_location("gold_validate", RESEARCH_GOLD.parent / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_research_gold_follows_the_snippet_rules():
    validate = gold_validator()
    docs = validate.load_docs()
    questions = research_questions()
    counts = Counter(q["type"] for q in questions)
    assert counts["coverage"] >= 6 and counts["version"] >= 4 and counts["time"] >= 4
    assert len({q["id"] for q in questions}) == len(questions)
    for q in questions:
        for i, evidence in enumerate(q["evidence"]):
            problems = validate.check_snippet(evidence["doc_id"], evidence["snippet"], docs, f"{q['id']}[{i}]")
            assert not problems, problems
        for fact in q.get("answer_contains", []):
            assert any(validate.collapse(fact) in docs[e["doc_id"]][0] for e in q["evidence"]), (q["id"], fact)
        if q["type"] == "coverage":
            assert set(q["districts"]) <= set(validate.CANONICAL_DISTRICTS)
            assert len(q["districts"]) == len(q["evidence"])
        if q["type"] == "version":
            assert any(e["doc_id"] == validate.VERSION_DOC for e in q["evidence"]), q["id"]


def test_research_time_evidence_lies_within_the_years(engine):
    for q in research_questions():
        if q["type"] != "time":
            continue
        assert q["year_from"] <= q["year_to"]
        for evidence in q["evidence"]:
            first, last = document_years(engine.index.documents[evidence["doc_id"]])
            assert first <= q["year_to"] and last >= q["year_from"], (q["id"], evidence["doc_id"])


def test_coverage_sees_every_gold_district_of_the_research_questions(engine):
    """Retrieval reaches every district the gold names: each gets a sentence score, whatever the threshold."""
    for q in research_questions():
        if q["type"] == "coverage":
            rows = {row.name: row for row in coverage(engine, q["question"]).rows}
            unseen = {name for name in q["districts"] if rows[name].best_score == 0}
            assert not unseen, (q["id"], unseen)
