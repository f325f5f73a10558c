"""The research questions of the evaluation (eval/gold/research.jsonl): their schema and validation, the
scores on small hand-made inputs, the judging of hand-made tables and answers against the real index,
and a run of every research question on the session engine."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from eval.answers import CountScores
from eval.failures import Failure, research_failures
from eval.gold import RESEARCH_FILE, Evidence, GoldError, ResearchQuestion, Split, load_research
from eval.metrics import Counts, in_order, snippet_overlaps, years_overlap
from eval.report import ANSWER_CHARS, failure_list, render
from eval.research import (
    Asked,
    CoverageRecord,
    ResearchResult,
    TimeRecord,
    VersionRecord,
    by_split,
    coverage_scores,
    differences_found,
    evaluate_research,
    judge_coverage,
    outside_years,
    time_ordered,
    time_scores,
    version_scores,
)
from eval.run import Evaluation, evaluate
from indexer.types import Answer, Citation, Passage
from service.coverage import EVIDENCE, NO_EVIDENCE, Coverage, CoverageRow
from service.coverage import Evidence as RowEvidence
from service.versions import whats_new

from .conftest import ROOT

T1 = "rinkeby-kista-naringsliv-2022-t1"
T2 = "rinkeby-kista-naringsliv-2022-t2"
LUP = "rinkeby-kista-lup-2017-2022"
NORRMALM = "norrmalm-naringsliv-2022"
SOCIAL = "socialforvaltningen-lokala-utvecklingsplaner-2017"
FARSTA_LUGNA_GATAN = "Stadsdelsnämnden förhandlar med Lugna Gatan om fortsatt arbete ibland annat Farsta Strand."
EAV_LUGNA_GATAN = "komplement till befintliga aktörer som till exempel fältassistenter, nattvandrare och Lugna Gatan."


def gold_validator():
    """eval/gold/validate.py, loaded from its file (it is a script beside the gold set, not a module)."""
    spec = importlib.util.spec_from_file_location("gold_validate", ROOT / "eval" / "gold" / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def research_question(qid: str = "q900", kind: str = "version", split: str = "dev", **fields) -> ResearchQuestion:
    fields.setdefault("evidence", (Evidence(doc_id=T2, snippet="något som står där"),))
    return ResearchQuestion(id=qid, split=split, type=kind, question=fields.pop("question", "Vad?"), answerable=True, **fields)


def citation(engine, number: int, doc_id: str, snippet: str, quote: str | None = None) -> Citation:
    """A citation of ``snippet`` in the real index, at the chunk holding it; ``quote`` overrides the text."""
    document = engine.index.documents[doc_id]
    start = document.text.index(snippet)
    end = start + len(snippet)
    chunk = next(c for c in engine.index.chunks if c.doc_id == doc_id and c.start <= start < c.end)
    return Citation.quoting(number, chunk, document.title, start, end, quote or document.text[start:end], None)


def passage_of(engine, doc_id: str) -> Passage:
    chunk = next(c for c in engine.index.chunks if c.doc_id == doc_id)
    return Passage(chunk=chunk, title=doc_id, score=1.0, rank=1)


# The measures


def test_snippet_overlaps_needs_an_occurrence_inside_a_span():
    text = "Första meningen. Här står\nden sökta meningen. Sist."
    start = text.index("Här")
    assert snippet_overlaps(text, "står den sökta", [(start, start + 5)])
    assert not snippet_overlaps(text, "står den sökta", [(start, start + 4)])  # "Här " ends where it begins
    assert not snippet_overlaps(text, "står den sökta", [(0, 10)])
    assert not snippet_overlaps(text, "finns inte", [(0, len(text))])


def test_years_overlap_like_the_search_filter():
    assert years_overlap((2017, 2022), 2022, 2022)
    assert years_overlap((2017, 2017), 2017, 2022)
    assert not years_overlap((2022, 2022), 2017, 2017)
    assert not years_overlap((2017, 2022), 2023, None)
    assert not years_overlap(None, 2017, 2017)
    assert years_overlap(None, None, None)


def test_in_order_allows_ties_but_not_a_step_back():
    assert in_order([(2017, 1), (2022, 1), (2022, 1), (2022, 5)])
    assert not in_order([(2022, 5), (2022, 1)])
    assert in_order([])


def test_coverage_scores_pool_districts_and_count_quotes():
    records = [
        CoverageRecord(id="q1", split="dev", question="a", districts=["A", "B"], gold_districts=["A", "C"], gold_cited=["A"], quotes=3, verbatim=2),
        CoverageRecord(id="q2", split="dev", question="b", districts=[], gold_districts=["D"], gold_cited=[], quotes=0, verbatim=0),
    ]
    scores = coverage_scores(records)
    assert scores.districts == CountScores.of(Counts(1, 1, 2))
    assert scores.mean_f1 == pytest.approx(0.25)
    assert scores.gold_cited == pytest.approx(1 / 3)
    assert (scores.quotes, scores.verbatim) == (3, pytest.approx(2 / 3))


def asked(qid: str, split: str, ranks, cited, supported=True, states_facts=None, kind: str = "version") -> Asked:
    return Asked(
        id=qid, type=kind, split=split, question="?", supported=supported, text="svar", ranks=ranks, cited=cited,
        states_facts=states_facts, top=[],
    )


def test_version_and_time_scores():
    first = asked("q1", "dev", [1, None], [True, False], states_facts=True)
    second = asked("q2", "test", [6], [False], supported=False)
    version = version_scores([VersionRecord(asked=first, differences=[True, None]), VersionRecord(asked=second, differences=[False])])
    answers = version.answers
    assert (answers.questions, answers.answered, answers.facts_rate) == (2, 0.5, 1.0)
    assert (answers.recall_at_5, answers.recall_at_10, answers.evidence_cited) == (0.25, 0.75, 0.25)
    assert (version.differences, version.differences_found) == (2, 0.5)

    time = time_scores(
        [
            TimeRecord(asked=first, year_from=2017, year_to=2017, outside=[], ordered=None),
            TimeRecord(asked=second, year_from=2017, year_to=2017, outside=[NORRMALM], ordered=False),
        ]
    )
    assert (time.within_years, time.development, time.ordered) == (0.5, 1, 0.0)
    assert time_scores([TimeRecord(asked=first, year_from=2017, year_to=2022, outside=[], ordered=None)]).ordered is None


def test_scores_per_split_add_all_only_for_several_splits():
    dev = VersionRecord(asked=asked("q1", "dev", [1], [True]), differences=[True])
    test = VersionRecord(asked=asked("q2", "test", [None], [False]), differences=[False])
    scores = by_split([], [dev, test], [])
    assert list(scores) == ["dev", "test", "all"]
    assert scores["dev"].version.answers.recall_at_10 == 1.0 and scores["test"].version.answers.recall_at_10 == 0.0
    assert scores["all"].version.differences_found == 0.5
    assert scores["dev"].coverage is None and scores["dev"].time is None
    assert list(by_split([], [dev], [])) == ["dev"]


def research_result(coverage, version, time) -> ResearchResult:
    return ResearchResult(coverage=coverage, version=version, time=time, by_split=by_split(coverage, version, time))


def test_research_failures_say_what_went_wrong():
    item = Evidence(doc_id=T2, snippet="det som borde hittas")
    version_question = research_question("q901", evidence=(item,))
    time_question = research_question("q902", kind="time", year_from=2017, year_to=2017, evidence=(item,))
    fine = research_question("q903", evidence=(item,))
    result = research_result(
        coverage=[
            CoverageRecord(
                id="q904", split="dev", question="c", districts=["Bromma"], gold_districts=["Farsta"], gold_cited=[],
                quotes=2, verbatim=1,
            )
        ],
        version=[
            VersionRecord(asked=asked("q901", "dev", [7], [False], states_facts=False), differences=[False]),
            # Not in the top 10, but cited (a comparison of versions answers without the search): no failure.
            VersionRecord(asked=asked("q903", "dev", [None], [True], states_facts=True), differences=[True]),
        ],
        time=[
            TimeRecord(
                asked=asked("q902", "dev", [2], [True], kind="time"), year_from=2017, year_to=2017, outside=[NORRMALM],
                ordered=False,
            )
        ],
    )
    coverage_question = research_question(
        "q904", kind="coverage", districts=("Farsta",), evidence=(Evidence(doc_id=SOCIAL, snippet="s"),)
    )
    found = {f.id: f.reasons for f in research_failures(result, [version_question, time_question, fine, coverage_question])}
    assert set(found) == {"q901", "q902", "q904"}
    assert found["q904"] == [
        "wrong districts: missing Farsta; extra Bromma",
        "1 of 2 quotes differ from the document text at their offsets",
    ]
    assert any("rank 7" in reason and reason.endswith("and no citation holds it") for reason in found["q901"])
    assert "no citation holds any of the evidence" in found["q901"]
    assert "the answer does not state every key fact" in found["q901"]
    assert any(reason.startswith("not among the differences") for reason in found["q901"])
    assert found["q902"] == [f"used documents outside 2017–2017: {NORRMALM}", "the citations are not in time order"]


def test_a_long_answer_is_cut_in_the_failure_list():
    failure = Failure(id="q901", type="version", question="?", reasons=["r"], retrieved=[], answer="ord\n" * 400)
    line = next(line for line in failure_list([failure]).splitlines() if line.startswith("- answer: "))
    assert len(line) == len("- answer: ") + ANSWER_CHARS and line.endswith("…") and "\n" not in line


# The schema and its validation


def test_research_questions_load_by_split():
    dev, test, every = (load_research(s) for s in (Split.dev, Split.test, Split.all))
    assert {q.split for q in dev} == {"dev"} and {q.split for q in test} == {"test"}
    assert len(dev) + len(test) == len(every) == 18
    assert {q.type for q in every} == {"coverage", "version", "time"}
    assert all(q.year_from is not None and q.year_to is not None for q in every if q.type == "time")


def test_research_question_rules():
    with pytest.raises(ValidationError, match="year_from and year_to"):
        research_question(kind="time")
    with pytest.raises(ValidationError, match="later than"):
        research_question(kind="time", year_from=2022, year_to=2017)
    with pytest.raises(ValidationError, match="one evidence item per district"):
        research_question(kind="coverage", districts=("Farsta", "Bromma"))
    with pytest.raises(ValidationError, match="only for coverage"):
        research_question(kind="version", districts=("Farsta",))
    with pytest.raises(ValidationError):
        research_question(kind="list", districts=("Farsta",))


def test_a_broken_research_file_names_its_line(tmp_path: Path):
    line = RESEARCH_FILE.read_text(encoding="utf-8").splitlines()[12]
    broken = json.loads(line)
    del broken["year_to"]
    path = tmp_path / "research.jsonl"
    path.write_text(line + "\n" + json.dumps(broken, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match=":2 .*year_from and year_to"):
        load_research(Split.all, path)
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match="två gånger"):
        load_research(Split.all, path)


def test_both_gold_files_pass_their_validator():
    validate = gold_validator()
    assert validate.validate(validate.GOLD_DIR / "questions.jsonl", validate.GOLD)[0] == []
    assert validate.validate(RESEARCH_FILE, validate.RESEARCH)[0] == []
    assert validate.main([]) == 0


def test_the_validator_checks_the_rules_of_the_answer_types(tmp_path: Path):
    validate = gold_validator()
    items = [json.loads(line) for line in (validate.GOLD_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    kinds = ("actor_list", "near_miss", "multi_part", "over_time", "english", "fact")
    first = {kind: next(i for i in items if i["type"] == kind) for kind in kinds}
    first["actor_list"]["actors"] = first["actor_list"]["actors"][:-1]
    del first["near_miss"]["missing"]
    first["multi_part"]["answer_contains"] = first["multi_part"]["answer_contains"][:1]
    first["over_time"]["evidence"] = first["over_time"]["evidence"][:1]
    del first["english"]["answer_contains"]
    first["fact"]["actors"] = ["Jernhusen"]
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    problems = validate.validate(path, validate.GOLD)[0]
    qid = {kind: item["id"] for kind, item in first.items()}
    assert any(p.startswith(f"{qid['actor_list']}: actor_list needs one evidence item per actor") for p in problems)
    assert f"{qid['near_miss']}: near_miss question needs missing (the constraint the documents lack)" in problems
    assert f"{qid['multi_part']}: multi_part question needs at least 2 answer_contains, has 1" in problems
    assert f"{qid['over_time']}: over_time question needs at least 2 evidence items" in problems
    assert f"{qid['english']}: english question needs at least 1 answer_contains, has 0" in problems
    assert f"{qid['fact']}: actors is only for actor_list questions" in problems


def test_the_validator_checks_research_rules(tmp_path: Path):
    validate = gold_validator()
    lines = RESEARCH_FILE.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    time = next(i for i in items if i["type"] == "time")
    del time["year_from"]
    coverage = next(i for i in items if i["type"] == "coverage")
    coverage["districts"] = coverage["districts"][:-1]
    path = tmp_path / "research.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    problems = validate.validate(path, validate.RESEARCH)[0]
    assert f"{time['id']}: year_from and year_to must both be years (1900-2100): [None, {time['year_to']}]" in problems
    assert any(p.startswith(f"{coverage['id']}: coverage needs one evidence item per district") for p in problems)
    # By the rules of questions.jsonl the research file breaks many: they are different sets.
    assert any("bad type 'coverage'" in p for p in validate.validate(RESEARCH_FILE, validate.GOLD)[0])


# Judging against the real index


def test_judge_coverage_compares_district_rows_and_checks_quotes(engine):
    question = research_question(
        kind="coverage",
        districts=("Enskede-Årsta-Vantör", "Farsta"),
        evidence=(Evidence(doc_id=SOCIAL, snippet=EAV_LUGNA_GATAN), Evidence(doc_id=SOCIAL, snippet=FARSTA_LUGNA_GATAN)),
    )
    farsta = citation(engine, 1, SOCIAL, FARSTA_LUGNA_GATAN)
    # A row that quotes the Enskede-Årsta-Vantör sentence with text its offsets do not hold.
    altered = citation(engine, 2, SOCIAL, EAV_LUGNA_GATAN, quote="något annat än det som står")
    rows = (
        CoverageRow("Bromma", "district", EVIDENCE, "nämner", (RowEvidence(altered, 0.9, "nämner"),), 0.9),
        CoverageRow("Enskede-Årsta-Vantör", "district", NO_EVIDENCE, None, (), 0.2),
        CoverageRow("Farsta", "district", EVIDENCE, "har", (RowEvidence(farsta, 0.9, "har"),), 0.9),
        CoverageRow("Socialförvaltningen", "organisation", EVIDENCE, "har", (RowEvidence(farsta, 0.9, "har"),), 0.9),
    )
    record = judge_coverage(question, Coverage(query="Lugna Gatan", threshold=0.5, rows=rows), engine.index)
    assert record.districts == ["Bromma", "Farsta"]  # the organisation row is no district
    assert record.gold_cited == ["Farsta"]
    assert (record.quotes, record.verbatim) == (2, 1)
    assert (record.counts.tp, record.counts.fp, record.counts.fn) == (1, 1, 1)


def test_differences_found_in_the_comparison_of_the_versions(engine):
    question = research_question(
        evidence=(
            Evidence(doc_id=T2, snippet="Projektet Järvavärdar har pausats, då Jobbtorg haft svårigheter att hitta lämpliga"),
            Evidence(doc_id=T1, snippet="Arbetsgrupper finns för Kista busstorg, Akalla by, Basargången i Rinkeby och i centrala Husby."),
            Evidence(doc_id=T2, snippet="stadsutvecklingsprojektet Saima, där drygt 1700 bostäder och ny stadsmiljö utvecklas i"),
            Evidence(doc_id=NORRMALM, snippet="Odenplan är tillsammans med Observatorielunden klassad som en öppen drogsener sedan 2017."),
        )
    )
    found = differences_found(question, engine.index, lambda doc_id: whats_new(engine, doc_id))
    # New in T2; removed from T1 (T2 no longer names Basargången); in both versions; a single-version report.
    assert found == [True, True, False, None]


def test_outside_years_and_time_order_of_citations(engine):
    question = research_question(kind="time", year_from=2017, year_to=2017, question="Hur har arbetet utvecklats?")
    earlier = citation(engine, 1, LUP, engine.index.documents[LUP].text[200:260])
    later = citation(engine, 2, T2, "Projektet Järvavärdar har pausats")
    norrmalm = citation(engine, 3, NORRMALM, "Odenplan är tillsammans med Observatorielunden")
    answer = Answer(question=question.question, text="…", supported=True, citations=(earlier, norrmalm))
    passages = [passage_of(engine, SOCIAL), passage_of(engine, T1)]
    assert outside_years(question, answer, passages, engine.index) == [NORRMALM, T1]

    def citing(*citations: Citation) -> Answer:
        return Answer(question="?", text="…", supported=True, citations=citations)

    assert time_ordered(question, citing(earlier, later), engine.index) is True
    assert time_ordered(question, citing(later, earlier), engine.index) is False
    assert time_ordered(question, citing(later), engine.index) is None
    other = research_question(kind="time", year_from=2017, year_to=2017, question="Vad gjordes 2017?")
    assert time_ordered(other, citing(later, earlier), engine.index) is None


# Every research question on the session engine


@pytest.fixture(scope="module")
def research(engine):
    return evaluate_research(engine, load_research(Split.all))


def test_every_research_question_is_judged(research):
    every = load_research(Split.all)
    judged = [r.id for r in research.coverage] + [r.asked.id for r in research.version] + [r.asked.id for r in research.time]
    assert sorted(judged) == sorted(q.id for q in every) and research.questions == len(every)
    assert list(research.by_split) == ["dev", "test", "all"]
    for scores in research.by_split.values():
        assert scores.coverage and scores.version and scores.time
    evidence = {q.id: q.evidence for q in every}
    for record in [*research.version, *research.time]:
        assert len(record.asked.ranks) == len(record.asked.cited) == len(evidence[record.asked.id])
    for record in research.version:
        assert len(record.differences) == len(evidence[record.asked.id])


def test_research_guarantees_hold(research):
    overall = research.by_split["all"]
    # Every coverage quote is the document's text at its offsets, and year filters leave nothing outside.
    assert overall.coverage.quotes > 0 and overall.coverage.verbatim == 1.0
    assert overall.time.within_years == 1.0
    # "Vad är nytt ..." is answered from the comparison of the versions, which lists the new parts.
    whats_new_question = next(r for r in research.version if r.asked.id == "q218")
    assert whats_new_question.asked.text.startswith("Nytt i")
    assert whats_new_question.differences == [True, True, True] and all(whats_new_question.asked.cited)


def test_the_evaluation_reports_the_research_questions(engine):
    evaluation = evaluate(engine, [], Split.test, ["hybrid"], research=load_research(Split.test))
    assert list(evaluation.research.by_split) == ["test"]
    assert evaluation.header.research_questions == len(load_research(Split.test))
    assert Evaluation.model_validate_json(evaluation.model_dump_json()) == evaluation
    report = render(evaluation)
    assert "## Research questions (test split)" in report
    for heading in ("**Coverage**", "**Version**", "**Time**", "## Failures on the research questions"):
        assert heading in report
    for failure in evaluation.research_failures:
        assert f"### {failure.id} ({failure.type})" in report
