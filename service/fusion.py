"""Fusing the dense and lexical rankings: pure functions, tested on their own."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


def fuse(rankings: Sequence[Sequence[Hashable]], k: int = 60) -> list[tuple[Hashable, float]]:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k + rank(d)), best first.

    Ties keep the order in which items were first seen, so the result is deterministic.
    """
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def fuse_scores(
    scored: Sequence[tuple[Sequence[Hashable], Sequence[float]]], weights: Sequence[float] | None = None
) -> list[tuple[Hashable, float]]:
    """Score fusion: each retriever's scores standardised (z-scores over its candidates), then a weighted sum.

    Unlike rank fusion it keeps how far ahead a candidate is: one passage that BM25 scores far above the
    rest is not outvoted by passages both retrievers rank middling. A candidate missing from a retriever's
    list scores as that retriever's lowest candidate; when a retriever's candidates all score alike (one
    hit, say) they score +1 and the missing -1, so a single hit still counts.
    """
    weights = weights or [1.0 / len(scored)] * len(scored)
    order = list(dict.fromkeys(item for items, _ in scored for item in items))
    slot = {item: i for i, item in enumerate(order)}
    fused = np.zeros(len(order), dtype=np.float64)
    for weight, (items, values) in zip(weights, scored):
        values = np.asarray(values, dtype=np.float64)
        spread = values.std() if len(values) > 1 else 0.0
        z = (values - values.mean()) / spread if spread > 0 else np.ones_like(values)
        # Missing candidates score as the lowest one; a retriever with no candidates adds nothing.
        floor = float(z.min()) if spread > 0 else -1.0 if len(z) else 0.0
        column = np.full(len(order), floor)
        column[[slot[item] for item in items]] = z
        fused += weight * column
    # A stable sort: ties keep the order in which candidates were first seen.
    return [(order[i], float(fused[i])) for i in np.argsort(-fused, kind="stable")]
