"""Swedish words: tokenising, stop words, Snowball stemming, and query expansion against the index vocabulary.

Spelling variants ("medborgarvärdar" / "medborgarvårdar") and misspellings are matched by edit distance
to stems the index actually contains; compounds are matched both ways: a query compound is split into
stems the index knows ("trygghetsvandringar" -> "trygghet" + "vandring") and a query word also finds
the compounds it ends ("värdar" -> "medborgarvärd").
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

WORD = re.compile(r"[0-9a-zåäöéüæø]+")
# Question words and fillers that carry no topic in a search query.
QUERY_FILLERS = frozenset(
    {"vilka", "vilken", "vilket", "vad", "hur", "var", "när", "varför", "finns", "gör", "görs", "många", "mycket",
     "stor", "stort", "hög", "högt", "länge", "ofta", "kan", "ska", "får"}
)
STOPWORDS = frozenset(STOPWORDS_SWEDISH)
# Terms in more than this share of passages are not expanded.
RARE_SHARE = 0.05


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


@lru_cache(maxsize=1 << 16)
def stem_word(word: str) -> str:
    """The Snowball stem of one lower-case word (cached: highlighting stems the same words again and again)."""
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """Lower-cased word tokens; hyphenated names become their parts ("Rinkeby-Kista" -> rinkeby, kista)."""
    return WORD.findall(text.lower())


def tokenize(text: str, stem: bool = True, drop: frozenset[str] = STOPWORDS) -> list[str]:
    """Index tokens: words without stop words, Snowball-stemmed unless ``stem`` is False."""
    tokens = [word for word in words(text) if word not in drop]
    return _stemmer().stemWords(tokens) if stem else tokens


def tokenize_many(texts: Iterable[str], stem: bool = True) -> list[list[str]]:
    """``tokenize`` over many texts."""
    return [tokenize(text, stem) for text in texts]


@dataclass(frozen=True, slots=True)
class WeightedTerm:
    """A query term and its weight; expansions weigh less than the words the user typed."""

    term: str
    weight: float
    source: str
    origin: str


class QueryExpander:
    """Expands query terms with index-vocabulary terms that are spelling variants or compound parts."""

    def __init__(self, document_frequency: dict[str, int], documents: int, max_distance: int = 2):
        self._known = frozenset(document_frequency)
        # Terms by length, for edit-distance candidates; reversed and sorted, for "ends with" by bisection.
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for term in sorted(document_frequency):
            self._by_length[len(term)].append(term)
        self._reversed = sorted(term[::-1] for term in document_frequency)
        self._frequency = document_frequency
        self._documents = max(documents, 1)
        self._max_distance = max_distance
        self.expand_term = lru_cache(maxsize=4096)(self._expand_term)

    def terms(self, query: str, stem: bool = True) -> list[WeightedTerm]:
        """The weighted terms of ``query``: its own stems, then variants and compound parts."""
        found: dict[str, WeightedTerm] = {}
        content = [w for w in words(query) if w not in STOPWORDS and w not in QUERY_FILLERS]
        candidates = [weighted for term in self._stems(content, stem) for weighted in self.expand_term(term)]
        if stem:
            # Two query words the documents write as one ("Söder andan" -> "Söderandan").
            for left, right in zip(content, content[1:]):
                joined = _stemmer().stemWord(left + right)
                if joined in self._known:
                    candidates.append(WeightedTerm(joined, 1.0, "joined", joined))
        for weighted in candidates:
            if weighted.term not in found or found[weighted.term].weight < weighted.weight:
                found[weighted.term] = weighted
        return list(found.values())

    @staticmethod
    def _stems(content: list[str], stem: bool) -> list[str]:
        return _stemmer().stemWords(content) if stem else content

    def _expand_term(self, term: str) -> tuple[WeightedTerm, ...]:
        known = term in self._known
        # Unknown terms are kept: they score nothing, but they count in how much of a question is answered.
        out = [WeightedTerm(term, 1.0, "query", term)]
        # Common words need no help, and their variants and compounds would only add noise.
        if known and self._frequency[term] > RARE_SHARE * self._documents:
            return tuple(out)
        # Known words get variants only when long (compounds like "medborgarvärd"/"medborgarvård");
        # unknown ones (misspellings) also when short, but weighed less.
        if self._max_distance and len(term) >= (8 if known else 5):
            distance = 1 if len(term) <= 7 else self._max_distance
            weight = 0.8 if known else (0.9 if len(term) >= 8 else 0.7)
            near = [t for size in range(len(term) - distance, len(term) + distance + 1) for t in self._by_length.get(size, ())]
            for candidate, _, _ in process.extract(
                term, near, scorer=Levenshtein.distance, score_cutoff=distance, limit=10
            ):
                if candidate != term:
                    out.append(WeightedTerm(candidate, weight, "variant", term))
        if len(term) >= 5:
            out.extend(WeightedTerm(head, 0.6, "compound", term) for head in self._compounds_ending(term)[:20])
        if not known and len(term) >= 8:
            out.extend(WeightedTerm(part, 0.5, "part", term) for part in self._split_compound(term))
        return tuple(out)

    def _compounds_ending(self, term: str) -> list[str]:
        """Known terms that end with ``term`` and are at least three letters longer, alphabetically."""
        suffix = term[::-1]
        begin = bisect.bisect_left(self._reversed, suffix)
        end = bisect.bisect_left(self._reversed, suffix + "\U0010ffff", begin)
        return sorted(r[::-1] for r in self._reversed[begin:end] if len(r) >= len(term) + 3)

    def _split_compound(self, term: str) -> tuple[str, ...]:
        """The best split of an unknown compound into two known stems (allowing a linking -s-)."""
        best: tuple[str, ...] = ()
        stemmer = _stemmer()
        for cut in range(4, len(term) - 3):
            left, right = term[:cut], stemmer.stemWord(term[cut:])
            for head in (left, left[:-1] if left.endswith("s") else None):
                head = head and stemmer.stemWord(head)
                if head and len(head) >= 4 and head in self._known and right in self._known:
                    if not best or min(len(head), len(right)) > min(len(p) for p in best):
                        best = (head, right)
        return best
