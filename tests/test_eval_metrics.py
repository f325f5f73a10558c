"""The evaluation's measures on tiny hand-made inputs (no index, no embedder)."""

from __future__ import annotations

import math

import pytest

from eval.answers import AnswerRecord, AnswerResult, answer_scores
from eval.gold import Evidence, GoldError, Question, Split, load_questions
from eval.metrics import (
    Counts,
    Retrieved,
    abstention_counts,
    citation_supported,
    contains_facts,
    first_ranks,
    is_relevant,
    ndcg_at_k,
    normalise,
    normalise_with_offsets,
    percentile,
    reciprocal_rank,
    recall_at_k,
    set_counts,
    snippet_spans,
)
from eval.failures import failures
from eval.retrieval import PassageBrief, QuestionRetrieval, RetrievalScores, SystemResult
from eval.run import targets
from eval.systems import UnknownSystem, resolve_names

DOC = "rapport-a"
OTHER = "rapport-b"


def test_normalise_folds_case_whitespace_quotes_and_dashes():
    assert normalise("  Ett ”Citat”\n\n– och\t“mer”  ") == 'ett "citat" - och "mer"'


def test_normalise_keeps_the_offset_of_every_character():
    text, offsets = normalise_with_offsets(" A \n B–C")
    assert text == "a b-c"
    assert offsets == [1, 2, 5, 6, 7]


def test_snippet_spans_match_across_line_breaks_and_point_into_the_original():
    document = "Första raden.\nHär  står\nvår mening. Och mer."
    spans = snippet_spans(document, "står vår mening.")
    assert len(spans) == 1
    start, end = spans[0]
    assert document[start:end] == "står\nvår mening."


def test_snippet_spans_find_every_occurrence():
    assert snippet_spans("ab x ab", "AB") == [(0, 2), (5, 7)]


def test_relevance_needs_the_snippet_and_the_same_document():
    evidence = Evidence(doc_id=DOC, snippet="Hittills har 453 ärenden granskats")
    passage = Retrieved(doc_id=DOC, text="… och hittills  har 453\närenden granskats, vilket är 40 procent.")
    assert is_relevant(passage, evidence)
    assert not is_relevant(Retrieved(doc_id=OTHER, text=passage.text), evidence)
    assert not is_relevant(Retrieved(doc_id=DOC, text="Hittills har 450 ärenden granskats"), evidence)


def test_relevance_accepts_a_near_duplicate_document_listed_in_also_in():
    evidence = Evidence(doc_id=OTHER, snippet="smarta papperskorgar i Kista")
    assert is_relevant(Retrieved(doc_id=DOC, text="Om smarta papperskorgar i Kista.", also_in=(OTHER,)), evidence)


def test_a_word_hyphenated_across_a_line_break_does_not_match():
    # The uncleaned baseline's real weakness: "Pro-\ngrammet" is not "Programmet".
    evidence = Evidence(doc_id=DOC, snippet="Programmet riktar sig till unga")
    assert not is_relevant(Retrieved(doc_id=DOC, text="Pro-\ngrammet riktar sig till unga"), evidence)


def ranking_example() -> tuple[list[Retrieved], list[Evidence]]:
    evidence = [Evidence(doc_id=DOC, snippet="första beviset"), Evidence(doc_id=DOC, snippet="andra beviset")]
    passages = [
        Retrieved(doc_id=DOC, text="inget här"),
        Retrieved(doc_id=DOC, text="Det första beviset."),
        Retrieved(doc_id=DOC, text="Det andra beviset."),
        Retrieved(doc_id=DOC, text="Det första beviset igen."),
    ]
    return passages, evidence


def test_first_ranks_recall_mrr_and_ndcg():
    passages, evidence = ranking_example()
    ranks = first_ranks(passages, evidence)
    assert ranks == [2, 3]
    assert recall_at_k(ranks, 1) == 0.0
    assert recall_at_k(ranks, 2) == 0.5
    assert recall_at_k(ranks, 3) == 1.0
    assert reciprocal_rank(ranks, 10) == 0.5
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(ranks, 10) == pytest.approx(expected)


def test_items_not_found_or_beyond_k_score_nothing():
    assert first_ranks([Retrieved(doc_id=DOC, text="x")], [Evidence(doc_id=DOC, snippet="y")]) == [None]
    assert reciprocal_rank([None], 10) == 0.0
    assert reciprocal_rank([11], 10) == 0.0
    assert ndcg_at_k([None, 12], 10) == 0.0
    assert recall_at_k([4, None], 5) == 0.5


def test_ndcg_is_one_for_a_perfect_ranking_and_capped_when_one_passage_holds_two_items():
    assert ndcg_at_k([1, 2], 10) == pytest.approx(1.0)
    assert ndcg_at_k([1, 1], 10) == 1.0


def test_recall_and_ndcg_need_evidence():
    with pytest.raises(ValueError):
        recall_at_k([], 5)
    with pytest.raises(ValueError):
        ndcg_at_k([], 10)


DOCUMENT = "Inledning om annat. Här står själva beviset för svaret. Sist en annan mening."


def test_a_citation_in_a_chunk_holding_the_snippet_is_supported():
    evidence = [Evidence(doc_id=DOC, snippet="själva beviset för svaret")]
    chunk = Retrieved(doc_id=DOC, text=DOCUMENT)
    quote = DOCUMENT.index("Sist")
    assert citation_supported(chunk, (quote, len(DOCUMENT)), DOCUMENT, evidence)


def test_a_citation_overlapping_the_snippet_is_supported_even_when_no_chunk_holds_it_whole():
    evidence = [Evidence(doc_id=DOC, snippet="själva beviset för svaret")]
    chunk = Retrieved(doc_id=DOC, text="Här står själva beviset")  # the snippet straddles two chunks
    start = DOCUMENT.index("Här")
    assert citation_supported(chunk, (start, DOCUMENT.index(".", start) + 1), DOCUMENT, evidence)


def test_a_citation_elsewhere_or_in_another_document_is_not_supported():
    evidence = [Evidence(doc_id=DOC, snippet="själva beviset för svaret")]
    chunk = Retrieved(doc_id=DOC, text="Inledning om annat.")
    assert not citation_supported(chunk, (0, len("Inledning om annat.")), DOCUMENT, evidence)
    other = Retrieved(doc_id=OTHER, text=DOCUMENT)
    assert not citation_supported(other, (0, len(DOCUMENT)), DOCUMENT, evidence)


def test_set_counts_and_their_scores():
    counts = set_counts(["Farsta", "Bromma", "Älvsjö"], ["Farsta", "Skärholmen"])
    assert counts == Counts(tp=1, fp=2, fn=1)
    assert counts.precision == pytest.approx(1 / 3)
    assert counts.recall == 0.5
    assert counts.f1 == pytest.approx(0.4)
    assert Counts() + counts == counts


def test_empty_denominators_score_zero():
    assert Counts().precision == 0.0
    assert Counts().recall == 0.0
    assert Counts().f1 == 0.0


def test_abstention_counts_treat_an_abstention_as_predicting_unanswerable():
    counts = abstention_counts(abstained=[True, True, False, False], answerable=[False, True, False, True])
    assert counts == Counts(tp=1, fp=1, fn=1)
    with pytest.raises(ValueError):
        abstention_counts([True], [True, False])


def test_contains_facts_and_percentile():
    assert contains_facts("Drygt 1700  bostäder i perioden 2023–2025.", ["1700", "2023-2025"])
    assert not contains_facts("Drygt 1700 bostäder.", ["1700", "elva"])
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([], 95) == 0.0


def record(qid: str, kind: str, answerable: bool, supported: bool, citations: int = 0, correct: int = 0,
           districts: tuple[str, ...] = (), gold: tuple[str, ...] = (), facts: bool | None = None,
           why: str = "") -> AnswerRecord:
    return AnswerRecord(
        id=qid, type=kind, question=f"fråga {qid}", answerable=answerable, supported=supported,
        text="svar" if supported else "Jag hittar inget", asked="fact", citations=citations, citations_correct=correct,
        verbatim=True, districts=list(districts), gold_districts=list(gold), actors=[], gold_actors=[],
        states_facts=facts, right=not why, why=why, latency_ms=10.0,
    )


def test_answer_scores_pool_citations_districts_and_abstentions():
    records = [
        record("q001", "fact", True, True, citations=2, correct=2, facts=True),
        record("q002", "fact", True, False, facts=False),
        record("q003", "list", True, True, citations=3, correct=2, districts=("Farsta", "Bromma"), gold=("Farsta", "Älvsjö")),
        record("q004", "unanswerable", False, False),
        record("q005", "unanswerable", False, True, citations=1, correct=0),
    ]
    scores = answer_scores(records)
    assert scores.support_rate == pytest.approx(2 / 3)
    assert scores.citations == 6
    assert scores.citation_precision == pytest.approx(4 / 6)
    assert (scores.districts.tp, scores.districts.fp, scores.districts.fn) == (1, 1, 1)
    assert (scores.abstention.tp, scores.abstention.fp, scores.abstention.fn) == (1, 1, 1)
    assert scores.facts_rate == 0.5
    assert scores.by_type["unanswerable"].answered == 0.5


def system_result(ranks: dict[str, list[int | None]], recall_at_5: float, mrr: float, ndcg: float, name: str = "hybrid") -> SystemResult:
    overall = RetrievalScores(questions=len(ranks), recall=[recall_at_5] * 10, mrr=mrr, ndcg=ndcg)
    questions = [
        QuestionRetrieval(
            id=qid, type="list" if qid == "q003" else "fact", answerable=bool(r), ranks=r, latency_ms=1.0,
            top=[PassageBrief(doc_id=DOC, section="1 Inledning", text="inget här")],
        )
        for qid, r in ranks.items()
    ]
    return SystemResult(name=name, label=name, overall=overall, by_type={}, latency_ms_median=1, latency_ms_p95=1, questions=questions)


def test_targets_report_pass_fail_and_the_shortfall():
    answers = AnswerResult(scores=answer_scores([record("q001", "fact", True, True, citations=1, correct=1)]), records=[])
    hybrid = system_result({"q001": [1]}, recall_at_5=0.9, mrr=0.9, ndcg=0.8)
    by_name = {t.name: t for t in targets(hybrid, None, answers)}
    recall = by_name["Hybrid Recall@5"]
    assert (recall.passed, recall.shortfall) == (False, pytest.approx(0.05))
    assert by_name["Hybrid MRR@10"].passed is True
    assert by_name["Hybrid nDCG@10 minus LangChain nDCG@10"].measured is None
    baseline = system_result({"q001": [3]}, recall_at_5=0.5, mrr=0.3, ndcg=0.65, name="langchain")
    gap = {t.name: t for t in targets(hybrid, baseline, answers)}["Hybrid nDCG@10 minus LangChain nDCG@10"]
    assert gap.measured == pytest.approx(0.15) and gap.passed is True


def test_failures_list_missing_evidence_wrong_abstentions_and_wrong_districts():
    questions = [
        Question(id="q001", split="dev", type="fact", question="a", answerable=True, evidence=(Evidence(doc_id=DOC, snippet="s1"),)),
        Question(id="q002", split="dev", type="fact", question="b", answerable=True, evidence=(Evidence(doc_id=DOC, snippet="s2"),)),
        Question(
            id="q003", split="dev", type="list", question="c", answerable=True, districts=("Farsta",),
            evidence=(Evidence(doc_id=DOC, snippet="s3"),),
        ),
        Question(id="q004", split="dev", type="unanswerable", question="d", answerable=False, evidence=()),
    ]
    hybrid = system_result({"q001": [1], "q002": [7], "q003": [2], "q004": []}, 0.5, 0.5, 0.5)
    records = [
        record("q001", "fact", True, True),
        record("q002", "fact", True, False, why="abstained on an answerable question"),
        record("q003", "list", True, True, districts=("Bromma",), gold=("Farsta",), why="incomplete list (P 0.00, R 0.00)"),
        record("q004", "unanswerable", False, True, why="answered a question the documents cannot answer"),
    ]
    found = {f.id: f.reasons for f in failures(hybrid, AnswerResult(scores=answer_scores(records), records=records), questions)}
    assert set(found) == {"q002", "q003", "q004"}
    assert any("rank 7" in reason for reason in found["q002"])
    assert "abstained on an answerable question" in found["q002"]
    assert found["q003"] == ["incomplete list (P 0.00, R 0.00)", "wrong districts: missing Farsta; extra Bromma"]
    assert found["q004"] == ["answered a question the documents cannot answer"]


def test_gold_questions_load_by_split():
    dev, test, every = (load_questions(s) for s in (Split.dev, Split.test, Split.all))
    assert {q.split for q in dev} == {"dev"} and {q.split for q in test} == {"test"}
    assert len(dev) + len(test) == len(every) == 219
    assert all(len(q.evidence) == len(q.districts) for q in every if q.type == "list")
    assert all(len(q.evidence) == len(q.actors) for q in every if q.type == "actor_list")
    near_misses = [q for q in every if q.type == "near_miss"]
    assert near_misses and all(not q.answerable and q.missing for q in near_misses)
    assert any(q.evidence for q in near_misses)


def gold_question(kind: str, answerable: bool = True, evidence: int = 1, **fields) -> Question:
    items = tuple(Evidence(doc_id="norrmalm-naringsliv-2022", snippet=f"ett citat ur dokumentet nr {i}") for i in range(evidence))
    return Question(id="q999", split="dev", type=kind, question="Vad?", answerable=answerable, evidence=items, **fields)


def test_the_gold_model_holds_actors_and_missing_to_their_types():
    assert gold_question("actor_list", evidence=2, actors=("SBR", "trafikkontoret")).actors == ("SBR", "trafikkontoret")
    assert gold_question("near_miss", answerable=False, missing="2021").evidence
    assert not gold_question("near_miss", answerable=False, evidence=0, missing="belopp").evidence
    broken = [
        dict(kind="actor_list", evidence=2, actors=("SBR",)),  # one evidence item per actor
        dict(kind="actor_list"),  # actors required
        dict(kind="fact", actors=("SBR",)),  # actors only for actor_list
        dict(kind="near_miss", answerable=False),  # missing required
        dict(kind="near_miss", missing="2021"),  # never answerable
        dict(kind="fact", missing="2021"),  # missing only for near_miss
        dict(kind="unanswerable", answerable=False),  # unanswerable still has no evidence
    ]
    for fields in broken:
        with pytest.raises(ValueError):
            gold_question(**fields)


def test_a_broken_gold_file_names_its_line(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text('{"id": "q001", "split": "dev", "type": "fact", "question": "x", "answerable": true, "evidence": []}\n')
    with pytest.raises(GoldError, match=":1 "):
        load_questions(Split.all, path)
    with pytest.raises(GoldError):
        load_questions(Split.all, tmp_path / "missing.jsonl")


def test_system_names_expand_groups_and_always_include_hybrid():
    assert resolve_names(["bm25"]) == ["hybrid", "bm25"]
    assert resolve_names(["ours"]) == ["hybrid", "dense", "bm25"]
    assert "langchain" in resolve_names(None)
    with pytest.raises(UnknownSystem, match="Okänt system"):
        resolve_names(["nope"])
