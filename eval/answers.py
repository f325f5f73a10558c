"""Answer evaluation: ask every question, then score support, citations, districts and abstention."""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel

from indexer.storage import StoredIndex
from indexer.types import Answer, Citation
from service.answer import Answerer

from .gold import QUESTION_TYPES, Evidence, Question
from .metrics import Counts, Retrieved, abstention_counts, citation_supported, contains_facts, percentile, set_counts


WARM_UP = "Vad gör stadsdelsnämnden?"


class CountScores(BaseModel):
    """Precision, recall and F1 with the counts they come from."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, counts: Counts) -> CountScores:
        """The scores of ``counts``."""
        return cls(tp=counts.tp, fp=counts.fp, fn=counts.fn, precision=counts.precision, recall=counts.recall, f1=counts.f1)


class AnswerRecord(BaseModel):
    """What the answerer said to one question, and how it was judged."""

    id: str
    type: str
    question: str
    answerable: bool
    supported: bool
    text: str
    citations: int
    citations_correct: int
    districts: list[str]
    gold_districts: list[str]
    states_facts: bool | None
    latency_ms: float


class AnswerTypeScores(BaseModel):
    """Answer scores of one question type."""

    questions: int
    answered: float
    citations: int
    citation_precision: float
    facts_rate: float | None


class AnswerScores(BaseModel):
    """Answer scores over the questions of a split.

    ``support_rate``: answerable questions answered with ``supported=true``. ``citation_precision``:
    citations (of all answers, unanswerable questions included) that lie in a passage relevant to the
    question's gold evidence. ``districts``: pooled over list questions. ``abstention``: an abstention
    (``supported=false``) predicts "unanswerable". ``facts_rate``: answerable questions with key facts
    whose answer text and quotes state all of them.
    """

    questions: int
    answerable: int
    support_rate: float
    citations: int
    citation_precision: float
    districts: CountScores
    abstention: CountScores
    facts_rate: float
    latency_ms_median: float
    latency_ms_p95: float
    by_type: dict[str, AnswerTypeScores]


class AnswerResult(BaseModel):
    """The answer scores and every answer."""

    scores: AnswerScores
    records: list[AnswerRecord]

    def record(self, question_id: str) -> AnswerRecord | None:
        """The answer to one question."""
        return next((r for r in self.records if r.id == question_id), None)


def judge(question: Question, answer: Answer, index: StoredIndex, latency_ms: float) -> AnswerRecord:
    """Judge one answer against the gold question."""
    correct = sum(1 for citation in answer.citations if citation_supports(citation, question.evidence, index))
    return AnswerRecord(
        id=question.id,
        type=question.type,
        question=question.question,
        answerable=question.answerable,
        supported=answer.supported,
        text=answer.text,
        citations=len(answer.citations),
        citations_correct=correct,
        districts=[finding.name for finding in answer.districts],
        gold_districts=list(question.districts or ()),
        states_facts=states_facts(answer, question.answer_contains),
        latency_ms=latency_ms,
    )


def states_facts(answer: Answer, facts: Sequence[str]) -> bool | None:
    """Whether the answer's text and quotes state every key fact; None for a question without key facts."""
    if not facts:
        return None
    return contains_facts(" ".join([answer.text, *(c.quote for c in answer.citations)]), facts)


def citation_supports(citation: Citation, evidence: Sequence[Evidence], index: StoredIndex) -> bool:
    """Whether ``citation`` lies in a passage relevant to one of the ``evidence`` items
    (:func:`eval.metrics.citation_supported` on the chunk it cites, with that chunk's near-duplicates)."""
    position = index.chunk_position(citation.chunk_id)
    if position is None or citation.doc_id not in index.documents:
        return False
    chunk = index.chunks[position]
    # The near-duplicate documents of the cited chunk, as the searcher reports them in ``also_in``.
    also_in = tuple(sorted({index.chunks[d].doc_id for d in index.duplicates.get(position, [])} - {chunk.doc_id}))
    cited = Retrieved(doc_id=chunk.doc_id, text=chunk.text, section=chunk.section, also_in=also_in)
    document = index.documents[citation.doc_id].text
    return citation_supported(cited, (citation.start, citation.end), document, evidence)


def answer_scores(records: Sequence[AnswerRecord]) -> AnswerScores:
    """Score a set of judged answers."""
    answerable = [r for r in records if r.answerable]
    citations = sum(r.citations for r in records)
    districts = sum((set_counts(r.districts, r.gold_districts) for r in records if r.type == "list"), Counts())
    with_facts = [r for r in answerable if r.states_facts is not None]
    latencies = [r.latency_ms for r in records]
    return AnswerScores(
        questions=len(records),
        answerable=len(answerable),
        support_rate=sum(r.supported for r in answerable) / len(answerable) if answerable else 0.0,
        citations=citations,
        citation_precision=sum(r.citations_correct for r in records) / citations if citations else 0.0,
        districts=CountScores.of(districts),
        abstention=CountScores.of(abstention_counts([not r.supported for r in records], [r.answerable for r in records])),
        facts_rate=sum(bool(r.states_facts) for r in with_facts) / len(with_facts) if with_facts else 0.0,
        latency_ms_median=percentile(latencies, 50),
        latency_ms_p95=percentile(latencies, 95),
        by_type={kind: _type_scores(group) for kind in QUESTION_TYPES if (group := [r for r in records if r.type == kind])},
    )


def _type_scores(records: Sequence[AnswerRecord]) -> AnswerTypeScores:
    citations = sum(r.citations for r in records)
    with_facts = [r for r in records if r.states_facts is not None]
    return AnswerTypeScores(
        questions=len(records),
        answered=sum(r.supported for r in records) / len(records),
        citations=citations,
        citation_precision=sum(r.citations_correct for r in records) / citations if citations else 0.0,
        facts_rate=sum(bool(r.states_facts) for r in with_facts) / len(with_facts) if with_facts else None,
    )


def evaluate_answers(answerer: Answerer, questions: Sequence[Question]) -> AnswerResult:
    """Ask every question (no district, no filters) and judge the answers."""
    index = answerer.searcher.index
    answerer.ask(WARM_UP)  # loads what the first question would otherwise pay for in its latency
    records: list[AnswerRecord] = []
    for question in questions:
        started = time.perf_counter()
        answer = answerer.ask(question.question)
        latency = (time.perf_counter() - started) * 1000
        records.append(judge(question, answer, index, latency))
    return AnswerResult(scores=answer_scores(records), records=records)
