"""Evidence by meaning: the sentences of retrieved passages, each scored by how likely it answers a question.

A candidate sentence is described by a few features: its similarity to the question (the sentence vectors
stored at index time against the query vector), the passage's similarity and rank, how much of the
question's topic its words hold through the same Swedish analysis as BM25 (stems, compound parts, spelling
variants), whether it holds the topic's rarest word, whether it has what the question asks for (a number,
a date, an actor ...), and what kind of line it is. A logistic model fitted on the evaluation's dev split
(``python -m eval.fit``) turns them into a probability; the same probability decides what to quote and
when to abstain. The model is stored beside this module, stamped with what its inputs depend on.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from indexer.sentences import FORM, FRAGMENT, SHARED
from indexer.storage import StoredIndex
from indexer.swedish import WeightedTerm, tokenize
from indexer.types import Citation, Passage

from .actors import ORGANISATION_WORD, actors_in
from .analysis import Asked, Measure, Part, QuestionAnalysis

MODEL_FILE = Path(__file__).resolve().parent / "models" / "evidence.json"
# The model that needs no embedder-specific input, for an embedder the fitted model was not made for.
PORTABLE = "portable"

NUMBER_WORDS = (
    "två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tretton|fjorton|femton|sexton|sjutton|arton|nitton|"
    "tjugo|trettio|fyrtio|femtio|sextio|sjuttio|åttio|nittio|hundra|tusen|miljon\\w*|miljard\\w*|hälften|"
    "dubbelt|tiotal|hundratal|tusental|dussin"
)
# A figure: a number that is not a year ("år 2016" says when, not how many), or a number word.
HAS_NUMBER = re.compile(rf"(?<![\d.,])(?!(?:19|20)\d\d\b)\d|\b(?:{NUMBER_WORDS})\b", re.I)
HAS_AMOUNT = re.compile(r"\d[\d\s,.]*\s*(?:kr\b|kronor|mkr|tkr|msek|sek\b|miljon\w*|miljard\w*)|\bbelopp\w*\b", re.I)
HAS_TIME = re.compile(
    r"\b(?:(?:19|20)\d\d|januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|"
    r"våren|sommaren|hösten|vintern|vår|höst|tertial\w*|kvartal\w*|vecka|veckor|månad\w*|år|dag\w*|"
    r"ht|vt|nyligen|tidigare|senare|sedan)\b",
    re.I,
)
# How often: a rate says that, not when ("en gång/månad", "minst fyra gånger per år", "varje vecka").
HAS_FREQUENCY = re.compile(
    r"\b(?:gång\w*|varje|var\s+(?:och\s+en|annan|tredje)|dagligen|veckovis|månadsvis|årligen|regelbundet|löpande|"
    r"kontinuerligt)\b|(?:\bper|/)\s*(?:dag|vecka|månad|år|termin|tertial|kvartal)\b",
    re.I,
)
HAS_SHARE = re.compile(
    rf"\d+(?:[,.]\d+)?\s*(?:%|procent)|\b(?:hälften|\w*tredjedel\w*|\w*fjärdedel\w*|majoritet\w*)\b|"
    rf"\bvar\s+(?:annan|tredje|fjärde|femte|tionde)\b|(?:\b\d+|\b(?:{NUMBER_WORDS}))\s+av\s+(?:\d+|(?:{NUMBER_WORDS})\b)",
    re.I,
)
# What came of something: a finding, an effect, a change measured.
HAS_RESULT = re.compile(
    r"\b(?:visade|visat|visar|resultat\w*|framkom\w*|framgår|framgick|konstater\w*|ledde\s+till|lett\s+till|medför\w*|"
    r"effekt\w*|ökade|ökat|minskade|minskat|förbättr\w*|försämr\w*|slutsats\w*|utfall\w*|blev|gav)\b",
    re.I,
)
# A person's name: two capitalised words inside a sentence that are not an organisation's name.
PERSON_NAME = re.compile(r"(?<=[a-zåäö,]\s)[A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?\s+[A-ZÅÄÖ][a-zåäöé]+\b")
# A question that asks how long, for which a duration is the figure.
ASKS_DURATION = re.compile(
    r"\b(?:hur\s+(?:många\s+(?:år|månader|veckor|dagar)|lång\w*|länge)|how\s+(?:many\s+(?:years|months|weeks|days)|long))\b",
    re.I,
)
# Ages, durations and school years ("kvinnor 20-45 år", "i tre år", "årskurs 9") are not how many of
# something there are.
AGE_OR_DURATION = re.compile(
    rf"(?:\b\d+\s*[-–]\s*)?(?:\b\d+|\b(?:{NUMBER_WORDS}))\s*(?:år|månader|veckor|dagar)\b|\b(?:årskurs|åk|klass)\s*\d+",
    re.I,
)

HAS_DEFINITION = re.compile(r"\b(?:innebär|betyder|är ett|är en|är att|syftar|syftet|handlar om|kallas|består av|"
                            r"kan liknas|går ut på|riktar sig)\b", re.I)
HAS_REASON = re.compile(r"\b(?:för att|genom att|eftersom|därför|på grund av|syftet|syftar|i syfte|då\b|så att|"
                        r"med målet|målet är)\b", re.I)
HAS_PLACE = re.compile(r"\b(?:i|på|vid|utmed|kring)\s+[A-ZÅÄÖ]\w+")

FEATURES = (
    "dense_sentence",
    "dense_margin",
    "dense_passage",
    "lexical",
    "lexical_context",
    "anchor",
    "rank",
    "passage_margin",
    "fits",
    "misfit",
    "fragment",
    "shared",
    "length",
    "first_in_section",
    "english",
    "english_dense",
)
# Features that say whether a sentence has what the question asks for (a number, a date ...): left out,
# the probability says whether a sentence is on the question's topic at all.
TYPE_FEATURES = ("fits", "misfit")
# Features that depend on the embedder's vectors; the portable model leaves them out.
DENSE_FEATURES = frozenset({"dense_sentence", "dense_margin", "dense_passage", "english_dense"})


class EvidenceModel(BaseModel):
    """A fitted logistic model over named features, standardised by the means and scales it was fitted with."""

    embedder: str
    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    thresholds: dict[str, float]
    fitted_on: str
    inputs_version: str

    @classmethod
    def unfitted(cls, embedder: str) -> EvidenceModel:
        """A model that believes every sentence equally (probability 0.5): what fitting starts from, to
        read the features of candidates before any weights exist."""
        return cls(
            embedder=embedder, features=list(FEATURES), mean=[0.0] * len(FEATURES), scale=[1.0] * len(FEATURES),
            weights=[0.0] * len(FEATURES), bias=0.0, thresholds={}, fitted_on="", inputs_version=inputs_version(),
        )

    def probabilities(self, rows: np.ndarray, neutral: Sequence[str] = ()) -> np.ndarray:
        """P(answers) for each row of ``rows`` (columns in ``FEATURES`` order); the ``neutral`` features
        count as their mean, i.e. not at all."""
        if not len(rows):
            return np.zeros(0)
        columns = [FEATURES.index(name) for name in self.features]
        x = (rows[:, columns] - np.array(self.mean)) / np.array(self.scale)
        for name in neutral:
            if name in self.features:
                x[:, self.features.index(name)] = 0.0
        return 1.0 / (1.0 + np.exp(-(x @ np.array(self.weights) + self.bias)))


class EvidenceModels(BaseModel):
    """The fitted model for an embedder, and the portable one for any other."""

    models: dict[str, EvidenceModel]

    def for_embedder(self, embedder: str) -> EvidenceModel:
        """The model fitted with ``embedder``, else the portable model."""
        return self.models.get(embedder) or self.models[PORTABLE]


def inputs_version() -> str:
    """What a fitted model's inputs depend on: the feature list and how sentences are stored."""
    from indexer.storage import FORMAT_VERSION

    return f"features:{','.join(FEATURES)};index-format:{FORMAT_VERSION}"


@lru_cache(maxsize=4)
def load_models(path: Path = MODEL_FILE) -> EvidenceModels:
    """The fitted evidence models (``python -m eval.fit`` writes them)."""
    return EvidenceModels.model_validate_json(path.read_text(encoding="utf-8"))


def save_models(models: EvidenceModels, path: Path = MODEL_FILE) -> None:
    """Write the fitted models to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(models.model_dump(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence of a retrieved passage, at ``start:end`` of its document's cleaned text, as evidence.

    ``coverage`` is the share (0-1) of the topic's idf-weighted words the sentence holds; ``origins`` the
    topic words it holds (as the question wrote them); ``probability`` the fitted model's belief that it
    answers (0 until scored), ``topical`` its belief leaving out whether the sentence has what the question
    asks for (a number, a date): a sentence on the topic that lacks it shows what the documents lack.
    """

    passage: Passage
    row: int
    start: int
    end: int
    text: str
    section: int
    coverage: float
    origins: frozenset[str]
    features: np.ndarray | None = None
    probability: float = 0.0
    topical: float = 0.0


class EvidenceScorer:
    """Finds, describes and scores the candidate sentences of passages from one index."""

    def __init__(self, index: StoredIndex, model: EvidenceModel):
        self.index = index
        self.model = model
        self._stems = lru_cache(maxsize=65536)(self._row_stems)
        self._context_stems = lru_cache(maxsize=65536)(self._row_context_stems)
        self._doc_index = {doc_id: i for i, doc_id in enumerate(index.chunks.doc_ids)}

    # Lexical evidence, shared with the coverage table

    def sentences(self, passages: Sequence[Passage], terms: Sequence[WeightedTerm]) -> list[Candidate]:
        """Every sentence of ``passages`` that holds any of ``terms``, in passage order, with its coverage;
        each sentence once (at its best-ranked passage); never the report form's own lines."""
        weigher = _Weigher(terms, self.index.lexical.idf)
        if not weigher.total:
            return []
        return [c for c in self._candidates(passages, weigher) if c.coverage > 0]

    def anchor(self, topic: Sequence[WeightedTerm]) -> str | None:
        """The topic's most specific word (highest idf): a sentence with it is about the topic. None when
        the topic names something the documents never mention ("Solna"): then coverage alone decides."""
        lexical = self.index.lexical
        # In the question's order, so that of words equally rare the first wins.
        origins = list(dict.fromkeys(t.origin for t in topic))
        if not origins or any(origin not in lexical.document_frequency for origin in origins):
            return None
        return max(origins, key=lexical.idf)

    def citation(self, number: int, candidate: Candidate) -> Citation:
        """Citation ``[number]`` quoting the candidate verbatim, with its document's title and page."""
        chunk = candidate.passage.chunk
        document = self.index.documents[chunk.doc_id]
        return Citation.quoting(
            number, chunk, document.title, candidate.start, candidate.end, candidate.text, document.page_at(candidate.start)
        )

    # Evidence by meaning

    def scored(
        self,
        passages: Sequence[Passage],
        terms: Sequence[WeightedTerm],
        query: np.ndarray,
        part: Part,
        analysis: QuestionAnalysis,
        alternatives: Sequence[frozenset[str]] = (),
        per_document: bool = False,
    ) -> list[Candidate]:
        """Every sentence of ``passages`` with its features and probability, most probable first.

        ``alternatives`` are the topic words of "A eller B": a sentence holding either covers the topic.
        A sentence found in several documents (two versions of a report) is one candidate, unless
        ``per_document``.
        """
        weigher = _Weigher(terms, self.index.lexical.idf, alternatives)
        candidates = self._candidates(passages, weigher, per_document)
        if not candidates:
            return []
        rows = np.array([c.row for c in candidates])
        dense = self.index.sentences.vectors_of(rows) @ query
        passage_dense = {p.chunk.chunk_id: self._passage_similarity(p, query) for p in passages}
        top_score = max(p.score for p in passages)
        anchor = self.anchor(terms) if terms else None
        features = np.zeros((len(candidates), len(FEATURES)), dtype=np.float64)
        for i, candidate in enumerate(candidates):
            features[i] = self._features(
                candidate, float(dense[i]), float(dense.max()), passage_dense[candidate.passage.chunk.chunk_id],
                top_score, anchor, weigher, part, analysis,
            )
        probabilities = self.model.probabilities(features)
        topical = self.model.probabilities(features, neutral=TYPE_FEATURES)
        scored = [
            Candidate(
                c.passage, c.row, c.start, c.end, c.text, c.section, c.coverage, c.origins, features[i],
                float(probabilities[i]), float(topical[i]),
            )
            for i, c in enumerate(candidates)
        ]
        return sorted(scored, key=lambda c: (-c.probability, c.passage.rank, c.start))

    def following(self, candidate: Candidate, within: int | None = None) -> Candidate | None:
        """The next sentence of the same section, if there is one (to continue an answer). Given ``within``,
        the next sentence of that section or of one nested under it: a list announced with "följande" often
        stands under subheadings of its own. The sentence cites the passage that holds it."""
        table = self.index.sentences
        row = candidate.row + 1
        if row >= len(table) or table.documents[row] != table.documents[candidate.row] or table.flags[row] & FORM:
            return None
        section = int(table.sections[row])
        document = self.index.documents[candidate.passage.chunk.doc_id]
        if section != candidate.section:
            paths = [s.path for s in document.sections]
            if within is None or paths[section][: len(paths[within])] != paths[within]:
                return None
        start, end = (int(v) for v in table.spans[row])
        passage = self._passage_holding(candidate.passage, start, end)
        if passage is None:
            return None
        return Candidate(passage, row, start, end, document.text[start:end], section, 0.0, frozenset())

    def _passage_holding(self, passage: Passage, start: int, end: int) -> Passage | None:
        """``passage`` if it holds the text ``start:end`` of its document, else a chunk of the document that
        does, as a passage of the same rank."""
        if passage.chunk.start <= start and end <= passage.chunk.end:
            return passage
        chunks = self.index.chunks
        for position in chunks.positions_of_documents([passage.chunk.doc_id]):
            chunk = chunks[int(position)]
            if chunk.start <= start and end <= chunk.end:
                return Passage(chunk, passage.title, 0.0, passage.rank)
        return None

    # Helpers

    def document_sentences(self, doc_id: str) -> set[str]:
        """Every sentence of a document, folded for comparison (case and whitespace)."""
        table = self.index.sentences
        number = self._doc_index[doc_id]
        document = self.index.documents[doc_id]
        rows = table.within(number, 0, len(document.text) + 1)
        return {" ".join(document.text[int(a) : int(b)].lower().split()) for a, b in table.spans[rows.start : rows.stop]}

    def _candidates(self, passages: Sequence[Passage], weigher: _Weigher, per_document: bool = False) -> list[Candidate]:
        table = self.index.sentences
        seen_rows: set[int] = set()
        seen_texts: set[tuple[str, str]] = set()
        found: list[Candidate] = []
        for passage in passages:
            chunk = passage.chunk
            document = self.index.documents[chunk.doc_id]
            for row in table.within(self._doc_index[chunk.doc_id], chunk.start, chunk.end):
                if row in seen_rows or table.flags[row] & FORM:
                    continue
                seen_rows.add(row)
                start, end = (int(v) for v in table.spans[row])
                text = document.text[start:end]
                folded = (chunk.doc_id if per_document else "", " ".join(text.lower().split()))
                if folded in seen_texts:
                    continue
                seen_texts.add(folded)
                coverage, origins = weigher.cover(self._stems(row, text))
                found.append(Candidate(passage, row, start, end, text, int(table.sections[row]), coverage, origins))
        return found

    def _features(
        self,
        candidate: Candidate,
        dense: float,
        best_dense: float,
        passage_dense: float,
        top_score: float,
        anchor: str | None,
        weigher: _Weigher,
        part: Part,
        analysis: QuestionAnalysis,
    ) -> list[float]:
        table = self.index.sentences
        flags = int(table.flags[candidate.row])
        context_coverage, _ = weigher.cover(self._context_stems(candidate.row, candidate.passage.chunk.section))
        required, fits = type_fit(part, candidate.text)
        english = 1.0 if analysis.english else 0.0
        first = candidate.row == 0 or table.sections[candidate.row - 1] != candidate.section
        return [
            dense,
            dense - best_dense,
            passage_dense,
            candidate.coverage,
            max(candidate.coverage, context_coverage),
            1.0 if anchor is not None and anchor in candidate.origins else 0.0,
            1.0 / candidate.passage.rank,
            candidate.passage.score - top_score,
            1.0 if required and fits else 0.0,
            1.0 if required and not fits else 0.0,
            1.0 if flags & FRAGMENT else 0.0,
            1.0 if flags & SHARED else 0.0,
            math.log1p(len(candidate.text.split())),
            1.0 if first else 0.0,
            english,
            english * dense,
        ]

    def _passage_similarity(self, passage: Passage, query: np.ndarray) -> float:
        position = self.index.chunk_position(passage.chunk.chunk_id)
        return float(self.index.dense.vector(position) @ query) if position is not None else 0.0

    def _row_stems(self, row: int, text: str) -> frozenset[str]:
        return frozenset(tokenize(text))

    def _row_context_stems(self, row: int, section: str) -> frozenset[str]:
        """The words around a sentence: its section's headings and the sentence before it, with its own."""
        table = self.index.sentences
        stems = set(tokenize(section))
        document = None
        for neighbour in (row - 1, row):
            if 0 <= neighbour < len(table) and table.documents[neighbour] == table.documents[row]:
                start, end = (int(v) for v in table.spans[neighbour])
                document = document or self.index.documents[self.index.chunks.doc_ids[int(table.documents[row])]]
                stems.update(tokenize(document.text[start:end]))
        return frozenset(stems)


class _Weigher:
    """How much of a topic a set of stems holds: the idf-weighted share of its words, the best of
    "A eller B" alternatives counting as the topic when a question offers them."""

    def __init__(self, terms: Sequence[WeightedTerm], idf, alternatives: Sequence[frozenset[str]] = ()):
        self.weight_of: dict[str, float] = {}
        self.origin_of: dict[str, str] = {}
        for term in terms:
            if term.weight > self.weight_of.get(term.term, 0):
                self.weight_of[term.term], self.origin_of[term.term] = term.weight, term.origin
        self.idf = {origin: idf(origin) for origin in {t.origin for t in terms}}
        offered = [a & set(self.idf) for a in alternatives]
        offered = [a for a in offered if a]
        shared = set(self.idf) - set().union(*offered) if offered else set(self.idf)
        # Each reading of the topic: the shared words with one alternative (or all words when none).
        self.readings = [shared | a for a in offered] if len(offered) > 1 else [set(self.idf)]
        self.total = max((sum(self.idf[o] for o in reading) for reading in self.readings), default=0.0)

    def cover(self, stems: frozenset[str]) -> tuple[float, frozenset[str]]:
        best: dict[str, float] = {}
        for stem in stems:
            weight = self.weight_of.get(stem)
            if weight is not None:
                origin = self.origin_of[stem]
                best[origin] = max(best.get(origin, 0.0), weight)
        if not best:
            return 0.0, frozenset()
        coverage = 0.0
        for reading in self.readings:
            total = sum(self.idf[o] for o in reading)
            if total:
                coverage = max(coverage, sum(w * self.idf[o] for o, w in best.items() if o in reading) / total)
        return coverage, frozenset(best)


def _names_person(text: str) -> bool:
    return any(not any(ORGANISATION_WORD.search(w) for w in m.group(0).split()) for m in PERSON_NAME.finditer(text))


HAS_MEASURE = {
    Measure.amount: lambda text: bool(HAS_AMOUNT.search(text)),
    Measure.rate: lambda text: bool(HAS_FREQUENCY.search(text)),
    Measure.share: lambda text: bool(HAS_SHARE.search(text)),
    Measure.result: lambda text: bool(HAS_RESULT.search(text)),
    Measure.person: _names_person,
}


def type_fit(part: Part, text: str) -> tuple[bool, bool]:
    """Whether the kind of answer ``part`` asks for can be checked on a sentence, and whether ``text`` has it."""
    asked = part.asked
    if part.wants is not None:
        return True, HAS_MEASURE[part.wants](text)
    if asked is Asked.number:
        counts_time = ASKS_DURATION.search(part.text)
        return True, bool(HAS_NUMBER.search(text if counts_time else AGE_OR_DURATION.sub(" ", text)))
    if asked is Asked.date:
        return True, bool(HAS_TIME.search(HAS_FREQUENCY.sub(" ", text)))
    if asked in (Asked.actor, Asked.actor_list):
        return True, bool(actors_in(text))
    if asked is Asked.place:
        return True, bool(HAS_PLACE.search(text))
    if asked is Asked.definition:
        return True, bool(HAS_DEFINITION.search(text))
    if asked is Asked.explanation:
        return True, bool(HAS_REASON.search(text))
    return False, False
