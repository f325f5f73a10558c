"""Retrieval evaluation: run one system over the questions and score its rankings."""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel

from .gold import QUESTION_TYPES, Question
from .metrics import Retrieved, first_ranks, mean, ndcg_at_k, percentile, recall_at_k, reciprocal_rank
from .systems import RetrievalSystem

DEPTH = 10
PREVIEW_CHARS = 80
# A query that embeds once before timing starts, so that the first question does not pay for warm-up.
WARM_UP = "stadsdelsnämnd"


class PassageBrief(BaseModel):
    """A retrieved passage in a failure list: where it is from and how it begins."""

    doc_id: str
    section: str
    text: str
    also_in: list[str] = []

    @classmethod
    def of(cls, passage: Retrieved) -> PassageBrief:
        """The brief of a retrieved passage: its text on one line, cut to ``PREVIEW_CHARS``."""
        return cls(doc_id=passage.doc_id, section=passage.section, text=" ".join(passage.text.split())[:PREVIEW_CHARS], also_in=list(passage.also_in))


class QuestionRetrieval(BaseModel):
    """One question's ranking: the first rank of each evidence item (None when not in the top 10)."""

    id: str
    type: str
    answerable: bool
    ranks: list[int | None]
    top: list[PassageBrief]
    latency_ms: float

    def recall_at(self, k: int) -> float:
        """Share of this question's evidence found in the top ``k``."""
        return recall_at_k(self.ranks, k)


class RetrievalScores(BaseModel):
    """Means over answerable questions; ``recall[k - 1]`` is Recall@k for k = 1..10."""

    questions: int
    recall: list[float]
    mrr: float
    ndcg: float

    def recall_at(self, k: int) -> float:
        """Mean Recall@k."""
        return self.recall[k - 1]


class SystemResult(BaseModel):
    """One system's scores overall and per question type, its latency and its rankings."""

    name: str
    label: str
    overall: RetrievalScores
    by_type: dict[str, RetrievalScores]
    latency_ms_median: float
    latency_ms_p95: float
    questions: list[QuestionRetrieval]

    def question(self, question_id: str) -> QuestionRetrieval | None:
        """The ranking of one question."""
        return next((q for q in self.questions if q.id == question_id), None)


def scores(records: Sequence[QuestionRetrieval]) -> RetrievalScores:
    """Mean Recall@1..10, MRR@10 and nDCG@10 over the answerable questions among ``records``."""
    answerable = [r for r in records if r.answerable]
    return RetrievalScores(
        questions=len(answerable),
        recall=[mean([r.recall_at(k) for r in answerable]) for k in range(1, DEPTH + 1)],
        mrr=mean([reciprocal_rank(r.ranks, DEPTH) for r in answerable]),
        ndcg=mean([ndcg_at_k(r.ranks, DEPTH) for r in answerable]),
    )


def evaluate_retrieval(system: RetrievalSystem, questions: Sequence[Question]) -> SystemResult:
    """Retrieve the top 10 for every question (unanswerable ones too, for the failure list) and score them."""
    system.retrieve(WARM_UP, DEPTH)
    records: list[QuestionRetrieval] = []
    for question in questions:
        started = time.perf_counter()
        passages = system.retrieve(question.question, DEPTH)
        latency = (time.perf_counter() - started) * 1000
        records.append(
            QuestionRetrieval(
                id=question.id,
                type=question.type,
                answerable=question.answerable,
                ranks=first_ranks(passages, question.evidence),
                top=[PassageBrief.of(p) for p in passages[:3]],
                latency_ms=latency,
            )
        )
    latencies = [r.latency_ms for r in records]
    by_type = {
        kind: scores(group)
        for kind in QUESTION_TYPES
        if (group := [r for r in records if r.type == kind and r.answerable])
    }
    return SystemResult(
        name=system.name,
        label=system.label,
        overall=scores(records),
        by_type=by_type,
        latency_ms_median=percentile(latencies, 50),
        latency_ms_p95=percentile(latencies, 95),
        questions=records,
    )
