"""Which words of a passage match a query, by the index's own Swedish analysis (``indexer.swedish``):
the same Snowball stem, a spelling variant or compound part the query expands to, or a compound that
holds a query word as its head or tail ("värdar" marks "medborgarvärdar"; "trygghetsvandringar" marks
"trygghet")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.swedish import WORD, WeightedTerm, stem_word

# The index's word pattern, matched on the original text so that offsets stay the text's own.
TEXT_WORD = re.compile(WORD.pattern, re.IGNORECASE)
# A compound part is at least this long, and the compound at least this much longer than the part.
SHORTEST_PART = 4
SHORTEST_COMPOUND_PART = 5
COMPOUND_EXTRA = 3


@dataclass(frozen=True, slots=True)
class QueryWords:
    """A query's terms as the index scores them (``terms``) and the stems the user typed (``own``); the
    words of the text already judged are remembered, since the passages of one page share most of theirs."""

    terms: frozenset[str]
    own: frozenset[str]
    judged: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, weighted: Iterable[WeightedTerm]) -> QueryWords:
        """The words of a query's weighted terms (``LexicalIndex.query_terms``)."""
        weighted = list(weighted)
        return cls(frozenset(t.term for t in weighted), frozenset(t.term for t in weighted if t.source == "query"))

    def matches(self, stem: str) -> bool:
        """Whether a word of the text with this stem matches the query."""
        if stem in self.terms:
            return True
        for own in self.own:
            shorter, longer = (own, stem) if len(own) < len(stem) else (stem, own)
            # A query word inside a compound of the text needs 4 letters, a text word inside the query's compound 5.
            shortest = SHORTEST_PART if shorter == own else SHORTEST_COMPOUND_PART
            if len(shorter) >= shortest and len(longer) >= len(shorter) + COMPOUND_EXTRA:
                if longer.startswith(shorter) or longer.endswith(shorter):
                    return True
        return False


@lru_cache(maxsize=4096)
def _word_spans(text: str) -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """Each distinct lower-case word of ``text`` with its offsets: a passage is tokenised once, not per query."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for match in TEXT_WORD.finditer(text):
        spans.setdefault(match.group().lower(), []).append((match.start(), match.end()))
    return tuple((word, tuple(found)) for word, found in spans.items())


def highlights(text: str, words: QueryWords) -> list[tuple[int, int]]:
    """Offsets (start, end) in ``text`` of the words that match the query, in text order."""
    # Passages repeat their words: each distinct one is stemmed and matched once per query.
    judged = words.judged
    spans = []
    for word, found in _word_spans(text):
        matching = judged.get(word)
        if matching is None:
            matching = judged[word] = words.matches(stem_word(word))
        if matching:
            spans.extend(found)
    return sorted(spans)
