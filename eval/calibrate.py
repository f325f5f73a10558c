"""`python -m eval.calibrate`: grid-search the answerer's thresholds on the DEV split only.

The thresholds (``Settings.answer_min_coverage``, ``list_min_coverage``, ``answer_min_dense``) decide
when a sentence answers a fact question, when a sentence counts a district for a list question, and
when the top passage answers by meaning alone. The objective is the mean of three scores on the dev
questions, each between 0 and 1:

- abstention F1 (an abstention predicts "unanswerable"; precision punishes abstaining on answerable
  questions, recall punishes answering unanswerable ones),
- the answer support rate on answerable questions,
- the district F1 of list questions (pooled over the list questions).

Ties are broken by citation precision, then by closeness to the current settings. Retrieval does not
depend on these thresholds, so every search is made once and cached for the whole grid. The test split
is never loaded.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence

from pydantic import BaseModel

from indexer.embedders import EmbedderError
from indexer.settings import Settings, get_settings
from indexer.storage import IndexProblem
from service.answer import Answerer
from service.engine import load_engine

from .answers import evaluate_answers
from .gold import GoldError, Question, Split, load_questions
from .systems import CachingSearcher, served_index

THRESHOLDS = ("answer_min_coverage", "list_min_coverage", "answer_min_dense")
GRID: dict[str, tuple[float, ...]] = {
    "answer_min_coverage": tuple(round(0.20 + 0.05 * i, 2) for i in range(11)),  # 0.20 .. 0.70
    "list_min_coverage": tuple(round(0.40 + 0.05 * i, 2) for i in range(9)),  # 0.40 .. 0.80
    "answer_min_dense": tuple(round(0.78 + 0.01 * i, 2) for i in range(15)),  # 0.78 .. 0.92
}


class Row(BaseModel):
    """The dev scores of one point of the grid."""

    answer_min_coverage: float
    list_min_coverage: float
    answer_min_dense: float
    objective: float
    abstention_f1: float
    support_rate: float
    district_f1: float
    citation_precision: float

    def thresholds(self) -> dict[str, float]:
        """The three thresholds of this row."""
        return {name: getattr(self, name) for name in THRESHOLDS}


def score(searcher: CachingSearcher, settings: Settings, questions: Sequence[Question], thresholds: dict[str, float]) -> Row:
    """Answer the questions with ``thresholds`` and score the answers."""
    answerer = Answerer(searcher, settings.model_copy(update=thresholds))
    scores = evaluate_answers(answerer, questions).scores
    parts = (scores.abstention.f1, scores.support_rate, scores.districts.f1)
    return Row(
        **thresholds,
        objective=sum(parts) / len(parts),
        abstention_f1=scores.abstention.f1,
        support_rate=scores.support_rate,
        district_f1=scores.districts.f1,
        citation_precision=scores.citation_precision,
    )


def ranked(rows: Sequence[Row], current: dict[str, float]) -> list[Row]:
    """Rows best first: by objective, then citation precision, then closeness to ``current``."""

    def distance(row: Row) -> float:
        return sum(abs(getattr(row, name) - current[name]) for name in THRESHOLDS)

    return sorted(rows, key=lambda r: (-round(r.objective, 9), -round(r.citation_precision, 9), distance(r)))


def on_edge(row: Row, grid: dict[str, Sequence[float]] = GRID) -> list[str]:
    """Thresholds of ``row`` at the end of their grid range (the optimum may lie beyond it)."""
    return [name for name in THRESHOLDS if getattr(row, name) in (min(grid[name]), max(grid[name]))]


def calibrate(settings: Settings, grid: dict[str, Sequence[float]] = GRID) -> tuple[list[Row], Row]:
    """Every grid point scored on the dev split, best first, and the row of the current settings."""
    questions = load_questions(Split.dev)
    if any(q.split != Split.dev.value for q in questions):
        raise GoldError("calibration must only see dev questions")
    engine = load_engine(settings)
    searcher = CachingSearcher(served_index(engine), engine.embedder, engine.gazetteer, settings)
    current = {name: float(getattr(settings, name)) for name in THRESHOLDS}
    baseline = score(searcher, settings, questions, current)
    rows = [
        score(searcher, settings, questions, dict(zip(THRESHOLDS, point)))
        for point in itertools.product(*(grid[name] for name in THRESHOLDS))
    ]
    return ranked(rows, current), baseline


def table(rows: Sequence[Row]) -> str:
    """Rows as an aligned text table."""
    header = f"{'coverage':>9}{'list cov':>9}{'dense':>7}{'objective':>10}{'abst F1':>9}{'support':>9}{'distr F1':>9}{'cit prec':>9}"
    lines = [header]
    for r in rows:
        lines.append(
            f"{r.answer_min_coverage:>9.2f}{r.list_min_coverage:>9.2f}{r.answer_min_dense:>7.2f}{r.objective:>10.3f}"
            f"{r.abstention_f1:>9.3f}{r.support_rate:>9.3f}{r.district_f1:>9.3f}{r.citation_precision:>9.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the grid search and print the best thresholds and the best rows."""
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description="Kalibrera svarströsklarna på dev-delen.")
    parser.add_argument("--top", type=int, default=20, help="Antal rader i tabellen (standard 20).")
    parser.add_argument("--json", action="store_true", help="Skriv ut ett JSON-objekt.")
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        rows, current = calibrate(settings)
    except GoldError as exc:
        print(f"Fel: guldfrågorna kan inte läsas: {exc}", file=sys.stderr)
        return 1
    except (IndexProblem, EmbedderError) as exc:
        print(f"Fel: {exc} (bygg indexet med `stadshus index`)", file=sys.stderr)
        return 1
    best = rows[0]
    if args.json:
        print(json.dumps({"best": best.model_dump(), "current": current.model_dump(), "rows": [r.model_dump() for r in rows[: args.top]]}))
        return 0
    print(f"{len(rows)} punkter på dev-delen. Mål: medel av abstention-F1, svarsandel och stadsdels-F1.\n")
    print("Nuvarande inställningar:")
    print(table([current]))
    print(f"\nBästa {min(args.top, len(rows))}:")
    print(table(rows[: args.top]))
    print("\nBästa värden:")
    for name, value in best.thresholds().items():
        print(f"STADSHUS_{name.upper()}={value}")
    for name in on_edge(best):
        print(f"Obs: {name} ligger på rutnätets kant; vidga GRID i eval/calibrate.py och kör igen.")
    return 0



if __name__ == "__main__":
    sys.exit(main())
