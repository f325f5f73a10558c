"""Sentences of retrieved passages as evidence: how much of a topic each one holds, which districts it
attributes its content to and how, and the citation that quotes it.

Shared by extractive answers (``service.answer``) and coverage tables (``service.coverage``), so that a
sentence is scored, attributed and quoted the same way in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.chunking import sentence_spans
from indexer.swedish import WeightedTerm, tokenize
from indexer.types import Citation, Involvement, Passage

from .search import Searcher

# Checked in order: a plan outranks the present tense of "finns", a perfect tense outranks "ska".
INVOLVEMENT_PATTERNS: tuple[tuple[Involvement, re.Pattern[str]], ...] = (
    ("planerar", re.compile(r"\b(planer finns|planerar|planeras|avser|vill|undersöka möjlighet\w*|överväg\w*)\b", re.I)),
    ("har", re.compile(r"\b(har|hade) (\w+ ){0,3}?\w+(at|it|tt|ts|ats|its)\b", re.I)),
    ("kommer att", re.compile(r"\b(ska|skall|kommer att)\b", re.I)),
    ("har", re.compile(r"\b(anställer|arbetar|finns|genomför|genomfördes|bedriver|driver|erbjuder)\b", re.I)),
)
DONE_BEFORE = re.compile(r"\b(?:som man gjort i|liksom i|såsom i|som i)\b", re.I)
# From the strongest involvement to the weakest.
INVOLVEMENT_ORDER: tuple[Involvement, ...] = ("har", "kommer att", "planerar", "nämner")


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A sentence of a passage, at ``start:end`` of its document's cleaned text.

    ``coverage`` is the share (0-1) of the topic's idf-weighted words the sentence holds; ``origins``
    are the topic words it holds (as the query wrote them).
    """

    passage: Passage
    start: int
    end: int
    text: str
    coverage: float
    origins: frozenset[str]


class SentenceScorer:
    """Scores, attributes and quotes the sentences of passages from one searcher's index."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher

    def sentences(self, passages: list[Passage], terms: list[WeightedTerm]) -> list[ScoredSentence]:
        """Every sentence of ``passages`` that holds any of ``terms``, in passage order, with its coverage."""
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
                    sentences.append(ScoredSentence(passage, start, end, text, coverage, frozenset(best)))
        return sentences

    def anchor(self, topic: list[WeightedTerm]) -> str | None:
        """The topic's most specific word (highest idf): a sentence with it is about the topic. None when
        the topic names something the documents never mention ("Solna"): then coverage alone decides."""
        lexical = self.searcher.index.lexical
        # In the question's order, so that of words equally rare the first wins (a set's order changes
        # from run to run with the hash seed, and with it the answers).
        origins = list(dict.fromkeys(t.origin for t in topic))
        if not origins or any(origin not in lexical.document_frequency for origin in origins):
            return None
        return max(origins, key=lexical.idf)

    def attribute(self, sentence: ScoredSentence) -> list[tuple[str, Involvement]]:
        """Districts a sentence attributes its content to, each with the kind of involvement: the district
        of its section (else of its document), and the districts it names itself."""
        chunk = sentence.passage.chunk
        gazetteer = self.searcher.gazetteer
        document = self.searcher.index.documents.infos[chunk.doc_id]
        own = gazetteer.find(chunk.section) or document.districts
        shown = involvement(sentence.text)
        attributed = [(district, shown) for district in own]
        done = DONE_BEFORE.search(sentence.text)
        for district in gazetteer.find(sentence.text):
            if district not in own:
                named_after_done = done is not None and sentence.text.find(district) > done.start()
                attributed.append((district, "har" if named_after_done else shown))
        return attributed

    def citation(self, number: int, sentence: ScoredSentence) -> Citation:
        """Citation ``[number]`` quoting ``sentence`` verbatim, with its document's title and page."""
        chunk = sentence.passage.chunk
        document = self.searcher.index.documents[chunk.doc_id]
        return Citation.quoting(
            number, chunk, document.title, sentence.start, sentence.end, sentence.text, document.page_at(sentence.start)
        )


def involvement(sentence: str) -> Involvement:
    """How a sentence says its subject is involved: har, kommer att, planerar, or else nämner."""
    for kind, pattern in INVOLVEMENT_PATTERNS:
        if pattern.search(sentence):
            return kind
    return "nämner"


def strongest(kinds: Iterable[Involvement]) -> Involvement:
    """The strongest of ``kinds`` (har, then kommer att, planerar, nämner); ``kinds`` must not be empty."""
    return min(kinds, key=INVOLVEMENT_ORDER.index)


def same_text(a: str, b: str) -> bool:
    """Whether two quotes are the same text, ignoring case and whitespace (two versions of one report)."""
    return " ".join(a.lower().split()) == " ".join(b.lower().split())
