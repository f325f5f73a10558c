"""Extractive answers with citations: the sentences that answer, quoted verbatim, or an honest abstention.

Fact questions are answered with the best-matching sentences of the retrieved passages. List questions
("vilka stadsdelar ...") are answered by aggregation: one line per district the passages attribute the
topic to, through the section the sentence sits under, the document's organisation, or a district the
sentence itself names. Development questions ("hur har ... utvecklats?") are answered as a history: one
line per document that speaks of the topic, oldest first. A question no sentence supports gets "Jag
hittar inget i dokumenten ...".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from indexer.settings import Settings
from indexer.swedish import WeightedTerm, tokenize
from indexer.types import Answer, Citation, DistrictFinding, Involvement, Passage

from .question import YEAR, QuestionProfile, profile
from .search import Filters, Searcher, SearchMode
from .sentences import ScoredSentence, SentenceScorer, same_text, strongest
from .timeline import period_start

ABSTAIN = "Jag hittar inget i dokumenten som besvarar frågan."
# Words of a list question that name what is listed, not the topic.
LIST_WORDS = frozenset(
    tokenize("stadsdel stadsdelar stadsdelsområde stadsdelsområden stadsdelsnämnd stadsdelsnämnder nämnd nämnder "
             "förvaltning förvaltningar område områden organisation organisationer distrikt arbetar arbeta jobbar")
)
# Words of a development question that ask for the history, not the topic.
DEVELOPMENT_WORDS = frozenset(
    tokenize("utvecklats utvecklat utveckling utvecklingen förändrats förändring ändrats vuxit ökat minskat arbetet "
             "arbete över tid tiden mellan åren")
)
# A history quotes at most this many documents, and this many sentences of each.
TIMELINE_DOCUMENTS = 6
TIMELINE_SENTENCES = 2


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
    Sentences are scored, attributed and quoted by ``scorer`` (``service.sentences``).
    """

    def __init__(self, searcher: Searcher, settings: Settings, generator: AnswerGenerator | None = None):
        self.searcher = searcher
        self.settings = settings
        self.generator = generator
        self.scorer = SentenceScorer(searcher)

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
        aggregates = is_list or asked.wants_development
        depth = self.settings.list_passages if aggregates else self.settings.answer_passages
        passages = self.searcher.search(question, depth, SearchMode.hybrid, filters)
        if aggregates:
            # Aggregation needs recall: add what BM25 alone ranks high (a rare word is strong evidence).
            seen = {p.chunk.chunk_id for p in passages}
            extra = [p for p in self.searcher.search(question, depth, SearchMode.bm25, filters) if p.chunk.chunk_id not in seen]
            passages += [Passage(p.chunk, p.title, p.score, len(passages) + i + 1, p.also_in) for i, p in enumerate(extra)]
        terms = self.searcher.index.lexical.query_terms(question)
        if is_list:
            answer = self._list_answer(question, passages, [t for t in terms if t.origin not in LIST_WORDS])
            if answer is not None:
                return answer, passages
        if asked.wants_development:
            # The years a history spans bound it (the profile's years); they are not its topic.
            topic = [t for t in terms if t.origin not in DEVELOPMENT_WORDS and not YEAR.fullmatch(t.origin)]
            answer = self._timeline_answer(question, passages, topic, asked)
            if answer is not None:
                return answer, passages
        return self._fact_answer(question, passages, terms, asked), passages

    # Fact questions

    def _fact_answer(
        self, question: str, passages: list[Passage], terms: list[WeightedTerm], asked: QuestionProfile
    ) -> Answer:
        candidates = [s for s in self.scorer.sentences(passages, terms) if asked.admits(s.text, s.passage.chunk.districts)]
        sentences = sorted(candidates, key=lambda s: (-s.coverage, s.passage.rank))
        anchor = self.scorer.anchor(terms)
        # Supported by words: enough of the question, including its most specific word.
        worded = [
            s for s in sentences if s.coverage >= self.settings.answer_min_coverage and (anchor is None or anchor in s.origins)
        ]
        if worded:
            floor = max(self.settings.answer_min_coverage, 0.75 * worded[0].coverage)
            chosen: list[ScoredSentence] = []
            for sentence in worded:
                if sentence.coverage < floor or len(chosen) >= self.settings.answer_max_sentences:
                    break
                if not any(same_text(sentence.text, c.text) for c in chosen):
                    chosen.append(sentence)
        elif passages and sentences and self._dense_similarity(question, passages[0]) >= self.settings.answer_min_dense:
            # Supported by meaning rather than words: quote the best sentence of the closest passages.
            chosen = [sentences[0]]
        else:
            return Answer(question=question, text=ABSTAIN, supported=False, related=tuple(passages[:3]))
        citations = tuple(self.scorer.citation(i, s) for i, s in enumerate(chosen, start=1))
        text = " ".join(f"{c.quote} [{c.id}]" for c in citations)
        return Answer(question=question, text=text, supported=True, citations=citations)

    # Development questions

    def _timeline_answer(
        self, question: str, passages: list[Passage], topic: list[WeightedTerm], asked: QuestionProfile
    ) -> Answer | None:
        """One line per document that speaks of the topic, in the time order of the documents' periods."""
        if not topic:
            return None
        anchor = self.scorer.anchor(topic)
        by_document: dict[str, list[ScoredSentence]] = {}
        for sentence in self.scorer.sentences(passages, topic):
            if sentence.coverage < self.settings.list_min_coverage and anchor not in sentence.origins:
                continue
            if asked.admits(sentence.text, sentence.passage.chunk.districts):
                by_document.setdefault(sentence.passage.chunk.doc_id, []).append(sentence)
        if not by_document:
            return None
        documents = self.searcher.index.documents
        # The most relevant documents, then told oldest first.
        relevant = sorted(by_document, key=lambda d: min(s.passage.rank for s in by_document[d]))[:TIMELINE_DOCUMENTS]
        citations: list[Citation] = []
        lines: list[str] = []
        for doc_id in sorted(relevant, key=lambda d: (*period_start(documents[d]), d)):
            chosen: list[ScoredSentence] = []
            for sentence in sorted(by_document[doc_id], key=lambda s: (-s.coverage, s.passage.rank)):
                if len(chosen) == TIMELINE_SENTENCES:
                    break
                if not any(same_text(sentence.text, c.quote) for c in citations) and not any(
                    same_text(sentence.text, c.text) for c in chosen
                ):
                    chosen.append(sentence)
            if not chosen:
                continue
            quoted = [self.scorer.citation(len(citations) + i, s) for i, s in enumerate(chosen, start=1)]
            citations.extend(quoted)
            document = documents[doc_id]
            when = document.period or (str(document.year) if document.year else "odaterat")
            lines.append(f"- {when}, {document.title}: " + " ".join(f"{c.quote} [{c.id}]" for c in quoted))
        text = "Så här skriver dokumenten om det, äldst först:\n" + "\n".join(lines)
        return Answer(question=question, text=text, supported=True, citations=tuple(citations))

    # List questions

    def _list_answer(self, question: str, passages: list[Passage], topic: list[WeightedTerm]) -> Answer | None:
        if not topic:
            return None
        findings: dict[str, list[tuple[ScoredSentence, Involvement]]] = {}
        anchor = self.scorer.anchor(topic)
        for sentence in self.scorer.sentences(passages, topic):
            if sentence.coverage < self.settings.list_min_coverage and anchor not in sentence.origins:
                continue
            for district, involvement in self.scorer.attribute(sentence):
                findings.setdefault(district, []).append((sentence, involvement))
        if not findings:
            return None
        citations: list[Citation] = []
        lines: list[DistrictFinding] = []
        for district in sorted(findings, key=lambda d: min(s.passage.rank for s, _ in findings[d])):
            ids: list[int] = []
            for sentence, _ in sorted(findings[district], key=lambda pair: pair[0].passage.rank)[:2]:
                existing = next((c for c in citations if same_text(c.quote, sentence.text)), None)
                if existing is None:
                    existing = self.scorer.citation(len(citations) + 1, sentence)
                    citations.append(existing)
                if existing.id not in ids:
                    ids.append(existing.id)
            involvement = strongest(inv for _, inv in findings[district])
            lines.append(DistrictFinding(district, tuple(ids), involvement))
        body = "\n".join(
            f"- {line.name} ({line.involvement}): " + " ".join(f"[{i}]" for i in line.citations) for line in lines
        )
        noun = "stadsdelsområde" if len(lines) == 1 else "stadsdelsområden"
        text = f"Dokumenten kopplar {len(lines)} {noun} till frågan:\n{body}"
        return Answer(question=question, text=text, supported=True, citations=tuple(citations), districts=tuple(lines))

    def _dense_similarity(self, question: str, passage: Passage) -> float:
        position = self.searcher.index.chunk_position(passage.chunk.chunk_id)
        vector = self.searcher.index.dense.vector(position)
        return float(vector @ self.searcher.embed_query(question))
