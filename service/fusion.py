"""Reciprocal rank fusion: one pure function, tested on its own."""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def fuse(rankings: Sequence[Sequence[Hashable]], k: int = 60) -> list[tuple[Hashable, float]]:
    """Fuse rankings (best first) by reciprocal rank: score(d) = sum over rankings of 1 / (k + rank(d)).

    Ties keep the order in which items were first seen, so the result is deterministic.
    """
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
