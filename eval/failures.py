"""The failure lists of the report: every question the hybrid system or the research code got wrong,
with what it retrieved and what it answered."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from .answers import AnswerResult
from .gold import Evidence, Question
from .research import Asked, CoverageRecord, ResearchResult
from .retrieval import PassageBrief, SystemResult

TOP = 5


class Failure(BaseModel):
    """A question answered wrongly, why, what was retrieved for it and what the answer was."""

    id: str
    type: str
    question: str
    reasons: list[str]
    retrieved: list[PassageBrief]
    answer: str


def failures(hybrid: SystemResult, answers: AnswerResult, questions: Sequence[Question]) -> list[Failure]:
    """Every question where evidence is missing from the hybrid top 5 or the answer's outcome is wrong
    (the judge's reason: an abstention, an answer to what cannot be answered, an incomplete list, a key
    fact not stated)."""
    found: list[Failure] = []
    for question in questions:
        ranking = hybrid.question(question.id)
        answer = answers.record(question.id)
        if ranking is None or answer is None:
            continue
        reasons = _not_retrieved(question.evidence, ranking.ranks)
        if not answer.right:
            reasons.append(answer.why)
        if answer.gold_districts and not answer.gold_actors:
            reasons += _wrong_districts(answer.districts, answer.gold_districts)
        if reasons:
            found.append(
                Failure(
                    id=question.id,
                    type=question.type,
                    question=question.question,
                    reasons=reasons,
                    retrieved=ranking.top,
                    answer=answer.text,
                )
            )
    return found


def research_failures(result: ResearchResult, questions: Sequence[Question]) -> list[Failure]:
    """Every research question whose coverage rows differ from the gold districts or quote other text
    than their offsets hold; with evidence that is neither in the top 5 nor cited, or no evidence cited
    at all; that was not answered or misses a key fact; whose evidence the version comparison does not
    list; that used a passage outside its years; or whose development answer is not in time order."""
    evidence = {q.id: q.evidence for q in questions}
    found = [_coverage_failure(record) for record in result.coverage]
    for record in result.version:
        reasons = _asked_reasons(record.asked, evidence[record.asked.id])
        reasons += [
            f"not among the differences between the report's versions: {item.doc_id}: “{_shorten(item.snippet, 70)}”"
            for item, listed in zip(evidence[record.asked.id], record.differences)
            if listed is False
        ]
        found.append(_asked_failure(record.asked, reasons))
    for record in result.time:
        reasons = _asked_reasons(record.asked, evidence[record.asked.id])
        if record.outside:
            reasons.append(f"used documents outside {record.year_from}–{record.year_to}: {', '.join(record.outside)}")
        if record.ordered is False:
            reasons.append("the citations are not in time order")
        found.append(_asked_failure(record.asked, reasons))
    return [failure for failure in found if failure is not None]


def _coverage_failure(record: CoverageRecord) -> Failure | None:
    reasons = _wrong_districts(record.districts, record.gold_districts)
    if record.verbatim < record.quotes:
        differ = record.quotes - record.verbatim
        reasons.append(f"{differ} of {record.quotes} quotes differ from the document text at their offsets")
    if not reasons:
        return None
    answer = "evidence for " + (", ".join(record.districts) or "no district")
    return Failure(id=record.id, type="coverage", question=record.question, reasons=reasons, retrieved=[], answer=answer)


def _asked_reasons(asked: Asked, evidence: Sequence[Evidence]) -> list[str]:
    # A research answer may come from elsewhere than the search (a comparison of versions): evidence
    # missing from the top 5 is a failure only when the answer does not cite it either.
    uncited = [item for item, cited in zip(evidence, asked.cited) if not cited]
    ranks = [rank for rank, cited in zip(asked.ranks, asked.cited) if not cited]
    reasons = [f"{reason}, and no citation holds it" for reason in _not_retrieved(uncited, ranks)]
    if not asked.supported:
        reasons.append("abstained")
    elif not any(asked.cited):
        reasons.append("no citation holds any of the evidence")
    if asked.states_facts is False:
        reasons.append("the answer does not state every key fact")
    return reasons


def _asked_failure(asked: Asked, reasons: list[str]) -> Failure | None:
    if not reasons:
        return None
    return Failure(
        id=asked.id, type=asked.type, question=asked.question, reasons=reasons, retrieved=asked.top, answer=asked.text
    )


def _not_retrieved(evidence: Sequence[Evidence], ranks: Sequence[int | None]) -> list[str]:
    reasons = []
    for item, rank in zip(evidence, ranks):
        if rank is None or rank > TOP:
            where = f"rank {rank}" if rank else "not in the top 10"
            reasons.append(f"evidence not in the top {TOP} ({where}): {item.doc_id}: “{_shorten(item.snippet, 70)}”")
    return reasons


def _wrong_districts(predicted: Sequence[str], gold: Sequence[str]) -> list[str]:
    missing = [d for d in gold if d not in predicted]
    extra = [d for d in predicted if d not in gold]
    if not missing and not extra:
        return []
    return ["wrong districts: missing " + (", ".join(missing) or "none") + "; extra " + (", ".join(extra) or "none")]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
