"""Extractive answers with citations: the sentences that answer, quoted verbatim, or an honest abstention.

Fact questions are answered with the best-matching sentences of the retrieved passages. List questions
("vilka stadsdelar ...") are answered by aggregation: one line per district the passages attribute the
topic to, through the section the sentence sits under, the document's organisation, or a district the
sentence itself names. A question no sentence supports gets "Jag hittar inget i dokumenten ...".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol

from indexer.chunking import sentence_spans
from indexer.settings import Settings
from indexer.swedish import WeightedTerm, tokenize
from indexer.types import Answer, Citation, DistrictFinding, Involvement, Passage

from .question import QuestionProfile, profile
from .search import Filters, Searcher, SearchMode

ABSTAIN = "Jag hittar inget i dokumenten som besvarar frågan."
# Words of a list question that name what is listed, not the topic.
LIST_WORDS = frozenset(
    tokenize("stadsdel stadsdelar stadsdelsområde stadsdelsområden stadsdelsnämnd stadsdelsnämnder nämnd nämnder "
             "förvaltning förvaltningar område områden organisation organisationer distrikt arbetar arbeta jobbar")
)
# Checked in order: a plan outranks the present tense of "finns", a perfect tense outranks "ska".
INVOLVEMENT_PATTERNS: tuple[tuple[Involvement, re.Pattern[str]], ...] = (
    ("planerar", re.compile(r"\b(planer finns|planerar|planeras|avser|vill|undersöka möjlighet\w*|överväg\w*)\b", re.I)),
    ("har", re.compile(r"\b(har|hade) (\w+ ){0,3}?\w+(at|it|tt|ts|ats|its)\b", re.I)),
    ("kommer att", re.compile(r"\b(ska|skall|kommer att)\b", re.I)),
    ("har", re.compile(r"\b(anställer|arbetar|finns|genomför|genomfördes|bedriver|driver|erbjuder)\b", re.I)),
)
DONE_BEFORE = re.compile(r"\b(?:som man gjort i|liksom i|såsom i|som i)\b", re.I)


@dataclass(frozen=True, slots=True)
class _Sentence:
    passage: Passage
    start: int
    end: int
    text: str
    coverage: float
    origins: frozenset[str]


class AnswerGenerator(Protocol):
    """Rewrites a supported extractive answer from its evidence (an LLM, say). It must keep every
    sentence cited, and return None (or raise) to keep the extractive answer."""

    name: str

    def generate(self, draft: Answer, evidence: list[Passage]) -> Answer | None:
        """A new answer built from ``evidence``, or None to keep ``draft``."""
        ...


class Answerer:
    """Answers questions from the index, extractively; every claim cites a verbatim quote.

    With a ``generator`` (see ``service.llm``), supported answers are rewritten by it; when it fails or
    its answer does not pass the citation check, the extractive answer is returned with a note saying so.
    """

    def __init__(self, searcher: Searcher, settings: Settings, generator: AnswerGenerator | None = None):
        self.searcher = searcher
        self.settings = settings
        self.generator = generator

    def ask(self, question: str, district: str | None = None, filters: Filters = Filters()) -> Answer:
        """Answer ``question``, optionally only from passages about ``district``."""
        answer, passages = self._extractive(question, district, filters)
        if self.generator is None or not answer.supported:
            return answer
        try:
            generated = self.generator.generate(answer, passages)
        except Exception as exc:  # noqa: BLE001 - any failure of an external model falls back
            return replace(answer, notes=(*answer.notes, f"Språkmodellen svarade inte ({type(exc).__name__}); svaret är extraktivt."))
        if generated is None:
            return replace(answer, notes=(*answer.notes, "Språkmodellen gav inget svar med giltiga källhänvisningar; svaret är extraktivt."))
        return generated

    def _extractive(self, question: str, district: str | None, filters: Filters) -> tuple[Answer, list[Passage]]:
        question = self.searcher.clean_query(question)
        if district:
            filters = Filters((district,), filters.doc_ids, filters.year_from, filters.year_to)
        asked = profile(question, self.searcher.gazetteer)
        is_list = asked.is_list
        depth = self.settings.list_passages if is_list else self.settings.answer_passages
        passages = self.searcher.search(question, depth, SearchMode.hybrid, filters)
        if is_list:
            # Aggregation needs recall: add what BM25 alone ranks high (a rare word is strong evidence).
            seen = {p.chunk.chunk_id for p in passages}
            extra = [p for p in self.searcher.search(question, depth, SearchMode.bm25, filters) if p.chunk.chunk_id not in seen]
            passages += [Passage(p.chunk, p.title, p.score, len(passages) + i + 1, p.also_in) for i, p in enumerate(extra)]
        terms = self.searcher.index.lexical.query_terms(question)
        if is_list:
            answer = self._list_answer(question, passages, [t for t in terms if t.origin not in LIST_WORDS])
            if answer is not None:
                return answer, passages
        return self._fact_answer(question, passages, terms, asked), passages

    # Fact questions

    def _fact_answer(
        self, question: str, passages: list[Passage], terms: list[WeightedTerm], asked: QuestionProfile
    ) -> Answer:
        candidates = [s for s in self._sentences(passages, terms) if asked.admits(s.text, s.passage.chunk.districts)]
        sentences = sorted(candidates, key=lambda s: (-s.coverage, s.passage.rank))
        anchor = self._anchor(terms)
        # Supported by words: enough of the question, including its most specific word.
        worded = [
            s for s in sentences if s.coverage >= self.settings.answer_min_coverage and (anchor is None or anchor in s.origins)
        ]
        if worded:
            floor = max(self.settings.answer_min_coverage, 0.75 * worded[0].coverage)
            chosen: list[_Sentence] = []
            for sentence in worded:
                if sentence.coverage < floor or len(chosen) >= self.settings.answer_max_sentences:
                    break
                if not any(_same_text(sentence.text, c.text) for c in chosen):
                    chosen.append(sentence)
        elif passages and sentences and self._dense_similarity(question, passages[0]) >= self.settings.answer_min_dense:
            # Supported by meaning rather than words: quote the best sentence of the closest passages.
            chosen = [sentences[0]]
        else:
            return Answer(question=question, text=ABSTAIN, supported=False, related=tuple(passages[:3]))
        citations = tuple(self._citation(i, s) for i, s in enumerate(chosen, start=1))
        text = " ".join(f"{c.quote} [{c.id}]" for c in citations)
        return Answer(question=question, text=text, supported=True, citations=citations)

    # List questions

    def _list_answer(self, question: str, passages: list[Passage], topic: list[WeightedTerm]) -> Answer | None:
        if not topic:
            return None
        findings: dict[str, list[tuple[_Sentence, Involvement]]] = {}
        anchor = self._anchor(topic)
        for sentence in self._sentences(passages, topic):
            if sentence.coverage < self.settings.list_min_coverage and anchor not in sentence.origins:
                continue
            for district, involvement in self._attribute(sentence):
                findings.setdefault(district, []).append((sentence, involvement))
        if not findings:
            return None
        citations: list[Citation] = []
        lines: list[DistrictFinding] = []
        for district in sorted(findings, key=lambda d: min(s.passage.rank for s, _ in findings[d])):
            ids: list[int] = []
            for sentence, _ in sorted(findings[district], key=lambda pair: pair[0].passage.rank)[:2]:
                existing = next((c for c in citations if _same_text(c.quote, sentence.text)), None)
                if existing is None:
                    existing = self._citation(len(citations) + 1, sentence)
                    citations.append(existing)
                if existing.id not in ids:
                    ids.append(existing.id)
            involvement = _strongest(inv for _, inv in findings[district])
            lines.append(DistrictFinding(district, tuple(ids), involvement))
        body = "\n".join(
            f"- {line.name} ({line.involvement}): " + " ".join(f"[{i}]" for i in line.citations) for line in lines
        )
        noun = "stadsdelsområde" if len(lines) == 1 else "stadsdelsområden"
        text = f"Dokumenten kopplar {len(lines)} {noun} till frågan:\n{body}"
        return Answer(question=question, text=text, supported=True, citations=tuple(citations), districts=tuple(lines))

    def _attribute(self, sentence: _Sentence) -> list[tuple[str, Involvement]]:
        """Districts a sentence attributes its content to, each with the kind of involvement."""
        chunk = sentence.passage.chunk
        gazetteer = self.searcher.gazetteer
        document = self.searcher.index.documents[chunk.doc_id]
        own = gazetteer.find(chunk.section) or document.districts
        involvement = _involvement(sentence.text)
        attributed = [(district, involvement) for district in own]
        done = DONE_BEFORE.search(sentence.text)
        for district in gazetteer.find(sentence.text):
            if district not in own:
                named_after_done = done is not None and sentence.text.find(district) > done.start()
                attributed.append((district, "har" if named_after_done else involvement))
        return attributed

    def _anchor(self, topic: list[WeightedTerm]) -> str | None:
        """The topic's most specific word (highest idf): a sentence with it is about the topic. None when
        the topic names something the documents never mention ("Solna"): then coverage alone decides."""
        lexical = self.searcher.index.lexical
        # In the question's order, so that of words equally rare the first wins (a set's order changes
        # from run to run with the hash seed, and with it the answers).
        origins = list(dict.fromkeys(t.origin for t in topic))
        if not origins or any(origin not in lexical.document_frequency for origin in origins):
            return None
        return max(origins, key=lexical.idf)

    # Shared

    def _sentences(self, passages: list[Passage], terms: list[WeightedTerm]) -> list[_Sentence]:
        lexical = self.searcher.index.lexical
        weight_of: dict[str, float] = {}
        origin_of: dict[str, str] = {}
        for term in terms:
            if term.weight > weight_of.get(term.term, 0):
                weight_of[term.term], origin_of[term.term] = term.weight, term.origin
        origins = {term.origin for term in terms}
        total = sum(lexical.idf(origin) for origin in origins)
        if not total:
            return []
        sentences = []
        for passage in passages:
            document = self.searcher.index.documents[passage.chunk.doc_id]
            for start, end in sentence_spans(document.text, passage.chunk.start, passage.chunk.end):
                text = document.text[start:end]
                best: dict[str, float] = {}
                for stem in set(tokenize(text)):
                    if stem in weight_of:
                        origin = origin_of[stem]
                        best[origin] = max(best.get(origin, 0.0), weight_of[stem])
                coverage = sum(weight * lexical.idf(origin) for origin, weight in best.items()) / total
                if coverage > 0:
                    sentences.append(_Sentence(passage, start, end, text, coverage, frozenset(best)))
        return sentences

    def _dense_similarity(self, question: str, passage: Passage) -> float:
        position = self.searcher.index.chunk_position(passage.chunk.chunk_id)
        vector = self.searcher.index.dense.vector(position)
        return float(vector @ self.searcher.embed_query(question))

    def _citation(self, number: int, sentence: _Sentence) -> Citation:
        chunk = sentence.passage.chunk
        document = self.searcher.index.documents[chunk.doc_id]
        return Citation.quoting(
            number, chunk, document.title, sentence.start, sentence.end, sentence.text, document.page_at(sentence.start)
        )


def _involvement(sentence: str) -> Involvement:
    for kind, pattern in INVOLVEMENT_PATTERNS:
        if pattern.search(sentence):
            return kind
    return "nämner"


def _strongest(kinds) -> Involvement:
    order: list[Involvement] = ["har", "kommer att", "planerar", "nämner"]
    return min(kinds, key=order.index)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())
