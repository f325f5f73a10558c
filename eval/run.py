"""Running the evaluation: every system and the answers over one split of the gold questions, the
issue's targets and the hybrid system's failures; the research questions of the split; and, apart
from all of these, review candidates. ``main`` is what `stadshus eval` and `python -m eval` call."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel

from indexer.embedders import EmbedderError
from indexer.settings import Settings, get_settings
from indexer.storage import IndexProblem
from service.ask import Answerer
from service.engine import Engine, load_engine
from service.search import QueryError, Searcher

from .answers import AnswerResult, evaluate_answers
from .failures import Failure, failures, research_failures
from .gold import (
    GoldError,
    Question,
    ResearchQuestion,
    ReviewCandidate,
    Split,
    load_candidates,
    load_questions,
    load_research,
)
from .research import ResearchResult, evaluate_research
from .retrieval import SystemResult, evaluate_retrieval
from .systems import (
    BASELINE,
    CACHE_DIR,
    NOT_MEASURED,
    Progress,
    REPO,
    RetrievalSystem,
    SearcherSystem,
    UnknownSystem,
    make_system,
    resolve_names,
    served_index,
)

FIGURES = Path(__file__).resolve().parent / "figures.json"
# The targets.
RECALL_TARGET = 0.95
MRR_TARGET = 0.85
NDCG_MARGIN = 0.10
DISTRICT_TARGET = 0.90
ABSTENTION_TARGET = 0.90
CITATION_TARGET = 0.95


class Target(BaseModel):
    """One target of the issue: what was measured against what was wanted."""

    name: str
    threshold: float
    measured: float | None
    passed: bool | None
    shortfall: float | None


class Header(BaseModel):
    """Where and on what the evaluation ran."""

    created_at: str
    commit: str | None
    machine: str
    embedder: str
    settings_hash: str
    build_id: str
    split: str
    questions: int
    answerable: int
    research_questions: int
    generator: str
    ablation_indexes: dict[str, str]


class ReviewResult(BaseModel):
    """Review candidates (`stadshus review export`) scored like the gold questions, hybrid retrieval
    and extractive answers, and kept apart from them: no target and no gold figure counts them."""

    path: str
    candidates: int
    answerable: int
    retrieval: SystemResult
    answers: AnswerResult
    failures: list[Failure]


class Evaluation(BaseModel):
    """Everything one run measured; ``--json`` prints it and the report is rendered from it."""

    header: Header
    systems: list[SystemResult]
    answers: AnswerResult
    targets: list[Target]
    failures: list[Failure]
    research: ResearchResult
    research_failures: list[Failure]
    reviews: ReviewResult | None
    not_measured: dict[str, str]

    def system(self, name: str) -> SystemResult | None:
        """The result of the system called ``name``, if it ran."""
        return next((s for s in self.systems if s.name == name), None)


def evaluate(
    engine: Engine,
    questions: Sequence[Question],
    split: Split,
    system_names: Sequence[str] | None = None,
    cache_dir: Path = CACHE_DIR,
    progress: Progress | None = None,
    research: Sequence[ResearchQuestion] = (),
    reviews: tuple[Path, Sequence[ReviewCandidate]] | None = None,
) -> Evaluation:
    """Evaluate the named systems (``hybrid`` always) and the hybrid system's extractive answers on
    ``questions``, the ``research`` questions with the research code, and ``reviews`` (the path of a
    candidate file and its candidates) apart from both."""
    names = resolve_names(system_names)
    # Latency depends on what else the machine runs; the report says how busy it was.
    load = os.getloadavg()[0]
    systems: list[SystemResult] = []
    ablation_indexes: dict[str, str] = {}
    made: dict[str, RetrievalSystem] = {}
    for name in names:
        system = made[name] = make_system(name, engine, cache_dir, progress)
        if isinstance(system, SearcherSystem) and system.searcher.index.path != engine.index.path:
            index = system.searcher.index
            ablation_indexes[name] = f"{index.manifest.settings_hash} (cache {index.path.parent.parent.name})"
        if progress:
            progress(f"Söker med {name} ({len(questions)} frågor)")
        systems.append(evaluate_retrieval(system, questions))
    if progress:
        progress(f"Besvarar {len(questions)} frågor (hybrid, extraktivt)")
    answerer = Answerer(Searcher(served_index(engine), engine.embedder, engine.gazetteer, engine.settings), engine.settings)
    answers = evaluate_answers(answerer.ask, questions, answerer.index)
    hybrid = next(s for s in systems if s.name == "hybrid")
    if progress and research:
        progress(f"Ställer {len(research)} forskningsfrågor (översikt, versioner, tid)")
    research_result = evaluate_research(engine, research)
    review_result = None
    if reviews is not None:
        path, candidates = reviews
        if progress:
            progress(f"Söker och besvarar {len(candidates)} granskningskandidater ({path})")
        review_retrieval = evaluate_retrieval(made["hybrid"], candidates)
        review_answers = evaluate_answers(answerer.ask, candidates, answerer.index)
        review_result = ReviewResult(
            path=str(path),
            candidates=len(candidates),
            answerable=sum(c.answerable for c in candidates),
            retrieval=review_retrieval,
            answers=review_answers,
            failures=failures(review_retrieval, review_answers, candidates),
        )
    manifest = engine.index.manifest
    header = Header(
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        commit=_commit(),
        machine=(
            f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
            f"load average {load:.1f} at the start"
        ),
        embedder=manifest.embedder,
        settings_hash=manifest.settings_hash,
        build_id=manifest.build_id,
        split=split.value,
        questions=len(questions),
        answerable=sum(q.answerable for q in questions),
        research_questions=len(research),
        generator="extractive",
        ablation_indexes=ablation_indexes,
    )
    return Evaluation(
        header=header,
        systems=systems,
        answers=answers,
        targets=targets(hybrid, next((s for s in systems if s.name == BASELINE), None), answers),
        failures=failures(hybrid, answers, questions),
        research=research_result,
        research_failures=research_failures(research_result, research),
        reviews=review_result,
        not_measured=NOT_MEASURED,
    )


def targets(hybrid: SystemResult, baseline: SystemResult | None, answers: AnswerResult) -> list[Target]:
    """The issue's targets, measured; a target whose measure did not run has ``measured=None``."""
    scores = answers.scores
    gap = hybrid.overall.ndcg - baseline.overall.ndcg if baseline else None
    measured = [
        ("Hybrid Recall@5", RECALL_TARGET, hybrid.overall.recall_at(5)),
        ("Hybrid MRR@10", MRR_TARGET, hybrid.overall.mrr),
        ("Hybrid nDCG@10 minus LangChain nDCG@10", NDCG_MARGIN, gap),
        ("List questions: district precision", DISTRICT_TARGET, scores.districts.precision),
        ("List questions: district recall", DISTRICT_TARGET, scores.districts.recall),
        ("Abstention recall (unanswerable questions)", ABSTENTION_TARGET, scores.abstention.recall),
        ("Abstention precision", ABSTENTION_TARGET, scores.abstention.precision),
        ("Citation precision", CITATION_TARGET, scores.citation_precision),
    ]
    return [
        Target(
            name=name,
            threshold=threshold,
            measured=value,
            passed=None if value is None else value >= threshold,
            shortfall=None if value is None or value >= threshold else threshold - value,
        )
        for name, threshold, value in measured
    ]


def figures(evaluation: Evaluation) -> dict[str, float | str | None]:
    """The figures the regression guard compares with (from a dev run)."""
    hybrid = evaluation.system("hybrid")
    scores = evaluation.answers.scores
    return {
        "split": evaluation.header.split,
        "recorded_at": evaluation.header.created_at,
        "commit": evaluation.header.commit,
        "settings_hash": evaluation.header.settings_hash,
        "recall_at_5": round(hybrid.overall.recall_at(5), 4),
        "mrr_at_10": round(hybrid.overall.mrr, 4),
        "ndcg_at_10": round(hybrid.overall.ndcg, 4),
        "district_f1": round(scores.districts.f1, 4),
        "support_rate": round(scores.support_rate, 4),
        "abstention_f1": round(scores.abstention.f1, 4),
        "citation_precision": round(scores.citation_precision, 4),
    }


def main(
    split: Split | str = Split.test,
    systems: Sequence[str] | None = None,
    json_output: bool = False,
    write_report: bool = True,
    *,
    record: bool = False,
    reviews: Path | None = None,
    settings: Settings | None = None,
    cache_dir: Path = CACHE_DIR,
) -> int:
    """Run the evaluation and print it (a summary, or with ``json_output`` one JSON object on stdout).

    ``systems`` are names or groups (``ours``, ``ablations``, ``langchain``, ``all``; default all).
    ``write_report`` writes ``eval/report.md`` and ``eval/recall_at_k.png``; ``record`` writes
    ``eval/figures.json`` (dev split only). ``reviews`` is a file of review candidates (`stadshus
    review export`), scored in a section of its own. Returns the exit code: 0 when the evaluation ran
    (whether or not the targets are met), 1 when the index, a gold file or the review file cannot be
    used, 2 for bad arguments.
    """
    from . import report

    try:
        split = Split(split)
        resolve_names(systems)
    except UnknownSystem as exc:
        return _fail(str(exc), 2)
    except ValueError:
        return _fail(f"Okänd del av frågorna: {split!r}. Välj test, dev eller all.", 2)
    if record and split is not Split.dev:
        return _fail("Referensvärdena (--record) sparas bara från dev-delen: använd --split dev.", 2)
    progress = _progress
    try:
        questions = load_questions(split)
        research = load_research(split)
        candidates = (reviews, load_candidates(reviews)) if reviews is not None else None
        engine = load_engine(settings or get_settings())
        evaluation = evaluate(engine, questions, split, systems, cache_dir, progress, research, candidates)
        if write_report:
            report.write(evaluation)
            progress(f"Skrev {report.REPORT} och {report.PLOT}")
        if record:
            FIGURES.write_text(json.dumps(figures(evaluation), indent=2, ensure_ascii=False) + "\n", "utf-8")
            progress(f"Skrev {FIGURES}")
    except GoldError as exc:
        return _fail(str(exc))
    except QueryError as exc:
        return _fail(f"En fråga i guldfrågorna eller granskningskandidaterna kan inte ställas: {exc}")
    except (IndexProblem, EmbedderError) as exc:
        return _fail(f"{exc} (utvärderingen använder indexet i STADSHUS_INDEX_DIR; bygg det med `stadshus index`)")
    except OSError as exc:
        return _fail(f"Kunde inte läsa eller skriva en fil: {exc}")
    if json_output:
        print(evaluation.model_dump_json())
    else:
        print(report.summary(evaluation))
    return 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fail(message: str, code: int = 1) -> int:
    print(f"Fel: {message}", file=sys.stderr)
    return code


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None
