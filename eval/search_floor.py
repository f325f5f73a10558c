"""`python -m eval.search_floor`: calibrate the search page's relevance floor (``Settings.search_min_dense``).

A hit that holds none of the query's words is shown only when its dense similarity reaches the floor. Two
kinds of data pull the floor in opposite directions:

- the gold evidence passages of the DEV questions (``eval/gold/questions.jsonl``) that hold none of their
  question's words: each must stay above the floor, or a paraphrased question loses the passage that
  answers it;
- off-topic queries (``OFF_TOPIC``: keyboard mash, other languages' filler, topics no municipal document
  covers): a query whose best word-less hit stays under the floor gets "inga träffar".

Losing the passage that answers a question costs more than a few hits for nonsense, so the floor keeps
every dev evidence passage: it lies in the gap between the lowest word-less evidence score and the highest
off-topic score under it, at the middle of that gap (rounded to two decimals), which silences as many
off-topic queries as any floor that keeps all the evidence. The test split's evidence is reported at the
chosen floor, never used to choose it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pydantic import BaseModel

from indexer.embedders import EmbedderError
from indexer.settings import get_settings
from indexer.storage import IndexProblem
from service.engine import Engine, load_engine
from service.results import relevance

from .gold import GoldError, Split, load_questions

#: Queries no document of a city's administration answers; a search for them should find nothing.
OFF_TOPIC = (
    "qwxz blörp",
    "asdfgh jkl",
    "xyzzy plugh",
    "lorem ipsum dolor sit amet",
    "zzzz",
    "hjkhjk ööö",
    "recept på kanelbullar",
    "fotbollsresultat allsvenskan",
    "väderprognos imorgon",
    "bästa pizzerian",
    "aktiekurs volvo",
    "stickmönster tröja",
    "semesterresor till Thailand",
    "how to bake bread",
    "quantum chromodynamics",
    "Harry Potter",
    "javascript promise",
    "hur byter man däck på bilen",
    "melodifestivalen vinnare",
    "recipe for pancakes",
)


class Calibration(BaseModel):
    """The chosen floor and what it keeps and silences."""

    floor: float
    range_lower: float
    range_upper: float
    dev_evidence: int
    dev_evidence_without_words: int
    dev_evidence_kept: float
    test_evidence_kept: float
    off_topic: int
    off_topic_with_word_hits: int
    off_topic_silenced: float
    off_topic_best: dict[str, float]


def evidence_signals(engine: Engine, split: Split) -> list[tuple[float, bool]]:
    """(dense similarity, holds a query word) of each gold evidence passage of ``split``: the chunk holding
    the snippet's start (the most similar one where chunks overlap)."""
    signals = []
    for question in load_questions(split):
        for item in question.evidence:
            document = engine.index.documents[item.doc_id]
            at = document.text.find(item.snippet)
            if at < 0:
                continue
            positions = [
                int(p) for p in engine.index.chunks.positions_of_documents([item.doc_id])
                if engine.index.chunks[int(p)].start <= at < engine.index.chunks[int(p)].end
            ]
            dense, matched = relevance(engine, question.question, positions)
            best = int(dense.argmax())
            signals.append((float(dense[best]), bool(matched[best])))
    return signals


def off_topic_signals(engine: Engine, queries: Sequence[str]) -> list[tuple[str, bool, float]]:
    """(query, any hit holds a query word, best dense similarity of the hits that hold none) over each
    query's hits as the search page gets them (the top ``max_k`` of a hybrid search)."""
    signals = []
    for query in queries:
        passages = engine.searcher.search(query, engine.settings.max_k)
        dense, matched = relevance(engine, query, [engine.index.chunk_position(p.chunk.chunk_id) for p in passages])
        wordless = dense[~matched]
        signals.append((query, bool(matched.any()), float(wordless.max()) if len(wordless) else 0.0))
    return signals


def calibrate(engine: Engine) -> Calibration:
    """Choose the floor on the dev evidence and ``OFF_TOPIC``; report the test evidence at it."""
    dev = evidence_signals(engine, Split.dev)
    test = evidence_signals(engine, Split.test)
    off = off_topic_signals(engine, OFF_TOPIC)
    wordless_dev = [d for d, m in dev if not m]

    def kept(signals: list[tuple[float, bool]], floor: float) -> float:
        return sum(m or d >= floor for d, m in signals) / len(signals)

    def silenced(floor: float) -> float:
        return sum(not words and best < floor for _, words, best in off) / len(off)

    # Every floor up to the lowest word-less evidence score keeps all of it; the off-topic scores under that
    # score decide how many queries it silences, and the gap above the highest of them is the best range.
    upper = min(wordless_dev, default=1.0)
    lower = max((best for _, _, best in off if best < upper), default=0.0)
    floor = round((lower + upper) / 2, 2)
    if not lower < floor <= upper:
        floor = upper
    return Calibration(
        floor=floor,
        range_lower=lower,
        range_upper=upper,
        dev_evidence=len(dev),
        dev_evidence_without_words=len(wordless_dev),
        dev_evidence_kept=round(kept(dev, floor), 4),
        test_evidence_kept=round(kept(test, floor), 4),
        off_topic=len(off),
        off_topic_with_word_hits=sum(words for _, words, _ in off),
        off_topic_silenced=round(silenced(floor), 4),
        off_topic_best={query: round(best, 4) for query, _, best in off},
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print the calibration (a table, or JSON with ``--json``); 1 with a Swedish message when it cannot run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        result = calibrate(load_engine(get_settings()))
    except (IndexProblem, EmbedderError, GoldError) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(result.model_dump_json())
        return 0
    print(f"floor {result.floor:.2f} (best range {result.range_lower:.4f}..{result.range_upper:.4f})")
    print(f"dev evidence kept {result.dev_evidence_kept:.1%} of {result.dev_evidence} "
          f"({result.dev_evidence_without_words} without a query word)")
    print(f"test evidence kept {result.test_evidence_kept:.1%}")
    print(f"off-topic silenced {result.off_topic_silenced:.1%} of {result.off_topic} "
          f"({result.off_topic_with_word_hits} have hits holding a query word)")
    for query, best in result.off_topic_best.items():
        print(f"  {best:.4f}  {query}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
