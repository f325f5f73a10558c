"""Near-duplicate passages across documents (two versions of one report share most of their text).

Two chunks of different documents are near-duplicates when most word 5-shingles of the shorter one also
occur in the other (containment), which survives re-wrapped lines and chunk boundaries that differ.
Candidates come from an inverted index of shingles, so the cost grows with the corpus, not its square.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence

from .swedish import words

SHINGLE = 5
# A shingle in more chunks than this is boilerplate shared by a whole report family, not evidence.
MAX_POSTINGS = 64


def shingles(text: str) -> frozenset[int]:
    """Hashed word 5-shingles of ``text`` (the whole text when it is shorter than five words)."""
    tokens = words(text)
    grams = [" ".join(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))]
    return frozenset(int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") for g in grams)


def near_duplicates(texts: Sequence[str], doc_ids: Sequence[str], containment: float = 0.8) -> dict[int, list[int]]:
    """For each chunk position, the positions of its near-duplicates in other documents."""
    sets = [shingles(text) for text in texts]
    postings: dict[int, list[int]] = defaultdict(list)
    for position, grams in enumerate(sets):
        for gram in grams:
            postings[gram].append(position)
    result: dict[int, list[int]] = {}
    for position, grams in enumerate(sets):
        shared: Counter[int] = Counter()
        for gram in grams:
            posting = postings[gram]
            if len(posting) <= MAX_POSTINGS:
                shared.update(other for other in posting if doc_ids[other] != doc_ids[position])
        matches = [
            other
            for other, count in shared.items()
            if count >= containment * min(len(grams), len(sets[other]))
        ]
        if matches:
            result[position] = sorted(matches)
    return result
