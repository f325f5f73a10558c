"""What the judgments say: share correct overall, per question type and per index build, and how well
reviewers agree (Cohen's kappa for every pair of reviewers who judged the same answers)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from .models import VERDICTS
from .schemas import PairAgreement, ReviewSummary, VerdictCounts


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """One judgment, reduced to what the summary counts."""

    answer_id: int
    reviewer: str
    verdict: str
    question_type: str
    build_id: str


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items: (p_o - p_e) / (1 - p_e).

    p_o is the share of items labelled alike, p_e the agreement expected by chance from each rater's
    own label frequencies. None when p_e is 1 (both raters used a single, identical label), where
    kappa is undefined.
    """
    if len(first) != len(second):
        raise ValueError("both raters must label the same items")
    if not first:
        raise ValueError("kappa needs at least one item")
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_first, counts_second = Counter(first), Counter(second)
    expected = sum(counts_first[label] * counts_second[label] for label in counts_first) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def verdict_counts(rows: Sequence[VerdictRow]) -> VerdictCounts:
    """Judgments per verdict (every verdict listed, zeros included) and the share judged correct."""
    counts = Counter(row.verdict for row in rows)
    return VerdictCounts(
        judgments=len(rows),
        share_correct=counts["correct"] / len(rows) if rows else None,
        verdicts={verdict: counts[verdict] for verdict in VERDICTS},
    )


def pair_agreements(rows: Iterable[VerdictRow]) -> list[PairAgreement]:
    """Agreement of every pair of reviewers over the answers both judged, pairs in name order."""
    by_reviewer: dict[str, dict[int, str]] = defaultdict(dict)
    for row in rows:
        by_reviewer[row.reviewer][row.answer_id] = row.verdict
    agreements = []
    for first, second in combinations(sorted(by_reviewer), 2):
        shared = sorted(by_reviewer[first].keys() & by_reviewer[second].keys())
        if not shared:
            continue
        labels_first = [by_reviewer[first][answer] for answer in shared]
        labels_second = [by_reviewer[second][answer] for answer in shared]
        agreements.append(
            PairAgreement(
                reviewers=(first, second),
                answers=len(shared),
                observed_agreement=sum(a == b for a, b in zip(labels_first, labels_second, strict=True)) / len(shared),
                kappa=cohen_kappa(labels_first, labels_second),
            )
        )
    return agreements


def summarize(rows: Sequence[VerdictRow]) -> ReviewSummary:
    """The review summary of a set of judgments."""
    by_type: dict[str, list[VerdictRow]] = defaultdict(list)
    by_build: dict[str, list[VerdictRow]] = defaultdict(list)
    for row in rows:
        by_type[row.question_type].append(row)
        by_build[row.build_id].append(row)
    return ReviewSummary(
        answers=len({row.answer_id for row in rows}),
        reviewers=len({row.reviewer for row in rows}),
        overall=verdict_counts(rows),
        by_question_type={kind: verdict_counts(group) for kind, group in sorted(by_type.items())},
        by_build={build: verdict_counts(group) for build, group in sorted(by_build.items())},
        agreement=pair_agreements(rows),
    )
