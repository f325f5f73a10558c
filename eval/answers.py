"""Answer evaluation: ask every question, then judge each answer as a user would and score the split.

An answer has the right outcome when:

- an answerable question is answered (``supported``) and its text and quotes state every key fact
  (``answer_contains``; a question of several parts has key facts of each); without key facts, when a
  citation lies in a passage of its evidence;
- a list question (districts, or actors for ``actor_list``; an English list question by its districts)
  names them with an F1 of at least ``LIST_F1`` against the gold set;
- an unanswerable or near-miss question abstains (``supported`` is false; a near-miss answer may say
  what the documents do say instead, and must not present it as the answer).

Besides the outcome: citation precision (a citation counts when it lies in a passage holding the
question's evidence), whether each quote is the document's text at its offsets, abstention as a
classifier of the questions that must not be answered, and list P/R/F1 pooled over list questions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from indexer.storage import StoredIndex
from indexer.types import Answer, Citation
from service.checks import problems

from .gold import QUESTION_TYPES, Evidence, Question
from .metrics import (
    Counts,
    Retrieved,
    abstention_counts,
    actor_counts,
    citation_supported,
    contains_facts,
    percentile,
    set_counts,
)

WARM_UP = "Vad gör stadsdelsnämnden?"
# A list answer is right when its districts (or actors) reach this F1 against the gold set.
LIST_F1 = 0.8
# Types whose right outcome is to abstain.
ABSTAINING = ("unanswerable", "near_miss")

Ask = Callable[[str], Answer]


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
    asked: str
    citations: int
    citations_correct: int
    verbatim: bool
    districts: list[str]
    gold_districts: list[str]
    actors: list[str]
    gold_actors: list[str]
    states_facts: bool | None
    right: bool
    why: str
    latency_ms: float

    @property
    def list_counts(self) -> Counts | None:
        """Districts (or actors) against the gold set, for a list question."""
        if self.gold_actors:
            return actor_counts(self.actors, self.gold_actors)
        if self.gold_districts:
            return set_counts(self.districts, self.gold_districts)
        return None


class AnswerTypeScores(BaseModel):
    """Answer scores of one question type."""

    questions: int
    right: float
    answered: float
    citations: int
    citation_precision: float
    facts_rate: float | None
    list_f1: float | None


class AnswerScores(BaseModel):
    """Answer scores over the questions of a split.

    ``right_rate``: questions with the right outcome (see the module docstring). ``support_rate``:
    questions to be answered that were answered. ``citation_precision``: citations of all answers that lie
    in a passage of the question's evidence. ``verbatim_rate``: answers whose every quote is the document's
    text at its offsets. ``districts`` / ``actors``: pooled over list questions. ``abstention``: an
    abstention predicts "must not be answered" (unanswerable and near-miss questions).
    """

    questions: int
    answerable: int
    right_rate: float
    support_rate: float
    citations: int
    citation_precision: float
    verbatim_rate: float
    districts: CountScores
    actors: CountScores
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
    facts = states_facts(answer, question.answer_contains)
    districts = [finding.name for finding in answer.districts]
    actors = [finding.name for finding in answer.actors]
    record = AnswerRecord(
        id=question.id,
        type=question.type,
        question=question.question,
        answerable=question.answerable,
        supported=answer.supported,
        text=answer.text,
        asked=answer.asked,
        citations=len(answer.citations),
        citations_correct=correct,
        verbatim=not problems(answer, index),
        districts=districts,
        gold_districts=list(question.districts or ()),
        actors=actors,
        gold_actors=list(question.actors or ()),
        states_facts=facts,
        right=False,
        why="",
        latency_ms=latency_ms,
    )
    right, why = outcome(question, answer, record)
    return record.model_copy(update={"right": right, "why": why})


def outcome(question: Question, answer: Answer, record: AnswerRecord) -> tuple[bool, str]:
    """Whether the answer has the right outcome for its question, and if not, why not (in a few words)."""
    if not question.answerable:
        if not answer.supported:
            return True, ""
        return False, "answered a question the documents cannot answer" + (
            f" (they lack {question.missing})" if question.missing else ""
        )
    if not answer.supported:
        return False, "abstained on an answerable question"
    counts = record.list_counts
    if counts is not None:
        if counts.f1 >= LIST_F1:
            return True, ""
        return False, f"incomplete list (P {counts.precision:.2f}, R {counts.recall:.2f})"
    if question.answer_contains:
        if record.states_facts:
            return True, ""
        missing = [fact for fact in question.answer_contains if not contains_facts(_stated(answer), [fact])]
        return False, "key facts not stated: " + ", ".join(f"“{fact}”" for fact in missing)
    if record.citations_correct:
        return True, ""
    return False, "no citation supports the answer"


def states_facts(answer: Answer, facts: Sequence[str]) -> bool | None:
    """Whether the answer's text and quotes state every key fact; None for a question without key facts."""
    if not facts:
        return None
    return contains_facts(_stated(answer), facts)


def _stated(answer: Answer) -> str:
    return " ".join([answer.text, *(c.quote for c in answer.citations)])


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
    districts = sum((r.list_counts for r in records if r.gold_districts and not r.gold_actors), Counts())
    actors = sum((r.list_counts for r in records if r.gold_actors), Counts())
    with_facts = [r for r in answerable if r.states_facts is not None]
    latencies = [r.latency_ms for r in records]
    return AnswerScores(
        questions=len(records),
        answerable=len(answerable),
        right_rate=_share(r.right for r in records),
        support_rate=_share(r.supported for r in answerable),
        citations=citations,
        citation_precision=sum(r.citations_correct for r in records) / citations if citations else 0.0,
        verbatim_rate=_share(r.verbatim for r in records),
        districts=CountScores.of(districts),
        actors=CountScores.of(actors),
        abstention=CountScores.of(abstention_counts([not r.supported for r in records], [r.answerable for r in records])),
        facts_rate=_share(bool(r.states_facts) for r in with_facts),
        latency_ms_median=percentile(latencies, 50),
        latency_ms_p95=percentile(latencies, 95),
        by_type={kind: _type_scores(group) for kind in QUESTION_TYPES if (group := [r for r in records if r.type == kind])},
    )


def _type_scores(records: Sequence[AnswerRecord]) -> AnswerTypeScores:
    citations = sum(r.citations for r in records)
    with_facts = [r for r in records if r.states_facts is not None]
    lists = [c for r in records if (c := r.list_counts) is not None]
    return AnswerTypeScores(
        questions=len(records),
        right=_share(r.right for r in records),
        answered=_share(r.supported for r in records),
        citations=citations,
        citation_precision=sum(r.citations_correct for r in records) / citations if citations else 0.0,
        facts_rate=_share(bool(r.states_facts) for r in with_facts) if with_facts else None,
        list_f1=sum(lists, Counts()).f1 if lists else None,
    )


def _share(flags) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def evaluate_answers(ask: Ask, questions: Sequence[Question], index: StoredIndex) -> AnswerResult:
    """Ask every question (no district, no filters) through ``ask`` and judge the answers."""
    ask(WARM_UP)  # loads what the first question would otherwise pay for in its latency
    records: list[AnswerRecord] = []
    for question in questions:
        started = time.perf_counter()
        answer = ask(question.question)
        latency = (time.perf_counter() - started) * 1000
        records.append(judge(question, answer, index, latency))
    return AnswerResult(scores=answer_scores(records), records=records)
