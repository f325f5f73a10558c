"""Topic coverage: one topic across every district of the gazetteer and each city-wide organisation.

Each row says whether the documents give evidence that the district (or organisation) works with the
topic, how (har / kommer att / planerar / nämner), with its strongest quotes, and the best score seen
even when it stays under the threshold, so that a missing district shows how close it came.

Sentences are scored and attributed exactly as list answers are (by the answerer's evidence scorer,
``service.evidence``, and ``service.attribution``): the share of the topic's weighted terms a sentence holds, and the district of its
section, its document or the districts it names. A sentence is evidence when its score reaches the threshold or when it holds the topic's most
specific word (its anchor), as in list answers. Organisations without a district of their own
(Socialförvaltningen) get the sentences of their own documents that no district heading claims, and
sentences elsewhere that name them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from indexer.swedish import WeightedTerm
from indexer.types import Citation, Involvement, Passage

from .analysis import LIST_WORDS
from .attribution import credited, involvement, own_districts, same_text, strongest
from .engine import Engine
from .evidence import Candidate
from .search import Filters, QueryError, SearchMode

EVIDENCE = "evidence"
NO_EVIDENCE = "no evidence found"
Status = Literal["evidence", "no evidence found"]
Kind = Literal["district", "organisation"]
# Passages taken per district and per organisation, from each of the hybrid and the BM25 search.
ROW_PASSAGES = 5


@dataclass(frozen=True, slots=True)
class Evidence:
    """A quote supporting one row: the citation, its sentence score and the involvement it shows.

    ``anchored`` when the sentence holds the topic's most specific word, which makes it evidence even
    under the threshold.
    """

    citation: Citation
    score: float
    involvement: Involvement
    anchored: bool = False


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One district or organisation: its status, strongest involvement, quotes and best score seen."""

    name: str
    kind: Kind
    status: Status
    involvement: Involvement | None
    evidence: tuple[Evidence, ...]
    best_score: float


@dataclass(frozen=True, slots=True)
class Coverage:
    """A topic-by-district overview; ``rows`` hold every district, then the city-wide organisations."""

    query: str
    threshold: float
    rows: tuple[CoverageRow, ...]
    year_from: int | None = None
    year_to: int | None = None

    @property
    def covered(self) -> tuple[str, ...]:
        """Names of the rows with evidence, in row order."""
        return tuple(row.name for row in self.rows if row.status == EVIDENCE)

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Every distinct citation of the table, by id."""
        seen: dict[int, Citation] = {}
        for row in self.rows:
            for item in row.evidence:
                seen.setdefault(item.citation.id, item.citation)
        return tuple(seen[i] for i in sorted(seen))


class GoldListQuestion(Protocol):
    """What calibration needs of a gold list question (``eval.gold.Question`` has it)."""

    question: str
    districts: Sequence[str] | None


@dataclass(frozen=True, slots=True)
class _Finding:
    """A sentence attributed to a row; ``anchored`` when it holds the topic's most specific word."""

    sentence: Candidate
    involvement: Involvement
    anchored: bool

    def qualifies(self, threshold: float) -> bool:
        return self.anchored or self.sentence.coverage >= threshold


# One calibration question: each district's findings, and the gold districts.
_Scored = tuple[dict[str, list[_Finding]], set[str]]


@dataclass(frozen=True, slots=True)
class Calibration:
    """The chosen threshold and the district scores it gives, pooled over the questions."""

    threshold: float
    f1: float
    precision: float
    recall: float
    questions: int


def coverage(
    engine: Engine,
    query: str,
    year_from: int | None = None,
    year_to: int | None = None,
    max_passages: int = 3,
    threshold: float | None = None,
) -> Coverage:
    """Every district (and city-wide organisation) with its evidence for ``query``, or "no evidence found".

    Raises ``QueryError`` (Swedish message) for an empty or over-long query, one with no topic words, a
    threshold outside 0..1, or years in the wrong order. ``threshold`` defaults to the settings'
    ``coverage_threshold``.
    """
    if threshold is None:
        threshold = engine.settings.coverage_threshold
    if max_passages < 1:
        raise QueryError("Antalet citat per rad måste vara minst 1.")
    if not 0 <= threshold <= 1:
        raise QueryError("Tröskeln måste vara mellan 0 och 1.")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise QueryError(f"Startåret {year_from} är senare än slutåret {year_to}.")
    query = engine.searcher.clean_query(query)
    organisations = city_organisations(engine)
    found = _findings(engine, query, Filters(year_from=year_from, year_to=year_to), organisations)
    numbering: dict[tuple[str, int, int], Citation] = {}
    rows = [
        _row(engine, name, "district", found.get(name, []), threshold, max_passages, numbering)
        for name in engine.gazetteer.names
    ] + [
        _row(engine, name, "organisation", found.get(name, []), threshold, max_passages, numbering)
        for name in organisations
    ]
    return Coverage(query=query, threshold=threshold, rows=tuple(rows), year_from=year_from, year_to=year_to)


def topic_terms(engine: Engine, query: str) -> list[WeightedTerm]:
    """The query's weighted terms without the words that name what is listed ("stadsdelar", "arbetar")."""
    terms = [term for term in engine.index.lexical.query_terms(query) if term.origin not in LIST_WORDS]
    if not terms:
        raise QueryError("Frågan saknar ett ämne att söka efter, till exempel ”medborgarvärdar”.")
    return terms


def city_organisations(engine: Engine) -> tuple[str, ...]:
    """Organisations of indexed documents that belong to no district (city-wide offices), sorted."""
    names = {
        document.organisation
        for document in engine.index.documents.infos.values()
        if document.organisation and not engine.gazetteer.find(document.organisation, ignore_case=True)
    }
    return tuple(sorted(names))


def calibrate_threshold(engine: Engine, questions: Iterable[GoldListQuestion]) -> Calibration:
    """The threshold that maximises district F1 pooled over all rows of ``questions`` (gold list questions).

    A threshold ``t`` gives a row evidence when its best score is at least ``t`` (or a sentence holds the
    anchor word, whatever ``t``), so only the rows' distinct best scores matter: each is tried, and the
    chosen threshold is the middle of the widest range of thresholds that all give the best F1, for a
    margin on both sides.
    """
    scored: list[_Scored] = []
    for question in questions:
        if not question.districts:
            continue
        query = engine.searcher.clean_query(question.question)
        found = _findings(engine, query, Filters(), city_organisations(engine))
        scored.append(({name: found.get(name, []) for name in engine.gazetteer.names}, set(question.districts)))
    if not scored:
        raise ValueError("calibration needs list questions with gold districts")
    candidates = sorted({max(f.sentence.coverage for f in row) for found, _ in scored for row in found.values() if row})
    if not candidates:
        raise ValueError("no sentence matches the questions' topics: nothing to calibrate on")
    lower, upper = best_threshold_range([(t, _pooled(scored, t)[0]) for t in candidates])
    threshold = round((lower + upper) / 2, 2)
    if not lower < threshold <= upper:
        threshold = upper
    f1, precision, recall = _pooled(scored, threshold)
    return Calibration(threshold=threshold, f1=f1, precision=precision, recall=recall, questions=len(scored))


def best_threshold_range(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The widest range ``(lower, upper]`` of thresholds that all give the best F1.

    ``points`` are (candidate threshold, F1) in increasing threshold order; every threshold from just
    above one candidate up to the next gives that next candidate's F1, so a run of neighbouring best
    candidates spans from the candidate before the run (0 for the first) to the run's last candidate.
    """
    best = max(f1 for _, f1 in points)
    runs: list[tuple[float, float]] = []
    for i, (threshold, f1) in enumerate(points):
        if f1 != best:
            continue
        if i and points[i - 1][1] == best:
            runs[-1] = (runs[-1][0], threshold)
        else:
            runs.append((points[i - 1][0] if i else 0.0, threshold))
    return max(runs, key=lambda run: (run[1] - run[0], run[1]))


def _pooled(scored: list[_Scored], threshold: float) -> tuple[float, float, float]:
    """F1, precision and recall of the rows with evidence at ``threshold``, counts pooled over questions."""
    tp = fp = fn = 0
    for found, gold in scored:
        predicted = {name for name, row in found.items() if any(f.qualifies(threshold) for f in row)}
        tp += len(predicted & gold)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def _findings(
    engine: Engine, query: str, filters: Filters, organisations: tuple[str, ...]
) -> dict[str, list[_Finding]]:
    """The sentences of the candidate passages that bear on the topic, by the row they are attributed to."""
    topic = topic_terms(engine, query)
    anchor = engine.answerer.evidence.anchor(topic)
    found: dict[str, list[_Finding]] = {}
    for sentence in engine.answerer.evidence.sentences(_candidates(engine, query, filters, organisations), topic):
        for name, kind in _attribute(engine, sentence, organisations):
            found.setdefault(name, []).append(_Finding(sentence, kind, anchor in sentence.origins))
    return found


def _candidates(engine: Engine, query: str, base: Filters, organisations: tuple[str, ...]) -> list[Passage]:
    """Passages from a search over everything plus one per district and per organisation's documents,
    each hybrid and BM25, so that no row goes unseen because other districts fill the top ranks."""
    searches = [(base, engine.settings.list_passages)]
    searches += [(Filters((name,), (), base.year_from, base.year_to), ROW_PASSAGES) for name in engine.gazetteer.names]
    for organisation in organisations:
        doc_ids = tuple(sorted(d.doc_id for d in engine.index.documents.infos.values() if d.organisation == organisation))
        searches.append((Filters((), doc_ids, base.year_from, base.year_to), ROW_PASSAGES))
    seen: dict[str, Passage] = {}
    for filters, k in searches:
        for mode in (SearchMode.hybrid, SearchMode.bm25):
            for passage in engine.searcher.search(query, k, mode, filters):
                seen.setdefault(passage.chunk.chunk_id, passage)
    return [Passage(p.chunk, p.title, p.score, rank, p.also_in) for rank, p in enumerate(seen.values(), start=1)]


def _attribute(engine: Engine, sentence: Candidate, organisations: tuple[str, ...]) -> list[tuple[str, Involvement]]:
    """The answerer's district attribution, plus the city-wide organisations the sentence belongs to."""
    chunk = sentence.passage.chunk
    document = engine.index.documents.infos[chunk.doc_id]
    attributed = credited(engine.gazetteer, sentence.text, own_districts(engine.gazetteer, chunk.section, document))
    owner = document.organisation
    shown = involvement(sentence.text)
    for organisation in organisations:
        own = organisation == owner and not engine.gazetteer.find(chunk.section)
        if own or _names(organisation, sentence.text):
            attributed.append((organisation, shown))
    return attributed


def _names(organisation: str, text: str) -> bool:
    """Whether ``text`` names the organisation ("socialförvaltningen", "Socialförvaltningens")."""
    return re.search(rf"(?<![\w-]){re.escape(organisation)}s?(?!\w)", text, re.IGNORECASE) is not None


def _row(
    engine: Engine,
    name: str,
    kind: Kind,
    found: list[_Finding],
    threshold: float,
    max_passages: int,
    numbering: dict[tuple[str, int, int], Citation],
) -> CoverageRow:
    best_score = round(max((f.sentence.coverage for f in found), default=0.0), 4)
    strong = sorted(
        (f for f in found if f.qualifies(threshold)),
        key=lambda f: (-f.sentence.coverage, f.sentence.passage.rank, f.sentence.start),
    )
    if not strong:
        return CoverageRow(name, kind, NO_EVIDENCE, None, (), best_score)
    evidence: list[Evidence] = []
    quoted: list[str] = []
    for finding in strong:
        sentence = finding.sentence
        # The same sentence in two versions of a report is one piece of evidence.
        if any(same_text(sentence.text, other) for other in quoted):
            continue
        quoted.append(sentence.text)
        key = (sentence.passage.chunk.doc_id, sentence.start, sentence.end)
        if key not in numbering:
            numbering[key] = engine.answerer.evidence.citation(len(numbering) + 1, sentence)
        evidence.append(Evidence(numbering[key], round(sentence.coverage, 4), finding.involvement, finding.anchored))
        if len(evidence) == max_passages:
            break
    # The row says what its quotes show: the strongest involvement among them, not among sentences not shown.
    return CoverageRow(name, kind, EVIDENCE, strongest(e.involvement for e in evidence), tuple(evidence), best_score)
