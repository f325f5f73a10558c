"""Research questions (``eval/gold/research.jsonl``), each asked of the research code the service runs:

- ``coverage``: the topic-by-district table (``service.coverage.coverage``), its district rows against
  the gold districts, and its quotes against the documents and the gold evidence;
- ``version``: the question as ``POST /api/ask`` answers it (``service.ask.Answerer.ask``: a question about
  what changed in one report compares its versions), and whether the
  comparison of the report's versions (``service.versions.whats_new``) holds the gold evidence;
- ``time``: the answerer and the searcher with the question's ``year_from``/``year_to``, whether every
  passage they use lies in those years, and for "hur har ... utvecklats" questions whether the answer's
  evidence is in time order (``service.timeline.period_start``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from indexer.filtering import document_years
from indexer.storage import StoredIndex
from indexer.types import Answer, Passage
from service.coverage import EVIDENCE, Coverage, coverage
from service.engine import Engine
from service.search import Filters, SearchMode
from service.timeline import period_start
from service.versions import WhatsNew, versions, whats_new

from .answers import CountScores, citation_supports, states_facts
from .gold import ResearchQuestion
from .metrics import (
    Counts,
    first_ranks,
    in_order,
    mean,
    recall_at_k,
    set_counts,
    snippet_overlaps,
    years_overlap,
)
from .retrieval import DEPTH, PassageBrief
from .systems import retrieved

# A question about how something developed over time, whose evidence should come in time order.
DEVELOPMENT = re.compile(r"\bhur har\b.*\butvecklats\b", re.IGNORECASE)


class CoverageRecord(BaseModel):
    """One coverage table judged: its district rows with evidence, and its quotes."""

    id: str
    split: str
    question: str
    districts: list[str]
    gold_districts: list[str]
    gold_cited: list[str]
    quotes: int
    verbatim: int

    @property
    def counts(self) -> Counts:
        """The district rows with evidence against the gold districts."""
        return set_counts(self.districts, self.gold_districts)


class Asked(BaseModel):
    """One question answered and retrieved: the first rank of each evidence item in the hybrid top 10
    (with the question's years), whether some citation of the answer supports each item, and whether
    the answer states the key facts."""

    id: str
    type: str
    split: str
    question: str
    supported: bool
    text: str
    ranks: list[int | None]
    cited: list[bool]
    states_facts: bool | None
    top: list[PassageBrief]


class VersionRecord(BaseModel):
    """A version question; ``differences[i]`` says whether evidence item ``i`` lies in a sentence the
    comparison of its report's last two versions lists as added (later version) or removed (earlier
    version), None when its document has a single version."""

    asked: Asked
    differences: list[bool | None]

    @property
    def split(self) -> str:
        """The question's split."""
        return self.asked.split


class TimeRecord(BaseModel):
    """A time question; ``outside`` are the documents of retrieved or cited passages whose years miss
    the question's; ``ordered`` whether a development question's citations come in time order (None for
    other questions and for answers with fewer than two citations)."""

    asked: Asked
    year_from: int
    year_to: int
    outside: list[str]
    ordered: bool | None

    @property
    def split(self) -> str:
        """The question's split."""
        return self.asked.split


class CoverageScores(BaseModel):
    """Coverage tables: district rows with evidence against the gold districts, pooled over questions
    (``districts``) and as the mean of each question's F1; ``gold_cited``: gold districts whose row cites
    a passage holding that district's gold evidence; ``verbatim``: quotes that are exactly the document
    text at their offsets."""

    questions: int
    districts: CountScores
    mean_f1: float
    gold_cited: float
    quotes: int
    verbatim: float


class AskedScores(BaseModel):
    """Answered questions: ``answered`` with ``supported=true``; Recall@5 and @10 of the hybrid search
    (with the question's years); ``evidence_cited``: evidence items some citation supports, averaged over
    questions; ``facts_rate``: questions with key facts whose answer states all of them (None without)."""

    questions: int
    answered: float
    recall_at_5: float
    recall_at_10: float
    evidence_cited: float
    facts_rate: float | None


class VersionScores(BaseModel):
    """Version questions; ``differences_found``: evidence items of multi-version reports that the
    comparison lists as added or removed, pooled over the ``differences`` such items (None without any)."""

    answers: AskedScores
    differences: int
    differences_found: float | None


class TimeScores(BaseModel):
    """Time questions; ``within_years``: questions whose every retrieved and cited passage lies in their
    years; ``ordered``: of the ``development`` questions with two or more citations, those whose
    citations come in time order (None without any)."""

    answers: AskedScores
    within_years: float
    development: int
    ordered: float | None


class ResearchScores(BaseModel):
    """The scores of each research type over one split (None for a type without questions)."""

    coverage: CoverageScores | None
    version: VersionScores | None
    time: TimeScores | None


class ResearchResult(BaseModel):
    """Every research question judged, and the scores per split (``all`` too when there are several)."""

    coverage: list[CoverageRecord]
    version: list[VersionRecord]
    time: list[TimeRecord]
    by_split: dict[str, ResearchScores]

    @property
    def questions(self) -> int:
        """How many research questions were judged."""
        return len(self.coverage) + len(self.version) + len(self.time)


# Judging one question


def judge_coverage(question: ResearchQuestion, table: Coverage, index: StoredIndex) -> CoverageRecord:
    """The district rows of ``table`` against the gold districts, and its quotes against the documents."""
    rows = {row.name: row for row in table.rows if row.kind == "district"}
    gold = list(question.districts or ())
    cited = [
        name
        for name, item in zip(gold, question.evidence)
        if name in rows and any(citation_supports(e.citation, [item], index) for e in rows[name].evidence)
    ]
    quotes = table.citations
    return CoverageRecord(
        id=question.id,
        split=question.split,
        question=question.question,
        districts=[name for name, row in rows.items() if row.status == EVIDENCE],
        gold_districts=gold,
        gold_cited=cited,
        quotes=len(quotes),
        verbatim=sum(index.documents[c.doc_id].text[c.start : c.end] == c.quote for c in quotes),
    )


def asked(question: ResearchQuestion, answer: Answer, passages: Sequence[Passage], index: StoredIndex) -> Asked:
    """``answer`` and the ``passages`` the search retrieved, judged against the question's evidence."""
    found = [retrieved(p) for p in passages]
    return Asked(
        id=question.id,
        type=question.type,
        split=question.split,
        question=question.question,
        supported=answer.supported,
        text=answer.text,
        ranks=first_ranks(found, question.evidence),
        cited=[any(citation_supports(c, [item], index) for c in answer.citations) for item in question.evidence],
        states_facts=states_facts(answer, question.answer_contains),
        top=[PassageBrief.of(p) for p in found[:3]],
    )


def differences_found(
    question: ResearchQuestion, index: StoredIndex, compared: Callable[[str], WhatsNew]
) -> list[bool | None]:
    """For each evidence item, whether the comparison of its report's last two versions lists it as
    added (an item of the later version) or removed (of the earlier); None for a single-version document."""
    found: list[bool | None] = []
    for item in question.evidence:
        if item.doc_id not in index.documents or len(versions(index.documents.infos, item.doc_id)) < 2:
            found.append(None)
            continue
        new = compared(item.doc_id)
        if item.doc_id == new.latest:
            sentences = new.comparison.added
        elif item.doc_id == new.previous:
            sentences = tuple(ref for section in new.comparison.sections for ref in section.removed)
        else:
            sentences = ()
        spans = [(ref.start, ref.end) for ref in sentences]
        found.append(snippet_overlaps(index.documents[item.doc_id].text, item.snippet, spans))
    return found


def outside_years(question: ResearchQuestion, answer: Answer, passages: Sequence[Passage], index: StoredIndex) -> list[str]:
    """Documents of retrieved or cited passages whose years miss the question's ``year_from``..``year_to``."""
    used = {p.chunk.doc_id for p in passages} | {c.doc_id for c in answer.citations}
    years = (question.year_from, question.year_to)
    return sorted(doc_id for doc_id in used if not years_overlap(document_years(index.documents.infos[doc_id]), *years))


def time_ordered(question: ResearchQuestion, answer: Answer, index: StoredIndex) -> bool | None:
    """Whether a development question's citations come in the order of their documents' periods."""
    if not DEVELOPMENT.search(question.question) or len(answer.citations) < 2:
        return None
    return in_order([period_start(index.documents.infos[c.doc_id]) for c in answer.citations])


# Scores


def coverage_scores(records: Sequence[CoverageRecord]) -> CoverageScores:
    """Score judged coverage tables."""
    gold = sum(len(r.gold_districts) for r in records)
    quotes = sum(r.quotes for r in records)
    return CoverageScores(
        questions=len(records),
        districts=CountScores.of(sum((r.counts for r in records), Counts())),
        mean_f1=mean([r.counts.f1 for r in records]),
        gold_cited=sum(len(r.gold_cited) for r in records) / gold if gold else 0.0,
        quotes=quotes,
        verbatim=sum(r.verbatim for r in records) / quotes if quotes else 0.0,
    )


def asked_scores(records: Sequence[Asked]) -> AskedScores:
    """Score judged answers."""
    with_facts = [r for r in records if r.states_facts is not None]
    return AskedScores(
        questions=len(records),
        answered=mean([float(r.supported) for r in records]),
        recall_at_5=mean([recall_at_k(r.ranks, 5) for r in records]),
        recall_at_10=mean([recall_at_k(r.ranks, DEPTH) for r in records]),
        evidence_cited=mean([mean([float(c) for c in r.cited]) for r in records]),
        facts_rate=mean([float(bool(r.states_facts)) for r in with_facts]) if with_facts else None,
    )


def version_scores(records: Sequence[VersionRecord]) -> VersionScores:
    """Score judged version questions."""
    compared = [found for r in records for found in r.differences if found is not None]
    return VersionScores(
        answers=asked_scores([r.asked for r in records]),
        differences=len(compared),
        differences_found=mean([float(found) for found in compared]) if compared else None,
    )


def time_scores(records: Sequence[TimeRecord]) -> TimeScores:
    """Score judged time questions."""
    development = [r.ordered for r in records if r.ordered is not None]
    return TimeScores(
        answers=asked_scores([r.asked for r in records]),
        within_years=mean([float(not r.outside) for r in records]),
        development=len(development),
        ordered=mean([float(ordered) for ordered in development]) if development else None,
    )


def research_scores(
    coverage_records: Sequence[CoverageRecord], version_records: Sequence[VersionRecord], time_records: Sequence[TimeRecord]
) -> ResearchScores:
    """The scores of each type (None for a type without records)."""
    return ResearchScores(
        coverage=coverage_scores(coverage_records) if coverage_records else None,
        version=version_scores(version_records) if version_records else None,
        time=time_scores(time_records) if time_records else None,
    )


def by_split(
    coverage_records: Sequence[CoverageRecord], version_records: Sequence[VersionRecord], time_records: Sequence[TimeRecord]
) -> dict[str, ResearchScores]:
    """The scores per split, dev before test, with ``all`` when there is more than one split."""
    splits = sorted({r.split for r in [*coverage_records, *version_records, *time_records]})
    scores = {
        split: research_scores(
            [r for r in coverage_records if r.split == split],
            [r for r in version_records if r.split == split],
            [r for r in time_records if r.split == split],
        )
        for split in splits
    }
    if len(splits) > 1:
        scores["all"] = research_scores(coverage_records, version_records, time_records)
    return scores


# The run


def evaluate_research(engine: Engine, questions: Sequence[ResearchQuestion]) -> ResearchResult:
    """Ask every research question of the code the service runs for its kind, and score the answers."""
    index = engine.index
    comparisons: dict[tuple[str, ...], WhatsNew] = {}

    def compared(doc_id: str) -> WhatsNew:
        # One comparison per report: whats_new compares the same last two versions for every member.
        family = tuple(d.doc_id for d in versions(index.documents.infos, doc_id))
        if family not in comparisons:
            comparisons[family] = whats_new(engine, doc_id)
        return comparisons[family]

    coverage_records: list[CoverageRecord] = []
    version_records: list[VersionRecord] = []
    time_records: list[TimeRecord] = []
    for question in questions:
        filters = Filters(year_from=question.year_from, year_to=question.year_to)
        if question.type == "coverage":
            table = coverage(engine, question.question, question.year_from, question.year_to)
            coverage_records.append(judge_coverage(question, table, index))
            continue
        passages = engine.searcher.search(question.question, DEPTH, SearchMode.hybrid, filters)
        if question.type == "version":
            answer = engine.answerer.ask(question.question)
            differences = differences_found(question, index, compared)
            version_records.append(VersionRecord(asked=asked(question, answer, passages, index), differences=differences))
        else:
            answer = engine.answerer.ask(question.question, filters=filters)
            time_records.append(
                TimeRecord(
                    asked=asked(question, answer, passages, index),
                    year_from=question.year_from,
                    year_to=question.year_to,
                    outside=outside_years(question, answer, passages, index),
                    ordered=time_ordered(question, answer, index),
                )
            )
    return ResearchResult(
        coverage=coverage_records,
        version=version_records,
        time=time_records,
        by_split=by_split(coverage_records, version_records, time_records),
    )
