"""Reciprocal rank fusion (service/fusion.py ``fuse``) on its own."""

from __future__ import annotations

import pytest

from service.fusion import fuse


def test_an_item_ranked_high_by_both_comes_first():
    fused = fuse([["b", "a", "c"], ["c", "a", "b"], ["a", "d"]], k=60)
    assert [item for item, _ in fused] == ["a", "b", "c", "d"]
    assert fused[0] == ("a", pytest.approx(2 / 62 + 1 / 61))


def test_scores_are_sums_of_reciprocal_ranks():
    fused = dict(fuse([["a", "b"], ["b", "c"]], k=10))
    assert fused == {
        "a": pytest.approx(1 / 11),
        "b": pytest.approx(1 / 12 + 1 / 11),
        "c": pytest.approx(1 / 12),
    }


def test_results_are_sorted_best_first_and_hold_every_item_once():
    rankings = [[3, 1, 4, 5, 9], [2, 6, 5, 3], [5, 8, 9, 7]]
    fused = fuse(rankings, k=60)
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)
    assert sorted(item for item, _ in fused) == sorted({item for ranking in rankings for item in ranking})
    assert fused[0][0] == 5  # the only item in all three rankings


def test_ties_keep_the_order_items_were_first_seen():
    assert [item for item, _ in fuse([["a", "b"], ["b", "a"]])] == ["a", "b"]
    assert [item for item, _ in fuse([["b", "a"], ["a", "b"]])] == ["b", "a"]
    # Items only one retriever found, at the same rank, tie too: the first ranking's item leads.
    assert [item for item, _ in fuse([["x"], ["y"]])] == ["x", "y"]


def test_fusion_is_deterministic():
    rankings = [[f"d{i}" for i in range(50)], [f"d{i}" for i in range(49, -1, -1)]]
    assert fuse(rankings) == fuse(rankings)
    # A full tie (every item ranked 1, 2 and 3 once) comes out in first-seen order, every time.
    rotated = [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    for _ in range(5):
        assert [item for item, _ in fuse(rotated)] == ["a", "b", "c"]


def test_k_sets_how_much_a_single_first_place_outweighs_agreement():
    """"solo" is first in one ranking only; "both" is fourth in both. A small k rewards the first place,
    a large k rewards agreement."""
    rankings = [["solo", "x1", "x2", "both"], ["y1", "y2", "y3", "both"]]
    small = [item for item, _ in fuse(rankings, k=1)]
    large = [item for item, _ in fuse(rankings, k=60)]
    assert small.index("solo") < small.index("both")
    assert large.index("both") < large.index("solo")


def test_one_ranking_keeps_its_order_and_no_ranking_gives_nothing():
    assert [item for item, _ in fuse([["c", "a", "b"]])] == ["c", "a", "b"]
    assert fuse([]) == []
    assert fuse([[], []]) == []
